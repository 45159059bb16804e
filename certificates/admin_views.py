"""Admin pages to browse batches, inspections and certificates, and to revoke a certificate."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from certificates import listing
from certificates.lifecycle import may_revoke, revoke
from certificates.lookup import find_certificate
from certificates.models import Batch, BatchStatus, Certificate, CertificateStatus, Inspection, InspectionOutcome
from certificates.trust import public_policy
from core.admin_pages import (
    PERIODS,
    confirm_or_run,
    paginate,
    period_links,
    query_string,
    render,
    requires_permission,
    sort_key,
    within_period,
)
from core.documents import get_document_or_404, load_references
from credentials.qr import qr_if_it_fits
from credentials.verification import verify_credential


def _of_batches_starting(queryset, prefix: str):
    """`queryset` narrowed to rows of batches whose number starts with `prefix`, and whether more
    batches matched than were taken."""
    ids, more = listing.batch_ids_starting(prefix)
    return queryset.filter(batch__in=ids), more


def _by_id(document: type, object_id: str):
    return get_document_or_404(document.objects, f"No {document.__name__.lower()} {object_id}", pk=object_id)


BATCH_SORTS = {"created": "created_at", "number": "batch_number"}


def batch_list(request: HttpRequest) -> HttpResponse:
    order_value, order = sort_key(request, BATCH_SORTS, "-created")
    batches = Batch.objects
    status = request.GET.get("status")
    if status in set(BatchStatus):
        batches = batches.filter(status=status)
    q, product = request.GET.get("q", "").strip(), request.GET.get("product", "").strip()
    batches = listing.searched(batches, listing.Filters(q=q, product=product))
    too_many_to_sort = False
    if request.GET.get("when") in PERIODS:
        batches = within_period(request, batches, "created_at")
        if order_value.lstrip("-") == "number":
            batches, too_many_to_sort = _by_number_within_period(batches)
            if too_many_to_sort:
                order_value, order = "-created", "-created_at"
    page = paginate(request, batches.order_by(order))
    return render(
        request,
        "admin/certificates/batch_list.html",
        "Batches",
        page=page,
        query=query_string(request),
        q=q,
        product=product,
        columns=_sort_columns(request, order_value, (("number", "Batch"), ("created", "Created"))),
        too_many_to_sort=too_many_to_sort and listing.BATCH_MATCHES,
        statuses=[(query_string(request, status=s), s.replace("_", " "), status == s) for s in BatchStatus],
        all_statuses=query_string(request, status=None),
        periods=period_links(request),
    )


def _by_number_within_period(dated) -> tuple[object, bool]:
    """The batches of a date period, to be sorted by number, and whether there were too many to.

    No index sorts by number and holds the dates, so the period's batches are found on a date index
    (up to BATCH_MATCHES, with the other filters) and only those are sorted by number, in memory. A
    period with more is left to be listed by date, and the page says so rather than sort part of it.
    """
    ids = list(dated.order_by("-created_at").scalar("id").limit(listing.BATCH_MATCHES + 1))
    if len(ids) > listing.BATCH_MATCHES:
        return dated, True
    return Batch.objects(pk__in=ids), False


def _sort_columns(request: HttpRequest, order_value: str, columns: tuple) -> list[tuple[str, str, str, str]]:
    """(label, url, aria-sort, arrow) of each sortable column header, as the admin's change lists:
    the link keeps every filter, and on the sorted column it reverses the order."""
    headers = []
    for key, label in columns:
        sorted_here = order_value.lstrip("-") == key
        descending = order_value.startswith("-")
        url = query_string(request, o=("" if descending or not sorted_here else "-") + key)
        state = ("descending" if descending else "ascending") if sorted_here else "none"
        headers.append((label, url, state, {"ascending": "\u00a0▲", "descending": "\u00a0▼"}.get(state, "")))
    return headers


def batch_detail(request: HttpRequest, batch_id: str) -> HttpResponse:
    batch = _by_id(Batch, batch_id)
    return render(
        request,
        "admin/certificates/batch_detail.html",
        f"Batch {batch.batch_number}",
        batch=batch,
        inspections=Inspection.objects(batch=batch).order_by("-inspected_at"),
        certificates=Certificate.objects(batch=batch).exclude("credential_json").order_by("-issued_at"),
        # certificates imports nothing from issuance: the jobs are one link away, by URL name.
        jobs_url=reverse("admin:issuance-jobs") + "?" + urlencode({"q": batch.batch_number}),
    )


def inspection_list(request: HttpRequest) -> HttpResponse:
    inspections = within_period(request, Inspection.objects.order_by("-inspected_at"), "inspected_at")
    outcome = request.GET.get("outcome")
    if outcome in set(InspectionOutcome):
        inspections = inspections.filter(outcome=outcome)
    q, more = request.GET.get("q", "").strip(), False
    if q:
        inspections, more = _of_batches_starting(inspections, q)
    page = paginate(request, inspections)
    load_references(page.object_list, "batch")
    return render(
        request,
        "admin/certificates/inspection_list.html",
        "Inspections",
        page=page,
        query=query_string(request),
        q=q,
        more_batches=more and listing.BATCH_MATCHES,
        outcomes=[(query_string(request, outcome=o), o.title(), outcome == o) for o in InspectionOutcome],
        all_outcomes=query_string(request, outcome=None),
        periods=period_links(request),
    )


def certificate_list(request: HttpRequest) -> HttpResponse:
    certificates = Certificate.objects.exclude("credential_json").order_by("-issued_at")
    certificates = within_period(request, certificates, "issued_at")
    status = request.GET.get("status")
    if status in set(CertificateStatus):
        certificates = certificates.filter(status=status)
    q, more = request.GET.get("q", "").strip(), False
    if q:
        found = find_certificate(q)  # a certificate's own id, or else the number a batch starts with
        if found:
            certificates = certificates.filter(pk=found.pk)
        else:
            certificates, more = _of_batches_starting(certificates, q)
    page = paginate(request, certificates)
    load_references(page.object_list, "batch")
    return render(
        request,
        "admin/certificates/certificate_list.html",
        "Certificates",
        page=page,
        query=query_string(request),
        q=q,
        more_batches=more and listing.BATCH_MATCHES,
        statuses=[(query_string(request, status=s), s.title(), status == s) for s in CertificateStatus],
        all_statuses=query_string(request, status=None),
        periods=period_links(request),
    )


def certificate_detail(request: HttpRequest, certificate_id: str) -> HttpResponse:
    certificate = _by_id(Certificate, certificate_id)
    credential = certificate.credential
    qr = qr_if_it_fits(credential)
    return render(
        request,
        "admin/certificates/certificate_detail.html",
        f"Certificate {certificate.credential_id}",
        certificate=certificate,
        credential_pretty=json.dumps(credential, indent=2, ensure_ascii=False),
        qr_svg=mark_safe(qr.svg(scale=3)) if qr else None,  # noqa: S308 - generated by segno from our own data
        result=verify_credential(credential, policy=public_policy()),
        can_revoke=request.user.has_perm("certificates.revoke_certificate") and may_revoke(certificate).done,
    )


@require_POST
@requires_permission("certificates.revoke_certificate")
def revoke_certificate(request: HttpRequest, certificate_id: str) -> HttpResponse:
    certificate = _by_id(Certificate, certificate_id)
    back = reverse("admin:certificates-certificate", args=[certificate.pk])
    reason = request.POST.get("reason", "").strip() or (certificate.revocation_reason or "")
    missing = request.POST.get("confirm") == "yes" and not reason

    def run() -> tuple[bool, str]:
        answer = revoke(certificate, by=request.user.get_username(), reason=reason)
        return answer.done, answer.message

    return confirm_or_run(
        request,
        question=f"Revoke the certificate for batch {certificate.batch.batch_number}?",
        details=["Verifiers will see it as revoked from now on. This cannot be undone."],
        action=run,
        back=back,
        extra_fields=[("reason", "Reason", reason)],
        error="Give a reason for the revocation; it is kept with the certificate." if missing else None,
    )
