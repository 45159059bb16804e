"""A batch number is one number whatever its case: `rival-001` beside `RIVAL-001` is refused like an
exact duplicate, since a customs officer cannot tell the two apart on paper. Existing data that
breaks the rule is named by ensure_indexes, with what to do, before the unique index is built."""

from __future__ import annotations

import pytest
from bson import ObjectId
from django.core.management import CommandError, call_command
from django.test import Client
from mongoengine import NotUniqueError

from certificates.models import Batch
from core import indexes
from tests.factories import make_batch

pytestmark = pytest.mark.django_db

BATCH = {"batch_number": "rival-001", "product": "Rice", "quantity": 100, "unit": "kg", "origin_country": "IN"}
EXISTS = "A batch with this number exists already."


def test_the_api_refuses_a_number_that_differs_only_by_case(api):
    make_batch("RIVAL-001")

    response = api["exporter"].post("/api/v1/batches/", BATCH, format="json")

    assert response.status_code == 400 and response.json() == {"batch_number": [EXISTS]}
    assert [batch.batch_number for batch in Batch.objects] == ["RIVAL-001"]


def test_the_page_refuses_a_number_that_differs_only_by_case(actors):
    make_batch("RIVAL-001", exporter="other_exporter")
    page = Client()
    page.force_login(actors["exporter"])

    response = page.post("/batches/new/", BATCH)

    assert response.status_code == 200 and EXISTS in response.content.decode()
    assert Batch.objects.count() == 1


def test_the_documents_refuse_a_number_that_differs_only_by_case():
    make_batch("Rival-001")

    with pytest.raises(NotUniqueError):
        make_batch("rIVAL-001")
    assert Batch.objects.count() == 1


def old_deployment_with(*numbers: str) -> None:
    """Batches stored before the rule (some before search_key existed), under the old plain index."""
    collection = Batch._get_collection()
    collection.drop_index("batch_number_any_case")
    collection.create_index("search_key", name="search_key_1")
    for i, number in enumerate(numbers):
        document = {"_id": ObjectId(), "batch_number": number, "exporter": "exporter"}
        collection.insert_one(document if i % 2 else {**document, "search_key": number.upper()})


@pytest.mark.usefixtures("indexes_restored")
def test_ensure_indexes_names_batches_that_differ_only_by_case_and_keeps_the_old_index(capsys):
    old_deployment_with("RIVAL-001", "rival-001", "Rival-001", "TEA-7", "tea-7", "COFFEE-1")

    with pytest.raises(CommandError, match="fix what is listed above"):
        call_command("ensure_indexes")

    error = capsys.readouterr().err
    assert (
        "batches.batch_number_any_case: batch numbers that differ only by case, which nobody reading a certificate "
        "can tell apart: 'RIVAL-001' and 'Rival-001' and 'rival-001'; 'TEA-7' and 'tea-7'. Rename one of each, "
        "preferably one without a certificate"
    ) in error
    assert "db.batches.updateOne({batch_number: 'rival-001'}, {$set: {batch_number: 'rival-001-2', " in error
    assert "then run ensure_indexes again" in error
    assert "COFFEE" not in error
    info = Batch._get_collection().index_information()
    assert "search_key_1" in info and "batch_number_any_case" not in info  # prefix search still served


@pytest.mark.usefixtures("indexes_restored")
def test_once_renamed_ensure_indexes_builds_the_unique_index_and_fills_old_keys(capsys):
    old_deployment_with("RIVAL-001", "rival-001")
    with pytest.raises(CommandError):
        call_command("ensure_indexes")
    Batch._get_collection().update_one(
        {"batch_number": "rival-001"}, {"$set": {"batch_number": "rival-001-2", "search_key": "RIVAL-001-2"}}
    )

    call_command("ensure_indexes")

    info = Batch._get_collection().index_information()
    assert "search_key_1" not in info and info["batch_number_any_case"]["unique"]
    assert "batches: dropped the obsolete index search_key_1" in capsys.readouterr().out
    assert indexes.problems() == []
    assert sorted(batch.search_key for batch in Batch.objects) == ["RIVAL-001", "RIVAL-001-2"]
    with pytest.raises(NotUniqueError):
        make_batch("Rival-001-2")
