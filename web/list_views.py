"""The full lists behind the dashboard's previews: searched, filtered, sorted and paged, with the total.

Who sees which rows is certificates.access's answer; which filters a list takes (each served by an
index) is certificates.listing's. These views only read the query string and show the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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
    sees_every_batch,
    visible_batches,
)
from certificates.countries import countries_by_name
from certificates.models import BatchStatus, CertificateStatus, InspectionOutcome
from core.documents import load_references
from core.pagination import page_of, query_string
from issuance.api import issuance_statuses
from notifications.access import notifications_for
from web.templatetags.words import status_words

PER_PAGE = 25
COUNTRIES = countries_by_name()


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


class ListFilters(listing.FilterForm):
    """A list page's search and filters: listing.FilterForm's rules, in the page's words."""

    unread = forms.BooleanField(label="Unread only", required=False)
    field_order = ["q", "product", "status", "country", "unread", "since", "until", "sort"]
    LABELS = {
        "q": "Batch number starts with",
        "product": "Product",
        "country": "Origin",
        "since": "From",
        "until": "To",
        "sort": "Order",
    }

    def __init__(self, data, kind: ListKind, *, searchable: bool = True, unread: bool = False) -> None:
        data = data.copy()
        data.setdefault("sort", "oldest" if kind.oldest_first else "newest")
        if data.get("country"):  # a code typed in a link in any case is filtered by, and shown picked
            data["country"] = data["country"].strip().upper()
        super().__init__(
            data,
            statuses=kind.statuses,
            by_country=kind.by_country,
            searchable=searchable,
            oldest_first=kind.oldest_first,
        )
        for name, label in self.LABELS.items():
            if name in self.fields:
                self.fields[name].label = label
        if kind.statuses:
            self.fields["status"].label = kind.status_label
            self.fields["status"].choices = [("", "Any"), *((value, status_words(value)) for value in kind.statuses)]
        if kind.by_country:
            self.fields["country"].widget = forms.Select(choices=[("", "Any country"), *COUNTRIES])
        for name in ("since", "until"):
            self.fields[name].widget = forms.DateInput(attrs={"type": "date"}, format=listing.DATE_FORMAT)
        if not unread:
            del self.fields["unread"]
        self.kind = kind

    def narrowed(self) -> bool:
        return any(
            self.cleaned_data.get(name) for name in ("q", "product", "status", "country", "unread", "since", "until")
        )


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


@login_required
def batch_list(request: HttpRequest) -> HttpResponse:
    everyone = sees_every_batch(request.user)
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
