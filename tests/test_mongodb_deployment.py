"""What a first MongoDB deployment needs: indexes checked at start, conflicts explained, writes that
survive failover, a worker that rides out an outage, revocations that cannot be stranded."""

from __future__ import annotations

import threading

import pytest
from bson import ObjectId
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from pymongo.errors import AutoReconnect, OperationFailure

from certificates.lifecycle import revoke
from certificates.models import Batch, Certificate
from certificates.trust import verify
from core import embedded, indexes, mongo
from issuance.models import IssuanceJob, JobStatus
from issuance.worker import Worker
from notifications.models import Notification
from tests.conftest import MONGODB_TEST_URI
from tests.factories import issue_certificate, make_batch, make_inspection
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db  # revocations notify people, who are Django users

embedded_only = pytest.mark.skipif(bool(MONGODB_TEST_URI), reason="breaks the embedded store on purpose")


def test_a_missing_index_stops_the_worker_naming_it_and_the_fix(monkeypatch, indexes_restored):
    IssuanceJob._get_collection().drop_index("claim")
    monkeypatch.setattr(mongo, "is_embedded", lambda: False)

    with pytest.raises(CommandError, match=r"issuance_jobs\.claim: missing.*run python manage.py ensure_indexes"):
        call_command("run_issuance_worker", "--once")


def test_an_index_with_other_options_is_reported(indexes_restored):
    collection = Batch._get_collection()
    collection.drop_index("batch_number_1")
    collection.create_index("batch_number", name="batch_number_1")  # not unique

    assert [str(p) for p in indexes.problems()] == ["batches.batch_number_1: has the options {}, not {'unique': True}"]


def test_ensure_indexes_explains_duplicates_instead_of_failing_with_a_traceback(capsys, indexes_restored):
    collection = Batch._get_collection()
    collection.drop_index("batch_number_1")
    collection.insert_many([{"batch_number": "DUP-1"}, {"batch_number": "DUP-1"}])

    with pytest.raises(CommandError, match="fix what is listed above"):
        call_command("ensure_indexes")

    assert "batch_number_1: documents already share a value of ['batch_number']" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("code", "advice"),
    [
        (85, "claim: MongoDB holds an index with these keys under another name, or one named claim that differs"),
        (86, "claim: an index named claim exists with other keys or, on MongoDB 5.0 and later, other unique"),
    ],
)
def test_index_conflicts_are_named_by_their_code_and_say_what_to_drop(code, advice):
    message = indexes._conflict("issuance_jobs", {"name": "claim"}, OperationFailure("conflict", code=code))

    assert message.startswith(advice) and "run ensure_indexes again" in message
    assert ("db.issuance_jobs.dropIndex('claim')" in message) == (code == 86)


def test_the_old_sparse_dedupe_index_is_replaced_by_a_partial_one(capsys, indexes_restored):
    collection = Notification._get_collection()
    collection.drop_index("dedupe")
    collection.create_index("dedupe_key", name="dedupe_key_1", unique=True, sparse=True)

    call_command("ensure_indexes")

    info = collection.index_information()
    assert "dedupe_key_1" not in info
    assert info["dedupe"]["partialFilterExpression"] == {"dedupe_key": {"$type": "string"}}
    assert "notifications: dropped the obsolete index dedupe_key_1" in capsys.readouterr().out


def test_notifications_without_a_dedupe_key_never_collide():
    collection = Notification._get_collection()
    base = {"recipient": "exporter", "kind": "certificate_ready", "title": "t", "message": "m"}

    collection.insert_many([{**base, "dedupe_key": None}, {**base, "dedupe_key": None}, {**base}, {**base}])

    assert collection.count_documents({}) == 4


@embedded_only
@pytest.mark.django_db(transaction=True)
def test_the_worker_rides_out_a_database_outage_and_resumes(batch, monkeypatch):
    make_inspection(batch)
    outage, refused = threading.Event(), []
    outage.set()
    real_getattr, real_claim = embedded._Locked.__getattr__, embedded._Locked.find_one_and_update

    def failing_getattr(self, name):
        if outage.is_set():
            refused.append(name)
            raise AutoReconnect("connection refused")
        return real_getattr(self, name)

    def failing_claim(self, *args, **kwargs):
        if outage.is_set():
            refused.append("find_one_and_update")
            raise AutoReconnect("connection refused")
        return real_claim(self, *args, **kwargs)

    monkeypatch.setattr(embedded._Locked, "__getattr__", failing_getattr)
    monkeypatch.setattr(embedded._Locked, "find_one_and_update", failing_claim)
    monkeypatch.setattr("issuance.worker.OUTAGE_BACKOFF_MIN_SECONDS", 0.01)
    monkeypatch.setattr("issuance.worker.OUTAGE_BACKOFF_MAX_SECONDS", 0.05)
    worker = Worker(poll_interval_ms=20, lease_seconds=10)
    thread = worker.start_in_background()
    try:
        wait_until(lambda: refused.count("find_one_and_update") >= 3, what="claims refused by the outage")
        assert thread.is_alive()  # the loop did not end
        outage.clear()
        wait_until(lambda: IssuanceJob.objects.get().status == JobStatus.SUCCESS, what="the job after the outage")
    finally:
        worker.stop()
        thread.join(10)
    assert Certificate.objects.count() == 1


def test_a_revocation_cut_short_after_the_status_bit_is_already_seen_and_completes_when_repeated(batch, monkeypatch):
    certificate = issue_certificate(make_inspection(batch))
    real_objects = Certificate.objects

    class Failover:  # the primary steps down at the write that marks the certificate revoked
        def __call__(self, *args, **kwargs):
            if kwargs.get("status") == "active" or "active" in kwargs.get("status__in", ()):
                raise AutoReconnect("primary stepped down")
            return real_objects(*args, **kwargs)

    monkeypatch.setattr(Certificate, "objects", Failover())
    with pytest.raises(AutoReconnect):
        revoke(certificate, by="auditor", reason="fraud")
    monkeypatch.undo()

    assert certificate.reload().status == "active"
    assert verify(certificate.credential).revocation.reason == "revoked by its issuer"
    assert revoke(certificate, by="auditor", reason="fraud").done
    assert certificate.reload().status == "revoked"


def test_revoking_again_repairs_a_revocation_whose_bit_never_landed(batch):
    from certificates.models import StatusList

    certificate = issue_certificate(make_inspection(batch))
    Certificate.objects(pk=certificate.pk).update_one(set__status="revoked", set__revocation_published=True)

    revoke(certificate, by="auditor", reason="fraud")

    assert certificate.status_list_index in StatusList.objects.get(list_id=certificate.status_list_id).revoked


def test_prefix_search_is_an_index_range_in_any_case(api):
    for number in ("RICE-2026-001", "rice-2026-002", "COFFEE-1"):
        make_batch(number)

    found = Batch.matching(Batch.objects, "Rice-2026").order_by("search_key")

    assert [b.batch_number for b in found] == ["RICE-2026-001", "rice-2026-002"]
    query = found._query
    assert query == {"search_key": {"$gte": "RICE-2026", "$lt": "RICE-2026\U0010ffff"}}


def test_batches_stored_before_the_search_key_get_it_from_ensure_indexes():
    Batch._get_collection().insert_one({"_id": ObjectId(), "batch_number": "old-1", "exporter": "e"})

    call_command("ensure_indexes")

    assert Batch._get_collection().find_one({"batch_number": "old-1"})["search_key"] == "OLD-1"


def test_a_uri_asking_for_secondary_reads_is_refused():
    from core.environment import mongodb_database_name

    with pytest.raises(ImproperlyConfigured, match="must read from the primary"):
        mongodb_database_name("MONGODB_URI", "mongodb://a,b/agriqcert?replicaSet=rs0&readPreference=secondary")
