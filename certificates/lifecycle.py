"""Batches and certificates: every change of their state, and every "may I?" about them.

Like `issuance.queue` and `issuance.requests` for jobs, this module is the one owner. Pages, the
API, the admin and commands ask here and only translate the `Answer` into a status code or a
message, so a refusal reads the same wherever it is met.

- A batch's status follows its inspections. A re-inspection of a certified batch is a re-test: a
  failed one revokes the active certificate (its status bit set, the reason recorded, the exporter
  and the importers it was shared with told); a passing one issues a new certificate, which
  supersedes the previous one (revoked as superseded, the two linked).
- "At most one active certificate per batch" is also a partial unique index, so two workers
  storing certificates for one batch at once cannot both leave theirs active.
- No transaction spans the writes of a change (MongoEngine takes no session, the embedded store
  has none, and Inji Certify's status list is not in the database): they are ordered so that a
  process killed between any two leaves a state that is valid and that repeating the change
  completes, every step being idempotent. Storing a certificate: stored pending (the previous one
  still in force), the previous one revoked and linked, the new one active, the batch certified
  — the job's retry finishes it (`mark_certified`). Revoking: the issuer's status-list bit (so
  verifiers see it first), the certificate's mark, the batch's status, the holders' notices —
  revoking again finishes it, and retries an issuer that did not take it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bson import ObjectId
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from mongoengine import NotUniqueError
from mongoengine import ValidationError as DocumentValidationError

from certificates.models import Batch, BatchStatus, Certificate, CertificateStatus, Inspection
from certificates.status_lists import publish_revocation
from certificates.validators import validate_inspection_time, validate_organisation
from certificates.words import day, readable, short_id
from core.clock import utcnow
from core.roles import EXPORTER, IMPORTER, QA_AGENCY, has_role, is_staff, organisation
from notifications.delivery import notify
from notifications.models import NotificationKind

log = logging.getLogger(__name__)

SYSTEM = "AgriQCert"
STORE_ATTEMPTS = 3
NON_FIELD = "non_field_errors"


class Problem(StrEnum):
    """Why something was not done; each caller maps it to its own status code once."""

    FORBIDDEN = "forbidden"  # the user's role may not do this (HTTP 403)
    INVALID = "invalid"  # a value is wrong; `errors` names the fields (HTTP 400)
    CONFLICT = "conflict"  # the object's state does not allow it (HTTP 409)
    UNPUBLISHED = "unpublished"  # done here, but the issuer did not take it (HTTP 502)


class RevocationOutcome(StrEnum):
    REVOKED = "revoked"  # revoked now, and the issuer's status list says so
    REPAIRED = "repaired"  # revoked earlier; the issuer has now taken the revocation too
    ALREADY_REVOKED = "already_revoked"
    NOT_PUBLISHED = "not_published"  # revoked here; the issuer did not take it (yet)
    REFUSED = "refused"


@dataclass(frozen=True)
class Answer:
    """What was done (or would be), or why not, with a sentence for people."""

    message: str
    problem: Problem | None = None
    errors: Mapping[str, list[str]] = field(default_factory=dict)  # field -> problems, for forms
    subject: Any = None  # the batch, inspection or certificate acted on
    outcome: str = ""

    @property
    def done(self) -> bool:
        return self.problem is None


def _refused(problem: Problem, message: str, *, errors: Mapping[str, list[str]] | None = None, **kw: Any) -> Answer:
    return Answer(message, problem, errors or {NON_FIELD: [message]}, **kw)


class CredentialIdTaken(ValueError):
    """The issuer returned a credential id another certificate already has."""


# --- batches ------------------------------------------------------------------------------------


def may_submit(user) -> Answer:
    if not has_role(user, EXPORTER):
        return _refused(Problem.FORBIDDEN, "Only exporters submit batches.")
    return _printable_organisation(user) or Answer("You may submit batches.")


def submit_batch(user, values: Mapping[str, Any]) -> Answer:
    """Store a new batch for the exporter `user`; `values` are its fields as a form or the API read them."""
    allowed = may_submit(user)
    if not allowed.done:
        return allowed
    batch = Batch(
        **{k: v for k, v in values.items() if v not in ("", None)},
        exporter=user.get_username(),
        exporter_name=organisation(user),
    )
    try:
        batch.save(force_insert=True)
    except NotUniqueError:
        message = "A batch with this number exists already."
        return _refused(Problem.INVALID, message, errors={"batch_number": [message]})
    except DocumentValidationError as exc:
        return _refused(Problem.INVALID, exc.message, errors=document_errors(exc))
    return Answer(f"Batch {batch.batch_number} was submitted; a QA agency will inspect it.", subject=batch)


def may_inspect(user) -> Answer:
    if not (has_role(user, QA_AGENCY) or is_staff(user)):
        return _refused(Problem.FORBIDDEN, "Only QA agencies record inspections.")
    return _printable_organisation(user) or Answer("You may record inspections.")


def record_inspection(user, batch: Batch, values: Mapping[str, Any]) -> Answer:
    """Record an inspection of `batch` by `user`; a passing one has the certificate issued (by the hook)."""
    allowed = may_inspect(user)
    if not allowed.done:
        return allowed
    fields = {k: v for k, v in values.items() if v is not None}
    fields["inspected_at"], problem = _inspection_time(batch, fields.get("inspected_at"))
    if problem:
        return _refused(Problem.INVALID, problem, errors={"inspected_at": [problem]})
    inspection = Inspection(batch=batch, inspector=user.get_username(), agency=organisation(user), **fields)
    in_force = active_certificate(batch)
    try:
        inspection.save()
    except DocumentValidationError as exc:
        return _refused(Problem.INVALID, exc.message, errors=document_errors(exc))
    message = f"Inspection recorded: batch {batch.batch_number} {inspection.outcome}. " + _what_follows(
        inspection, in_force
    )
    return Answer(message, subject=inspection)


def _what_follows(inspection: Inspection, in_force: Certificate | None) -> str:
    """What the inspection did to the batch's certificate, for the inspector who recorded it."""
    if in_force is None:
        return "Its certificate is being issued." if inspection.passed else "No certificate is issued."
    if inspection.passed:
        return "A new certificate is being issued; it replaces the current one as soon as it is issued."
    in_force.reload()
    if in_force.status != CertificateStatus.REVOKED:
        return "Its certificate is still in force: this inspection is older than the latest one."
    importers = len(in_force.shared_with)
    told = (
        f"the exporter and the {importers} importer{'s' if importers != 1 else ''} it was shared with were told"
        if importers
        else "the exporter was told (it had not been shared with any importer)"
    )
    return f"Its certificate was revoked, so verifiers now report it as revoked; {told}."


def _inspection_time(batch: Batch, chosen: datetime | None) -> tuple[datetime, str]:
    """When the inspection happened: now, or the time the inspector chose where the deployment allows
    backdating (INSPECTION_BACKDATING_DAYS) and it lies in the window; else why not."""
    now = utcnow()
    if chosen is None:
        return now, ""
    try:
        validate_inspection_time(
            chosen, submitted_at=batch.created_at, backdating_days=settings.INSPECTION_BACKDATING_DAYS, now=now
        )
    except DjangoValidationError as exc:
        return now, exc.messages[0]
    return chosen, ""


def _printable_organisation(user) -> Answer | None:
    """A refusal when the user's name cannot be printed on a certificate, else None."""
    try:
        validate_organisation(organisation(user))
    except DjangoValidationError as exc:
        return _refused(Problem.INVALID, exc.messages[0])
    return None


def document_errors(error: DocumentValidationError) -> dict[str, list[str]]:
    """MongoEngine's validation errors per field (cross-field ones under NON_FIELD)."""
    errors: dict[str, list[str]] = {}
    for name, detail in (error.errors or {}).items():
        # clean() reports cross-field errors under __all__, naming the field on the error itself.
        name = getattr(detail, "field_name", None) or name
        errors.setdefault(NON_FIELD if name == "__all__" else name, []).append(str(getattr(detail, "message", detail)))
    return errors or {NON_FIELD: [error.message]}


def _set_batch_status(batch_id: object, status: BatchStatus) -> None:
    Batch.objects(pk=batch_id).update_one(set__status=status, set__updated_at=utcnow())


def follow_inspection(inspection: Inspection) -> None:
    """The batch's status after `inspection` was saved; a failed re-test revokes its certificate."""
    latest = Inspection.objects(batch=inspection.batch).order_by("-inspected_at").only("id").first()
    if latest is None or latest.pk != inspection.pk:
        return
    batch = inspection.batch
    active = active_certificate(batch)
    if active is None:
        passed = inspection.passed
        _set_batch_status(batch.pk, BatchStatus.AWAITING_CERTIFICATE if passed else BatchStatus.INSPECTION_FAILED)
    elif not inspection.passed:
        reason = f"Re-test failed on {day(inspection.inspected_at)} ({inspection.agency})"
        revoke(active, by=inspection.inspector, reason=reason, batch_status=BatchStatus.INSPECTION_FAILED)
    # A passing re-test keeps the batch certified until its new certificate supersedes the old one.


# --- certificates -------------------------------------------------------------------------------


def active_certificate(batch: Batch) -> Certificate | None:
    return Certificate.objects(batch=batch, status=CertificateStatus.ACTIVE).first()


def store_active(certificate: Certificate, *, batch_certified: bool = True) -> Certificate:
    """Store `certificate` as its batch's one active certificate, superseding the previous one.

    The writes are ordered so that a crash between any two leaves a state the job's retry completes
    (through `mark_certified`): the certificate is stored first, pending, beside the previous one,
    which is still in force; then the previous one is revoked and linked to it; then it becomes
    active; then the batch is certified. With `batch_certified` False (the batch as the caller read
    it has no active certificate) no previous one is looked up before storing.

    Returns the stored certificate — another worker's, when it stored the same one first."""
    certificate.id = certificate.id or ObjectId()
    certificate.status = CertificateStatus.PENDING
    previous = active_certificate(certificate.batch) if batch_certified else None
    certificate.supersedes = previous.pk if previous is not None else None
    try:
        certificate.save(force_insert=True)
    except NotUniqueError:
        same = Certificate.objects(certificate_key=certificate.certificate_key).first()
        if same is None and Certificate.objects(credential_id=certificate.credential_id).first() is not None:
            raise CredentialIdTaken(
                f"the issuer returned credential id {certificate.credential_id}, which another certificate has"
            ) from None
        if same is None:
            raise
        certificate = same  # a duplicate job, or a lease taken over: keep the first (and finish storing it)
    return mark_certified(certificate)


def mark_certified(certificate: Certificate) -> Certificate:
    """Finish storing `certificate`, whatever a crash left undone, and return it as it now stands: a
    pending one supersedes the certificates it replaces and comes into force; the batch of an active
    one is certified. Every step is idempotent, so a job's retry (or a second job) may run it again."""
    certificate.reload()
    if certificate.status == CertificateStatus.PENDING:
        certificate = _put_in_force(certificate)
    if certificate.status == CertificateStatus.ACTIVE:
        _set_batch_status(certificate.batch.pk, BatchStatus.CERTIFIED)
    return certificate


def _put_in_force(certificate: Certificate) -> Certificate:
    """Supersede the certificate this one was stored to replace and whichever is active now, then
    activate it; should another become active meanwhile (the unique index refuses), supersede that too."""
    for _ in range(STORE_ATTEMPTS):
        replaced = [Certificate.objects(pk=certificate.supersedes).first()] if certificate.supersedes else []
        replaced.append(active_certificate(certificate.batch))
        for previous in {found.pk: found for found in replaced if found is not None}.values():
            supersede(previous, certificate)
        try:
            Certificate.objects(pk=certificate.pk, status=CertificateStatus.PENDING).update_one(
                set__status=CertificateStatus.ACTIVE
            )
        except NotUniqueError:
            continue  # another worker's certificate became active meanwhile
        certificate.reload()
        return certificate
    raise NotUniqueError(f"batch {certificate.batch.batch_number} kept getting new active certificates")


def supersede(previous: Certificate, new: Certificate) -> Answer:
    """Revoke `previous` as superseded by `new` and link the two (idempotent: a resumed store repeats it)."""
    reason = f"Superseded by certificate {new.credential_id} after a passing re-test"
    answer = revoke(previous, by=SYSTEM, reason=reason, batch_status=None, replacement=new)
    Certificate.objects(pk=previous.pk, superseded_by=None).update_one(set__superseded_by=new.id)
    if new.supersedes != previous.pk:
        Certificate.objects(pk=new.pk).update_one(set__supersedes=previous.pk)
        new.supersedes = previous.pk
    return answer


def may_revoke(certificate: Certificate) -> Answer:
    """Whether revoking would change anything: an active certificate, or one whose issuer did not take it."""
    if certificate.status == CertificateStatus.REVOKED and certificate.revocation_published is not False:
        when = f" on {day(certificate.revoked_at)}" if certificate.revoked_at else ""
        return _refused(Problem.CONFLICT, f"Certificate {certificate.credential_id} was already revoked{when}.")
    return Answer(f"Certificate {certificate.credential_id} may be revoked.")


def revoke(
    certificate: Certificate,
    *,
    by: str,
    reason: str,
    batch_status: BatchStatus | None = BatchStatus.REVOKED,
    replacement: Certificate | None = None,
) -> Answer:
    """Revoke `certificate` and have its issuer's status list say so (see the module's notes).

    Every step is idempotent and is taken again by revoking again: the bit, the certificate's mark,
    the batch's status (`batch_status`, while the batch is certified and has no other active
    certificate; None leaves the batch to the caller) and the holders' notices (naming the
    `replacement` of a superseded certificate). So revoking again
    completes a revocation a crash interrupted, and repairs one whose bit never landed (or that its
    issuer did not take)."""
    if not reason.strip():
        message = "A reason is required to revoke a certificate; it is kept with the certificate."
        return _refused(Problem.INVALID, message, errors={"reason": [message]}, outcome=RevocationOutcome.REFUSED)
    certificate.reload()
    was_published = certificate.revocation_published
    now = utcnow()
    problem = publish_revocation(certificate, now)
    updated = _mark_revoked(certificate, by=by, reason=reason, now=now, problem=problem)
    certificate.reload()
    if updated:
        log.info("certificate=%s batch=%s outcome=revoked by=%s", certificate.credential_id, certificate.batch.pk, by)
    if batch_status is not None and active_certificate(certificate.batch) is None:
        Batch.objects(pk=certificate.batch.pk, status=BatchStatus.CERTIFIED).update_one(
            set__status=batch_status, set__updated_at=utcnow()
        )
    _tell_holders(certificate, certificate.revocation_reason or reason, replacement)
    return _revocation_answer(certificate, updated=updated, was_published=was_published, problem=problem)


def _mark_revoked(certificate: Certificate, *, by: str, reason: str, now: datetime, problem: str | None) -> bool:
    """One write: revoked, and whether the issuer took it; on a certificate revoked before, only the latter."""
    published = {"set__revocation_published": problem is None, "set__revocation_publish_error": problem}
    in_force = Certificate.objects(pk=certificate.pk, status__in=[CertificateStatus.ACTIVE, CertificateStatus.PENDING])
    revoked = {"set__revoked_at": now, "set__revoked_by": by, "set__revocation_reason": reason}
    if in_force.update_one(set__status=CertificateStatus.REVOKED, **revoked, **published):
        return True
    Certificate.objects(pk=certificate.pk).update_one(**published)
    return False


def _revocation_answer(
    certificate: Certificate, *, updated: bool, was_published: bool | None, problem: str | None
) -> Answer:
    name = f"Certificate {certificate.credential_id}"
    if problem is not None:
        log.warning("certificate=%s outcome=revocation_not_published error=%s", certificate.credential_id, problem)
        message = (
            f"{name} is revoked here, but its issuer did not take the revocation ({problem}); verifiers that read "
            "the issuer's status list still see it as valid. Revoke it again to retry."
        )
        return _refused(Problem.UNPUBLISHED, message, subject=certificate, outcome=RevocationOutcome.NOT_PUBLISHED)
    if updated or was_published is False:
        outcome = RevocationOutcome.REVOKED if updated else RevocationOutcome.REPAIRED
        return Answer(f"{name} is revoked; verifiers now see it as revoked.", subject=certificate, outcome=outcome)
    already = may_revoke(certificate)
    return _refused(Problem.CONFLICT, already.message, subject=certificate, outcome=RevocationOutcome.ALREADY_REVOKED)


def _tell_holders(certificate: Certificate, reason: str, replacement: Certificate | None = None) -> None:
    """The exporter and every importer it was shared with learn of the revocation and why; a
    superseded certificate's holders learn which certificate replaced it."""
    batch = certificate.batch
    old = f"Quality certificate {short_id(certificate.credential_id)} for {batch.product} batch {batch.batch_number}"
    for recipient in [certificate.exporter, *certificate.shared_with]:
        if replacement is not None:
            title = f"Certificate for batch {batch.batch_number} replaced"
            follow = (
                "Share the new certificate with your importers from its page."
                if recipient == certificate.exporter
                else f"Ask {batch.exporter_name} to share the new one with you if they have not yet."
            )
            message = (
                f"{old} was replaced by certificate {short_id(replacement.credential_id)} after a passing re-test; "
                f"verifiers now report the old one as revoked. {follow}"
            )
        else:
            title = f"Certificate for batch {batch.batch_number} revoked"
            message = f"{old} was revoked: {readable(reason)}. Verifiers now report it as revoked."
        notify(
            recipient,
            NotificationKind.CERTIFICATE_REVOKED,
            title,
            message,
            batch_id=batch.pk,
            batch_number=batch.batch_number,
            certificate_id=certificate.pk,
            dedupe_key=f"{NotificationKind.CERTIFICATE_REVOKED}:{certificate.pk}:{recipient}",
        )


# --- sharing ------------------------------------------------------------------------------------


def owns(user, certificate: Certificate) -> bool:
    """May `user` act as the certificate's owner?"""
    return has_role(user, EXPORTER) and certificate.exporter == user.get_username()


def may_share(user, certificate: Certificate) -> Answer:
    if not owns(user, certificate):
        return _refused(Problem.FORBIDDEN, "Only the exporter who owns a certificate shares it.")
    if certificate.status == CertificateStatus.REVOKED:
        revoked = f"Certificate {short_id(certificate.credential_id)} is revoked; a revoked certificate is not shared."
        return _refused(Problem.CONFLICT, revoked)
    if certificate.status != CertificateStatus.ACTIVE:
        pending = (
            f"Certificate {short_id(certificate.credential_id)} is still being issued; share it once it is in force."
        )
        return _refused(Problem.CONFLICT, pending)
    return Answer("You may share this certificate.")


def share(user, certificate: Certificate, reference: str) -> Answer:
    """Share with the importer named by username or e-mail; the importer is told."""
    allowed = may_share(user, certificate)
    if not allowed.done:
        return allowed
    importer, problem = _find_importer(reference)
    if importer is None:
        return _refused(Problem.INVALID, problem, errors={"importer": [problem]})
    username = importer.get_username()
    added = Certificate.objects(pk=certificate.pk, shared_with__ne=username).update_one(push__shared_with=username)
    batch = certificate.batch
    if added:
        notify(
            username,
            NotificationKind.CERTIFICATE_SHARED,
            f"{batch.exporter_name} shared a certificate with you",
            f"The quality certificate for {batch.product} batch {batch.batch_number} is now on your dashboard.",
            batch_id=batch.pk,
            batch_number=batch.batch_number,
            certificate_id=certificate.pk,
            dedupe_key=f"{NotificationKind.CERTIFICATE_SHARED}:{certificate.pk}:{username}",
        )
    return Answer(f"Shared with {username}; they see it on their dashboard now.", subject=certificate)


def _find_importer(reference: str) -> tuple[Any, str]:
    reference = reference.strip()
    if not reference:
        return None, "Enter the importer's username or e-mail address."
    match = Q(username=reference) | Q(email__iexact=reference) if "@" in reference else Q(username=reference)
    importers = get_user_model().objects.filter(match, groups__name=IMPORTER, is_active=True).distinct()
    if len(importers) != 1:
        return None, f"No importer has the username or e-mail address {reference!r}."
    return importers[0], ""


@dataclass(frozen=True)
class Importer:
    username: str
    organisation: str


IMPORTER_MATCHES = 10
# Fewer letters would let any exporter page through every importer's name in a few hundred searches
# (26² two-letter ones); the page also limits how often one exporter searches (certificates.throttling).
IMPORTER_SEARCH_LETTERS = 3


def find_importers(query: str, limit: int = IMPORTER_MATCHES) -> list[Importer]:
    """Importers an exporter may mean by `query`: part of their organisation's name or username, or
    their whole e-mail address (addresses are matched whole, so that none can be guessed letter by
    letter). For picking whom to share with; `share` still takes only an exact username or address."""
    query = query.strip()
    if len(query) < IMPORTER_SEARCH_LETTERS:
        return []
    match = Q(username__icontains=query) | Q(first_name__icontains=query) | Q(last_name__icontains=query)
    if "@" in query:
        match |= Q(email__iexact=query)
    found = get_user_model().objects.filter(match, groups__name=IMPORTER, is_active=True).distinct()
    found = found.order_by("first_name", "username")[:limit]
    return [Importer(user.get_username(), organisation(user)) for user in found]


def importers_named(usernames: list[str]) -> list[Importer]:
    """The importers behind `usernames`, in that order, by organisation (a username no longer known stays as it is)."""
    users = {user.get_username(): user for user in get_user_model().objects.filter(username__in=list(usernames))}
    return [Importer(name, organisation(users[name]) if name in users else name) for name in usernames]


def withdraw(user, certificate: Certificate, username: str) -> Answer:
    """The importer `username` no longer sees the certificate."""
    if not owns(user, certificate):
        return _refused(Problem.FORBIDDEN, "Only the exporter who owns a certificate withdraws a share.")
    if not Certificate.objects(pk=certificate.pk, shared_with=username).update_one(pull__shared_with=username):
        return _refused(Problem.CONFLICT, f"This certificate is not shared with {username!r}.")
    return Answer(f"{username} no longer sees this certificate.", subject=certificate)
