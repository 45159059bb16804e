"""The server-rendered frontend: dashboards, batch and inspection forms, certificate and verify pages."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from certificates import lifecycle, renders
from certificates.access import (
    batch_for,
    batches_to_inspect,
    certificate_for,
    certificates_shared_with,
    inspections_by,
    may_open_batch,
    own_batches,
    own_certificates,
    public_certificate_for,
    visible_certificates,
)
from certificates.lifecycle import Answer, Problem
from certificates.models import Certificate, Inspection
from certificates.pdf import certificate_pdf
from certificates.throttling import IMPORTER_SEARCHES, VerifyThrottle
from certificates.trust import public_policy, verify_from_stranger
from core.request_limits import takes_files
from core.roles import EXPORTER, IMPORTER, QA_AGENCY, has_role, is_staff
from credentials.isolation import OverBudget
from credentials.qr import qr_if_it_fits
from credentials.verification import UnreadableCredential, read_credential, verify_credential
from issuance.api import issuance_status
from notifications.access import mark_all_read, notifications_for
from web.checks import checks_for_page
from web.forms import BatchForm, InspectionForm, ShareForm, VerifyForm
from web.list_views import batch_rows, with_batches


def roles_of(user) -> dict[str, bool]:
    return {
        "exporter": has_role(user, EXPORTER),
        "qa_agency": has_role(user, QA_AGENCY),
        "importer": has_role(user, IMPORTER),
        "staff": is_staff(user),
    }


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """A preview of each list the user has, its total, and a link to the whole list."""
    user = request.user
    roles = roles_of(user)
    context: dict = {"roles": roles}
    if roles["exporter"]:
        batches = own_batches(user).order_by("-created_at")
        context["batches"] = _preview(batches, batch_rows)
        context["certificates"] = _preview(_listed(own_certificates(user)), with_batches)
    if roles["qa_agency"] or roles["staff"]:
        context["to_inspect"] = _preview(batches_to_inspect(user).order_by("created_at"), list)
        context["inspected"] = _preview(inspections_by(user).order_by("-inspected_at"), with_batches)
    if roles["importer"]:
        context["shared"] = _preview(_listed(certificates_shared_with(user)), with_batches)
    notifications = notifications_for(user).order_by("-created_at")
    context["notifications"] = _preview(notifications, list)
    context["unread"] = notifications.filter(read_at=None).count()
    return render(request, "web/dashboard.html", context)


PREVIEW_ROWS = 5


def _preview(queryset, rows) -> dict:
    """The first rows of a list and its total, so the dashboard never cuts a list silently."""
    return {"rows": rows([document for document in queryset[:PREVIEW_ROWS]]), "total": queryset.count()}


def _listed(certificates):
    """Certificates as lists show them: newest first, without the credential each one carries."""
    return certificates.exclude("credential_json").order_by("-issued_at")


def _refuse_or_show(request: HttpRequest, answer: Answer, form=None) -> None:
    """Translate a refusal of `certificates.lifecycle`: 403 for a role's refusal, else words on the page."""
    if answer.problem == Problem.FORBIDDEN:
        raise PermissionDenied(answer.message)
    if form is None:
        messages.error(request, answer.message)
        return
    if request.method != "POST":
        return
    for field, problems in answer.errors.items():
        for problem in problems:
            form.add_error(field if field in form.fields else None, problem)


@login_required
def new_batch(request: HttpRequest) -> HttpResponse:
    form = BatchForm(request.POST or None)
    allowed = lifecycle.may_submit(request.user)
    _refuse_or_show(request, allowed, form)
    if request.method == "POST" and allowed.done and form.is_valid():
        answer = lifecycle.submit_batch(request.user, form.cleaned_data)
        if answer.done:
            messages.success(request, answer.message)
            return redirect("batch", batch_number=answer.subject.batch_number)
        _refuse_or_show(request, answer, form)
    return render(request, "web/batch_form.html", {"form": form})


@login_required
def batch_page(request: HttpRequest, batch_number: str) -> HttpResponse:
    batch = batch_for(request.user, batch_number)
    certificates = list(_listed(Certificate.objects(batch=batch)))
    numbers = {certificate.pk: len(certificates) - index for index, certificate in enumerate(certificates)}
    return render(
        request,
        "web/batch.html",
        {
            "batch": batch,
            "roles": roles_of(request.user),
            "inspections": Inspection.objects(batch=batch).order_by("-inspected_at"),
            "issuance": issuance_status(batch),
            # Newest first, numbered from the first issued, each with the number of the one that replaced it.
            "certificates": [
                (numbers[certificate.pk], certificate, numbers.get(certificate.superseded_by))
                for certificate in certificates
            ],
        },
    )


@login_required
def inspect_batch(request: HttpRequest, batch_number: str) -> HttpResponse:
    allowed = lifecycle.may_inspect(request.user)
    if allowed.problem == Problem.FORBIDDEN:
        raise PermissionDenied(allowed.message)
    batch = batch_for(request.user, batch_number)
    form = InspectionForm(request.POST or None)
    _refuse_or_show(request, allowed, form)
    if request.method == "POST" and allowed.done and form.is_valid():
        answer = lifecycle.record_inspection(request.user, batch, form.cleaned_data)
        if answer.done:
            messages.success(request, answer.message)
            return redirect("batch", batch_number=batch.batch_number)
        _refuse_or_show(request, answer, form)
    return render(request, "web/inspection_form.html", {"form": form, "batch": batch})


def _certificate_context(request: HttpRequest, certificate: Certificate) -> dict:
    credential = certificate.credential
    public = settings.SITE_URL + reverse("certificate-public", args=[certificate.public_token])
    qr = qr_if_it_fits(credential)
    return {
        "certificate": certificate,
        "subject": credential.get("credentialSubject", {}),
        "qr_svg": qr.svg(scale=4) if qr else None,
        "checks": checks_for_page(verify_credential(credential, policy=public_policy())),
        "public_url": public,
    }


@login_required
def certificate_page(request: HttpRequest, certificate_id: str) -> HttpResponse:
    certificate = certificate_for(request.user, certificate_id)
    return _certificate_page(request, certificate, ShareForm())


def _certificate_page(
    request: HttpRequest, certificate: Certificate, form: ShareForm, matches: list | None = None, status: int = 200
) -> HttpResponse:
    """The certificate as a signed-in reader sees it; its owner also sees whom it is shared with, and
    the share form (`matches`: the importers its last search found, to pick from)."""
    user = request.user
    context = _certificate_context(request, certificate)
    context["can_share"] = lifecycle.may_share(user, certificate).done
    context["is_owner"] = lifecycle.owns(user, certificate)
    context["can_open_batch"] = may_open_batch(user, certificate.batch)
    if certificate.superseded_by:
        replacement = Certificate.objects(pk=certificate.superseded_by).only("id", "credential_id").first()
        visible = replacement and visible_certificates(user).filter(pk=replacement.pk).only("id").first()
        context["replacement"] = replacement
        context["replacement_visible"] = visible is not None
    if context["is_owner"]:
        context["shared"] = lifecycle.importers_named(certificate.shared_with)
        context["share_form"] = form
        context["matches"] = matches
    return render(request, "web/certificate.html", context, status=status)


@login_required
@require_POST
def share_certificate(request: HttpRequest, certificate_id: str) -> HttpResponse:
    """Share with the importer typed (an exact username or e-mail address), or show the importers
    the text matches to pick from; a refusal is shown next to the field, with what was typed."""
    certificate = certificate_for(request.user, certificate_id)
    form = ShareForm(request.POST)
    if not form.is_valid():
        return _certificate_page(request, certificate, form, status=400)
    reference = form.cleaned_data["importer"]
    answer = lifecycle.share(request.user, certificate, reference)
    if answer.done:
        messages.success(request, answer.message)
        return redirect("certificate", certificate_id=certificate.pk)
    if answer.problem != Problem.INVALID:  # not about what was typed: the certificate's state, or a role
        _refuse_or_show(request, answer)
        return redirect("certificate", certificate_id=certificate.pk)
    searches = IMPORTER_SEARCHES.hit(f"user:{request.user.pk}")
    if not searches.allowed:
        form.add_error(
            "importer",
            f"You have searched for importers {IMPORTER_SEARCHES.limit} times in a minute: wait "
            f"{searches.retry_after} seconds, or type the importer's exact username or e-mail address.",
        )
        return _certificate_page(request, certificate, form, status=429)
    matches = lifecycle.find_importers(reference)
    if 0 < len(reference.strip()) < lifecycle.IMPORTER_SEARCH_LETTERS:
        problem = (
            f"{answer.message} To search, type at least {lifecycle.IMPORTER_SEARCH_LETTERS} letters of the "
            "importer's organisation or username."
        )
    elif matches:
        problem = f"Pick the importer you mean below: more than one name matches {reference!r}, or none exactly."
        if len(matches) == 1:
            problem = f"Check this is the importer you mean, then share: {reference!r} is not an exact name."
    else:
        problem = answer.message
    form.add_error("importer", problem)
    return _certificate_page(request, certificate, form, matches, status=400)


@login_required
@require_POST
def withdraw_certificate(request: HttpRequest, certificate_id: str, username: str) -> HttpResponse:
    certificate = certificate_for(request.user, certificate_id)
    answer = lifecycle.withdraw(request.user, certificate, username)
    if answer.done:
        messages.success(request, answer.message)
    else:
        _refuse_or_show(request, answer)
    return redirect("certificate", certificate_id=certificate.pk)


def public_certificate(request: HttpRequest, token: str) -> HttpResponse:
    certificate = public_certificate_for(token)
    return render(request, "web/certificate.html", _certificate_context(request, certificate))


def public_credential(request: HttpRequest, token: str) -> HttpResponse:
    certificate = public_certificate_for(token)
    response = HttpResponse(certificate.credential_json, content_type="application/vc+ld+json")
    response["Content-Disposition"] = f'attachment; filename="certificate-{certificate.batch.batch_number}.json"'
    return response


def public_qr_png(request: HttpRequest, token: str) -> HttpResponse:
    certificate = public_certificate_for(token)

    def draw() -> bytes:
        qr = qr_if_it_fits(certificate.credential)
        if qr is None:
            raise Http404("This certificate is too large for a readable QR code; use its JSON file.")
        return qr.printable_png()

    response = renders.rendered(request, certificate, renders.QR_PNG, draw, public=True)
    response["Content-Disposition"] = f'attachment; filename="certificate-{certificate.batch.batch_number}-qr.png"'
    return response


def public_certificate_pdf(request: HttpRequest, token: str) -> HttpResponse:
    certificate = public_certificate_for(token)

    def draw() -> bytes:
        if qr_if_it_fits(certificate.credential) is None:
            raise Http404("No such certificate, or too large for a printable QR code")
        verified = verify_credential(certificate.credential, policy=public_policy())
        # On paper the DID is what an importer can compare with what Inji Verify shows.
        label = " — ".join(part for part in (verified.issuer_id, verified.issuer_label) if part) or "an unknown issuer"
        return certificate_pdf(certificate, issuer_label=label, verify_url=settings.SITE_URL + reverse("verify"))

    response = renders.rendered(request, certificate, renders.PDF, draw, public=True)
    response["Content-Disposition"] = f'attachment; filename="certificate-{certificate.batch.batch_number}.pdf"'
    return response


@takes_files
def verify_page(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        throttle = VerifyThrottle()
        if not throttle.allow_request(request, None):
            wait = int(throttle.wait() or 60)
            context = {
                "form": VerifyForm(),
                "problem": f"Too many verifications from your address: try again in {wait} s.",
            }
            return render(request, "web/verify.html", context, status=429)
    form = VerifyForm(request.POST, request.FILES) if request.method == "POST" else VerifyForm()
    checks, problem = None, None
    if form.is_bound and form.is_valid():
        text = form.cleaned_data["text"].strip()
        try:
            document = read_credential(text)
        except UnreadableCredential as exc:
            if form.cleaned_data["from_code"]:
                problem = f"The QR code in that file holds no credential we can read: {exc}."
            else:
                problem = f"We could not read that as a credential: {exc}."
        else:
            try:
                checks = checks_for_page(verify_from_stranger(document))
            except OverBudget as exc:  # its check breached the limits of the process it ran in
                problem = f"This credential could not be checked: {exc}."
    return render(request, "web/verify.html", {"form": form, "checks": checks, "problem": problem})


@login_required
@require_POST
def read_notifications(request: HttpRequest) -> HttpResponse:
    mark_all_read(request.user)
    return redirect("dashboard")


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True
