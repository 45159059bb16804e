"""A status list's position counter lives apart from its bits: every issuance `$inc`s a small counter
document and leaves the list of revoked indexes alone; lists stored before the split are carried
over (by ensure_indexes, or by the first allocation that meets them) and served exactly as before."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from certificates.models import StatusList, StatusListCounter
from certificates.status_lists import allocate_entry, status_list_credential
from credentials.status_list import LIST_SIZE

pytestmark = pytest.mark.django_db

STORED_AT = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def stored_before_the_split(list_id: str, next_index: int, revoked: list[int]) -> None:
    StatusList._get_collection().insert_one(
        {"list_id": list_id, "size": LIST_SIZE, "next_index": next_index, "revoked": revoked, "updated_at": STORED_AT}
    )


def bits(list_id: str) -> dict:
    return StatusList._get_collection().find_one({"list_id": list_id}, {"_id": 0})


def taken(entry: dict) -> tuple[str, int]:
    return entry["statusListCredential"].rsplit("/", 1)[-1], int(entry["statusListIndex"])


def test_an_issuance_moves_the_counter_and_leaves_the_bits_alone():
    allocate_entry()
    before = bits("1")

    assert [taken(allocate_entry()) for _ in range(3)] == [("1", 1), ("1", 2), ("1", 3)]

    assert bits("1") == before and "next_index" not in before
    assert StatusListCounter.objects.get(list_id="1").next_index == 4


def test_a_full_list_hands_over_to_the_next_whose_bits_exist_before_its_first_entry():
    allocate_entry()
    StatusListCounter.objects(list_id="1").update_one(set__next_index=LIST_SIZE)

    assert taken(allocate_entry()) == ("2", 0)
    assert bits("2")["revoked"] == [] and bits("2")["size"] == LIST_SIZE
    assert taken(allocate_entry()) == ("2", 1)


def test_ensure_indexes_carries_old_counters_over_and_the_served_lists_stay_the_same():
    stored_before_the_split("1", LIST_SIZE, [3, 70_000])
    stored_before_the_split("2", 41, [40])
    served = {list_id: status_list_credential(list_id) for list_id in ("1", "2")}

    call_command("ensure_indexes")

    assert {list_id: status_list_credential(list_id) for list_id in ("1", "2")} == served
    assert "next_index" not in bits("1") and "next_index" not in bits("2")
    assert taken(allocate_entry()) == ("2", 41)


def test_an_allocation_before_ensure_indexes_carries_the_old_counter_itself():
    stored_before_the_split("1", LIST_SIZE, [])
    stored_before_the_split("2", 7, [])

    assert taken(allocate_entry()) == ("2", 7)
    assert [(c.list_id, c.next_index) for c in StatusListCounter.objects.order_by("number")] == [
        ("1", LIST_SIZE),
        ("2", 8),
    ]


def test_carrying_over_twice_changes_nothing():
    stored_before_the_split("1", 12, [])
    StatusListCounter.backfill()
    allocate_entry()

    assert StatusListCounter.backfill() == 0
    assert StatusListCounter.objects.get(list_id="1").next_index == 13


def test_concurrent_issuances_never_share_a_position():
    entries, lock = [], threading.Lock()

    def issue_many():
        mine = [taken(allocate_entry()) for _ in range(25)]
        with lock:
            entries.extend(mine)

    threads = [threading.Thread(target=issue_many) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert len(entries) == len(set(entries)) == 200
