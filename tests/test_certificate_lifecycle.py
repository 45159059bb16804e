"""One active certificate per batch: re-tests revoke or supersede it, and racing saves cannot break it."""

from __future__ import annotations

import threading

import pytest
from pymongo.errors import DuplicateKeyError as NotUniqueError

from certificates import lifecycle
from certificates.models import Batch, Certificate
from certificates.trust import verify
from issuance import processing
from notifications.models import Notification
from tests.factories import issue_certificate, make_inspection, run_due_jobs

pytestmark = pytest.mark.django_db


@pytest.fixture
def certified(batch) -> Certificate:
    make_inspection(batch)
    run_due_jobs()
    certificate = Certificate.objects.get()
    Certificate.objects(pk=certificate.pk).update_one(add_to_set__shared_with="importer")
    return certificate.reload()


def test_a_failed_re_test_revokes_the_certificate_and_tells_everyone_who_holds_it(batch, certified):
    make_inspection(batch, outcome="failed", agency="Port Lab")

    certified.reload()
    assert certified.status == "revoked" and certified.revocation_reason.startswith("Re-test failed on")
    assert "Port Lab" in certified.revocation_reason
    assert verify(certified.credential).revocation.reason == "revoked by its issuer"
    assert batch.reload().status == "inspection_failed"
    told = {n.recipient for n in Notification.objects(kind="certificate_revoked")}
    assert told == {"exporter", "importer"}


def test_a_passing_re_test_issues_the_next_certificate_which_supersedes_the_old_one(batch, certified):
    make_inspection(batch)
    run_due_jobs()

    old, new = certified.reload(), Certificate.objects(status="active").get()
    assert new.pk != old.pk and new.supersedes == old.pk and old.superseded_by == new.pk
    assert old.status == "revoked" and old.revocation_reason.startswith(
        f"Superseded by certificate {new.credential_id}"
    )
    assert verify(old.credential).valid is False and verify(new.credential).valid is True
    assert batch.reload().status == "certified"


def test_the_database_itself_refuses_a_second_active_certificate(batch, certified):
    copy = {key: value for key, value in certified.to_mongo().to_dict().items() if key != "_id"}
    copy.update(certificate_key="other:0", credential_id="urn:uuid:other", public_token="another-token")

    with pytest.raises(NotUniqueError):
        Certificate._get_collection().insert_one(copy)


def issue_both_at_once(*inspections) -> None:
    threads = [threading.Thread(target=issue_certificate, args=(inspection,)) for inspection in inspections]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)


def assert_one_active_one_revoked(batch) -> None:
    assert sorted(c.status for c in Certificate.objects(batch=batch)) == ["active", "revoked"]
    assert Batch.objects.get(pk=batch.pk).status == "certified"


def test_two_workers_that_both_read_the_batch_as_uncertified_leave_one_active(batch, monkeypatch):
    """Neither looks for an active certificate (the batch had none); the unique index refuses the
    second insert, and the second worker then supersedes the first's certificate."""
    first, second = make_inspection(batch), make_inspection(batch)
    both_read = threading.Barrier(2)
    real_store = lifecycle.store_active

    def store_together(certificate, **options):
        assert options == {"batch_certified": False}
        both_read.wait(10)
        return real_store(certificate, **options)

    monkeypatch.setattr(processing, "store_active", store_together)
    issue_both_at_once(first, second)

    assert_one_active_one_revoked(batch)


def test_two_workers_storing_certificates_for_one_batch_at_once_leave_one_active(batch, monkeypatch):
    first, second = make_inspection(batch), make_inspection(batch)
    both_looked = threading.Barrier(2)
    real_lookup = lifecycle.active_certificate
    calls = {"count": 0}

    def racing_lookup(of_batch):
        found = real_lookup(of_batch)
        calls["count"] += 1
        if calls["count"] <= 2:
            both_looked.wait(10)  # both see "no active certificate" before either stores
        return found

    monkeypatch.setattr(lifecycle, "active_certificate", racing_lookup)
    # As when the batch was already certified: both look for the active certificate first.
    monkeypatch.setattr(processing, "store_active", lambda certificate, **_: lifecycle.store_active(certificate))
    issue_both_at_once(first, second)

    assert_one_active_one_revoked(batch)
