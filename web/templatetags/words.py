"""Template filters that turn stored values into the words a person reads."""

from __future__ import annotations

from django import template
from django.urls import reverse

from certificates import words
from certificates.countries import country_name
from certificates.words import exact_number

register = template.Library()

STATUS_WORDS = {
    "submitted": "waiting for inspection",
    "inspection_failed": "failed inspection",
    "awaiting_certificate": "certificate being issued",
    "certified": "certified",
    "revoked": "certificate revoked",
    "pending": "being issued",
    "active": "valid",
    "superseded": "replaced",
    "passed": "passed",
    "failed": "failed",
}
PLURAL_UNITS = {"bag": "bags", "carton": "cartons"}


@register.filter
def country(code: str | None) -> str:
    """IN → India; an unknown code stays as it is."""
    return (country_name(code) or code) if code else "–"


@register.filter
def amount(value: float | None, unit: str = "") -> str:
    """12500.0, "kg" → "12,500 kg"; 320, "bag" → "320 bags"."""
    if value is None:
        return "–"
    number = exact_number(value)
    unit = PLURAL_UNITS.get(unit, unit) if value != 1 else unit
    return f"{number} {unit}".strip()


@register.filter
def status_words(status: str) -> str:
    return STATUS_WORDS.get(str(status), str(status).replace("_", " "))


@register.filter
def day(value) -> str:
    """3 December 2026."""
    return words.day(value) or "–"


@register.filter
def moment(value, precision: str = "") -> str:
    """3 December 2026, 16:01 UTC: every time a page shows, with its zone; `moment:"seconds"` for operators."""
    return words.moment(value, seconds=precision == "seconds") or "–"


@register.filter
def short_id(value) -> str:
    return words.short_id(value)


@register.filter
def readable(value) -> str:
    return words.readable(str(value or ""))


@register.filter
def certificate_state(certificate) -> str:
    """active, pending, revoked, or superseded (revoked because a newer certificate replaced it)."""
    if certificate.status == "revoked" and certificate.superseded_by:
        return "superseded"
    return str(certificate.status)


@register.simple_tag
def batch_state(batch, job: dict | None, roles: dict | None) -> dict:
    """A batch's badge and the sentence that says what happened and what this reader can do next.

    `job` is the batch's latest issuance job as `issuance.api.issuance_status` serialises it. Staff
    read the technical detail and where to retry; exporters and inspectors read the reason in plain
    words and that staff act on it."""
    roles = roles or {}
    reader = "staff" if roles.get("staff") else "inspector" if roles.get("qa_agency") else "exporter"
    status = str(batch.status)
    if status == "awaiting_certificate" and job and job.get("gave_up"):
        return _gave_up(batch, job, reader)
    if status == "awaiting_certificate" and job and job.get("will_retry"):
        return _will_retry(job, reader)
    sentences = STATE_SENTENCES.get(status, {})
    return {
        "tone": status,
        "badge": status_words(status),
        "sentence": sentences.get(reader) or sentences.get("exporter", ""),
    }


STATE_SENTENCES = {
    "submitted": {
        "exporter": "A QA agency will inspect it; you are told the result here and by notification.",
        "inspector": "It is waiting for its inspection: record it once the batch has been sampled.",
        "staff": "It is waiting for a QA agency's inspection.",
    },
    "inspection_failed": {
        "exporter": "It failed its latest inspection, so it has no certificate in force. "
        "A QA agency can re-test it once the cause is put right.",
        "inspector": "It failed its latest inspection. Record a re-test when it has been sampled again.",
    },
    "awaiting_certificate": {
        "exporter": "It passed inspection and its certificate is being issued, usually within a minute. "
        "You are notified when it is ready.",
        "inspector": "It passed inspection and its certificate is being issued.",
    },
    "certified": {
        "exporter": "Its certificate is in force: open it to download the QR code or the PDF, or to share it "
        "with importers.",
        "inspector": "Its certificate is in force. A failed re-test revokes it; a passing one replaces it.",
    },
    "revoked": {
        "exporter": "Its certificate was revoked, and the importers it was shared with were told. "
        "The reason is shown with the certificate below.",
        "inspector": "Its certificate was revoked; the exporter and the importers it was shared with were told.",
    },
}


def _gave_up(batch, job: dict, reader: str) -> dict:
    state = {"tone": "failed", "badge": "certificate not issued"}
    if reader == "staff":
        state["sentence"] = (
            f"Issuance gave up after {job['attempts']} of {job['max_attempts']} attempts: {job.get('last_error')}. "
            "The exporter was told that staff will retry it."
        )
        state["retry_url"] = reverse("admin:issuance-job", args=[job["id"]])
        return state
    reason = job.get("reason") or "the certificate service could not complete it"
    who = "Our staff have" if reader == "exporter" else "Staff have"
    state["sentence"] = (
        f"It passed inspection, but its certificate could not be issued: {reason}. {who} been told and will "
        "retry it" + ("; you are notified when the certificate is ready." if reader == "exporter" else ".")
    )
    return state


def _will_retry(job: dict, reader: str) -> dict:
    when = words.moment(job.get("next_attempt_at")) or "shortly"
    attempt = f"Attempt {job['attempts']} of {job['max_attempts']} failed"
    if reader == "staff":
        sentence = f"{attempt}: {job.get('last_error')}. The next attempt is due at {when}."
    else:
        sentence = (
            f"It passed inspection. Issuing its certificate did not work this time ({job.get('reason')}); "
            f"it is tried again automatically at {when}. Nothing for you to do."
        )
    return {"tone": "awaiting_certificate", "badge": "certificate delayed", "sentence": sentence}


@register.filter
def field_errors(form) -> list[tuple]:
    """(field, error) for each error of a field, in the form's order: what an error summary links to."""
    return [(field, error) for field in form for error in field.errors]
