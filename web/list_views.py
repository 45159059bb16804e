"""The full lists behind the dashboard's previews: searched, filtered, sorted and paged, with the total.

Who sees which rows is certificates.access's answer; which filters a list takes (each served by an
index) is certificates.listing's. These views only read the query string and show the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pycountry
from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from certificates import listing
from certificates.access import (
    batches_to_inspect,
    certificates_shared_with,
    inspections_by,
    own_certificates,
    visible_batches,
)
from certificates.models import BatchStatus, CertificateStatus, InspectionOutcome
from core.documents import load_references
from core.pagination import page_of, query_string
from core.roles import QA_AGENCY, has_role, is_staff
from issuance.api import issuance_statuses
from notifications.access import notifications_for
from web.templatetags.words import status_words

PER_PAGE = 25
COUNTRIES = sorted(((country.alpha_2, country.name) for country in pycountry.countries), key=lambda pair: pair[1])


@dataclass(frozen=True)
class ListKind:
    """What one list offers: its words, its status filter (empty: none), whether it filters by origin."""

    title: str
    noun: str
    nouns: str
    template: str
    statuses: tuple[str, ...] = ()
    status_label: str = "Status"
    by_country: bool = False
    dated: str = "Date"
    oldest_first: bool = False  # the default order


class ListFilters(forms.Form):
    q = forms.CharField(label="Batch number starts with", required=False, max_length=100)
    status = forms.ChoiceField(required=False)
    country = forms.ChoiceField(label="Origin", required=False, choices=[("", "Any country"), *COUNTRIES])
    unread = forms.BooleanField(label="Unread only", required=False)
    since = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    sort = forms.ChoiceField(
        label="Order", required=False, choices=[("newest", "Newest first"), ("oldest", "Oldest first")]
    )

    def __init__(self, data, kind: ListKind, *, searchable: bool = True, unread: bool = False) -> None:
        data = data.copy()
        data.setdefault("sort", "oldest" if kind.oldest_first else "newest")
        super().__init__(data)
        if kind.statuses:
            self.fields["status"].label = kind.status_label
            self.fields["status"].choices = [("", "Any"), *((value, status_words(value)) for value in kind.statuses)]
        else:
            del self.fields["status"]
        for name, offered in (("q", searchable), ("country", kind.by_country), ("unread", unread)):
            if not offered:
                del self.fields[name]
        self.kind = kind

    def filters(self) -> listing.Filters:
        """The valid fields' values; a field with an error (shown beside it) filters nothing."""
        self.is_valid()
        values = self.cleaned_data
        sort = values.get("sort") or ("oldest" if self.kind.oldest_first else "newest")
        return listing.Filters(
            q=(values.get("q") or "").strip(),
            status=values.get("status") or "",
            country=values.get("country") or "",
            since=values.get("since"),
            until=values.get("until"),
            oldest_first=sort == "oldest",
        )

    def narrowed(self) -> bool:
        return any(self.cleaned_data.get(name) for name in ("q", "status", "country", "unread", "since", "until"))


def _show(
    request: HttpRequest, kind: ListKind, form: ListFilters, queryset, rows: Callable[[list], object], **more
) -> HttpResponse:
    page = page_of(request, queryset, PER_PAGE)
    return render(
        request,
        kind.template,
        {
            "kind": kind,
            "form": form,
            "page": page,
            "rows": rows(list(page.object_list)),
            "total": page.paginator.count,
            "narrowed": form.narrowed(),
            "previous_url": query_string(request, page=page.previous_page_number()) if page.has_previous() else None,
            "next_url": query_string(request, page=page.next_page_number()) if page.has_next() else None,
            **more,
        },
    )


def batch_rows(batches: list) -> list:
    """Batches with their issuance status: two queries however many there are."""
    statuses = issuance_statuses(batches)
    return [(batch, statuses[batch.pk]) for batch in batches]


def with_batches(documents: list) -> list:
    """Inspections or certificates with their batches, loaded by one query."""
    return load_references(documents, "batch")


def _inspects(user) -> bool:
    return is_staff(user) or has_role(user, QA_AGENCY)


@login_required
def batch_list(request: HttpRequest) -> HttpResponse:
    everyone = _inspects(request.user)
    kind = ListKind(
        title="All batches" if everyone else "Your batches",
        noun="batch",
        nouns="batches",
        template="web/batch_list.html",
        statuses=tuple(BatchStatus),
        by_country=True,
        dated="Submitted",
    )
    form = ListFilters(request.GET, kind)
    batches = listing.batches(visible_batches(request.user), form.filters())
    return _show(request, kind, form, batches, batch_rows, everyone=everyone)


@login_required
def inspection_queue(request: HttpRequest) -> HttpResponse:
    kind = ListKind(
        title="Batches waiting for inspection",
        noun="batch",
        nouns="batches",
        template="web/inspection_queue.html",
        statuses=(BatchStatus.SUBMITTED, BatchStatus.INSPECTION_FAILED),
        status_label="Waiting for",
        by_country=True,
        dated="Submitted",
        oldest_first=True,
    )
    form = ListFilters(request.GET, kind)
    batches = listing.batches(batches_to_inspect(request.user), form.filters())
    return _show(request, kind, form, batches, lambda rows: rows)


@login_required
def inspection_history(request: HttpRequest) -> HttpResponse:
    kind = ListKind(
        title="Your inspections",
        noun="inspection",
        nouns="inspections",
        template="web/inspection_history.html",
        statuses=tuple(InspectionOutcome),
        status_label="Result",
        dated="Inspected",
    )
    form = ListFilters(request.GET, kind)
    inspections = listing.inspections(inspections_by(request.user), form.filters())
    return _show(request, kind, form, inspections, with_batches)


@login_required
def certificate_list(request: HttpRequest) -> HttpResponse:
    kind = ListKind(
        title="Your certificates",
        noun="certificate",
        nouns="certificates",
        template="web/certificate_list.html",
        statuses=(CertificateStatus.ACTIVE, CertificateStatus.REVOKED),
        dated="Issued",
    )
    form = ListFilters(request.GET, kind)
    certificates = listing.certificates(own_certificates(request.user), form.filters())
    return _show(request, kind, form, certificates, with_batches)


@login_required
def shared_certificate_list(request: HttpRequest) -> HttpResponse:
    kind = ListKind(
        title="Certificates shared with you",
        noun="certificate",
        nouns="certificates",
        template="web/shared_list.html",
        statuses=(CertificateStatus.ACTIVE, CertificateStatus.REVOKED),
        dated="Issued",
    )
    form = ListFilters(request.GET, kind)
    certificates = listing.certificates(certificates_shared_with(request.user), form.filters())
    return _show(request, kind, form, certificates, with_batches)


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    kind = ListKind(
        title="Notifications", noun="notification", nouns="notifications", template="web/notification_list.html"
    )
    form = ListFilters(request.GET, kind, searchable=False, unread=True)
    notifications = notifications_for(request.user)
    filters = form.filters()
    if form.cleaned_data.get("unread"):
        notifications = notifications.filter(read_at=None)
    return _show(request, kind, form, listing.dated(notifications, "created_at", filters), lambda rows: rows)
