"""Credentials Inji Certify issued that no certificate will carry, and their revocation at Certify.

A credential Certify returned is an orphan when it cannot be kept: its worker had lost the job's
lease before it could keep the answer, the answer was refused (wrong issuer or claims, a signature
that does not verify, a QR code too dense), another certificate was stored for the inspection
first, or its job gave up holding it. Each is recorded (OrphanCredential) and revoked at Certify
through its credentialStatus entry, so that at most one credential per inspection revision stays
valid. What Certify did not take is retried by every worker's sweep, with backoff; operators see
the orphans in the admin, at /metrics and in `manage.py issuance_status`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime, timedelta

from bson import ObjectId
from mongoengine import NotUniqueError
from pymongo import ASCENDING, ReturnDocument

from certificates.models import Certificate
from core.clock import utcnow
from issuance import queue
from issuance.inji import IssuerError, revoke_at_certify
from issuance.inji.certify import revocation_entry
from issuance.models import IssuanceJob, OrphanCredential, OrphanState

log = logging.getLogger(__name__)

RETRY_BASE_SECONDS, RETRY_MAX_SECONDS = 30, 3600


def record(credential: dict, job: IssuanceJob, *, reason: str, worker: str = "") -> OrphanCredential:
    """Record `credential` as an orphan of `job` and try to revoke it at once; recording the same
    credential again returns the first record."""
    entry = revocation_entry(credential)
    orphan = OrphanCredential(
        credential_id=orphan_id(credential),
        job_id=job.pk,
        dedupe_key=job.dedupe_key,
        batch_number=job.batch_number,
        reason=reason[:1000],
        worker=worker or None,
        status_entry=entry,
        state=OrphanState.PENDING if entry else OrphanState.UNREVOCABLE,
        next_attempt_at=utcnow() if entry else None,
        last_error=None if entry else "it has no revocation status entry: revoke it at Inji Certify by hand",
    )
    try:
        orphan.save(force_insert=True)
    except NotUniqueError:
        return OrphanCredential.objects.get(credential_id=orphan.credential_id)
    log.warning(
        "job=%s batch=%s credential=%s outcome=orphan_recorded state=%s reason=%r",
        job.pk,
        job.batch_number,
        orphan.credential_id,
        orphan.state,
        orphan.reason,
    )
    revoke_due(only=orphan.pk)
    return orphan.reload()


def orphan_id(credential: dict) -> str:
    """The credential's id; a digest of it when it has none (Certify's template may leave it out)."""
    if isinstance(credential.get("id"), str) and credential["id"]:
        return credential["id"]
    text = json.dumps(credential, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def adopt_unkept(job_id: ObjectId | None = None) -> int:
    """Record (and revoke) the answers jobs gave up holding; all jobs', or one job's."""
    condition = {"unkept__at__exists": True} if job_id is None else {"pk": job_id}
    adopted = 0
    for job in IssuanceJob.objects(**condition).only("dedupe_key", "batch_number", "unkept"):
        for unkept in job.unkept:
            record(json.loads(unkept.credential), job, reason=unkept.reason, worker=unkept.worker or "")
        if job.unkept:
            queue.forget_unkept(job.pk, [unkept.at for unkept in job.unkept])
            adopted += len(job.unkept)
    return adopted


def revoke_due(now: datetime | None = None, *, only: ObjectId | None = None) -> int:
    """Revoke at Certify the pending orphans whose next attempt is due; returns how many it took."""
    now = now or utcnow()
    revoked = 0
    while (orphan := _claim(now, only)) is not None:
        revoked += _revoke(orphan, now)
        if only is not None:
            break
    return revoked


def sweep(now: datetime | None = None) -> int:
    """What a worker runs now and then: adopt unkept answers, retry revocations Certify did not take."""
    adopt_unkept()
    return revoke_due(now)


def _claim(now: datetime, only: ObjectId | None) -> OrphanCredential | None:
    """One pending orphan, its next attempt pushed back first: two workers never revoke it at once,
    and one that dies mid-way leaves it to the next sweep."""
    condition: dict = {"state": OrphanState.PENDING, "next_attempt_at": {"$lte": now}}
    if only is not None:
        condition["_id"] = only
    collection = OrphanCredential._get_collection()
    document = collection.find_one_and_update(
        condition,
        {"$inc": {"attempts": 1}, "$set": {"next_attempt_at": now + timedelta(seconds=RETRY_MAX_SECONDS)}},
        sort=[("next_attempt_at", ASCENDING)],
        return_document=ReturnDocument.AFTER,
    )
    return OrphanCredential._from_son(document) if document else None


def _revoke(orphan: OrphanCredential, now: datetime) -> int:
    if _carried_by_certificate(orphan):
        _settle(orphan, state=OrphanState.IN_USE, last_error="its certificate carries it: not revoked")
        return 0
    try:
        revoke_at_certify(orphan.status_entry)
    except IssuerError as exc:
        retry_at = now + timedelta(seconds=min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** (orphan.attempts - 1)))
        _settle(orphan, state=OrphanState.PENDING, last_error=str(exc)[:1000], next_attempt_at=retry_at)
        log.warning(
            "batch=%s credential=%s outcome=orphan_revocation_failed attempt=%s retry_at=%s error=%r",
            orphan.batch_number,
            orphan.credential_id,
            orphan.attempts,
            f"{retry_at:%H:%M:%S}",
            str(exc),
        )
        return 0
    _settle(orphan, state=OrphanState.REVOKED, last_error=None, revoked_at=utcnow())
    log.info("batch=%s credential=%s outcome=orphan_revoked", orphan.batch_number, orphan.credential_id)
    return 1


def _carried_by_certificate(orphan: OrphanCredential) -> bool:
    """Never revoke a stored certificate's credential: only the certificate for the orphan's key
    could carry it, and Certify gives each credential its own status entry."""
    certificate = (
        Certificate.objects(certificate_key=orphan.dedupe_key).only("status_list_id", "status_list_index").first()
    )
    entry = orphan.status_entry or {}
    return (
        certificate is not None
        and certificate.status_list_id == str(entry.get("statusListCredential"))
        and str(certificate.status_list_index) == str(entry.get("statusListIndex"))
    )


def _settle(orphan: OrphanCredential, *, state: OrphanState, last_error: str | None, **fields: object) -> None:
    OrphanCredential.objects(pk=orphan.pk, state=OrphanState.PENDING).update_one(
        set__state=state, set__last_error=last_error, **{f"set__{name}": value for name, value in fields.items()}
    )
