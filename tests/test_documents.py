"""Domain documents validate their fields, keep UTC timestamps and declare the indexes queries need."""

from __future__ import annotations

from datetime import UTC, date, timedelta

import mongoengine
import pytest
from django.core.management import call_command
from mongoengine import NotUniqueError, ValidationError

from certificates.models import Batch
from issuance.models import IssuanceJob
from tests.factories import make_batch, make_inspection


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("origin_country", "India", "is not a country code"),
        ("destination_country", "XX", "is not a country code"),
        ("quantity", -5, "quantity"),
        ("unit", "barrels", "unit"),
        ("hs_code", "rice", "hs_code"),
        ("batch_number", "has spaces", "batch_number"),
        ("harvest_date", date.today() + timedelta(days=3), "future"),
    ],
)
def test_batch_rejects_bad_fields_with_a_message_naming_them(field, value, message):
    with pytest.raises(ValidationError) as error:
        make_batch(**{field: value})

    assert message in str(error.value)
    assert Batch.objects.count() == 0


def test_batch_numbers_are_unique(batch):
    with pytest.raises(NotUniqueError):
        make_batch(batch.batch_number)


def test_inspection_readings_are_validated(batch):
    with pytest.raises(ValidationError) as error:
        make_inspection(batch, moisture_percent=140)
    assert "moisture_percent" in str(error.value)

    with pytest.raises(ValidationError) as error:
        make_inspection(batch, outcome="maybe")
    assert "outcome" in str(error.value)


def test_timestamps_come_back_as_utc(batch):
    stored = Batch.objects.get(pk=batch.pk)

    assert stored.created_at.utcoffset() == UTC.utcoffset(None)
    assert stored.created_at == batch.created_at


def test_ensure_indexes_creates_the_queue_indexes_and_can_run_twice(capsys):
    call_command("ensure_indexes")
    call_command("ensure_indexes")

    indexes = IssuanceJob._get_collection().index_information()
    by_name = {name: info for name, info in indexes.items()}
    assert by_name["claim"]["key"] == [("status", 1), ("next_attempt_at", 1), ("attempts_left", 1)]
    assert by_name["lease_recovery"]["key"] == [("status", 1), ("lease_expires_at", 1)]
    assert by_name["retention_ttl"]["expireAfterSeconds"] == 0
    assert any(info.get("unique") and info["key"] == [("dedupe_key", 1)] for info in indexes.values())
    assert f"issuance_jobs: {len(IssuanceJob._meta['index_specs'])} index(es) in place" in capsys.readouterr().out


def test_documents_do_not_create_indexes_behind_the_operators_back():
    for document in (Batch, IssuanceJob):
        assert document._meta["auto_create_index"] is False
    assert mongoengine.get_db() is not None
