"""The searches, filters and sorts that lists of batches, inspections and certificates offer.

Each combination is served by an index (ESR order: equality fields, the date sort, then the batch
number and product prefixes or the date range) declared on the documents; tests/test_queries_use_indexes.py
drives every one. A filter no index serves would make a page read everything its reader may see, so a
list offers only these. Who may see what is certificates.access's answer: these only narrow it.

The pages (web.list_views) and the API (certificates.api) read their query strings with one form,
FilterForm, so they take the same values and refuse the same mistakes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django import forms

from certificates.models import Batch
from certificates.validators import validate_country


@dataclass(frozen=True)
class Filters:
    q: str = ""  # a batch number prefix, any case
    product: str = ""  # the start of a word of the product (and what follows it), any case
    status: str = ""  # a batch status, a certificate status or an inspection outcome
    country: str = ""  # a batch's origin, ISO 3166-1 alpha-2
    since: date | None = None  # on or after, UTC
    until: date | None = None  # on or before, UTC
    oldest_first: bool = False

    @property
    def searched(self) -> bool:
        """Whether the rows are narrowed by their batch's number or product."""
        return bool(self.q or self.product)


ORDERS = (("newest", "Newest first"), ("oldest", "Oldest first"))
DATE_FORMAT = "%Y-%m-%d"  # what a date input sends, and the one unambiguous way to write a date in a URL


class CountryCode(forms.CharField):
    """An ISO 3166-1 alpha-2 code in any case, checked as a batch's origin is."""

    default_validators = [validate_country]

    def to_python(self, value):
        return super().to_python(value).strip().upper()


class FilterForm(forms.Form):
    """What a list's query string may hold, and the rule each value meets. A page shows a mistake
    beside its field and filters by the rest; the API refuses it with a 400 naming it."""

    q = forms.CharField(required=False, max_length=100)
    product = forms.CharField(required=False, max_length=100)
    status = forms.ChoiceField(required=False)
    country = CountryCode(required=False)
    since = forms.DateField(required=False, input_formats=[DATE_FORMAT])
    until = forms.DateField(required=False, input_formats=[DATE_FORMAT])
    sort = forms.ChoiceField(required=False, choices=ORDERS)

    def __init__(
        self,
        data,
        *,
        statuses: Iterable[str] = (),
        by_country: bool = False,
        searchable: bool = True,
        oldest_first: bool = False,
    ) -> None:
        super().__init__(data)
        self.oldest_first = oldest_first
        statuses = tuple(statuses)
        self.fields["status"].choices = [("", "Any"), *((value, value) for value in statuses)]
        self._expects("status", "a status of this list", f"one of {', '.join(statuses)}")
        self._expects("sort", "an order", "newest or oldest")
        for name in ("since", "until"):
            self.fields[name].error_messages["invalid"] = "Enter a date as YYYY-MM-DD, e.g. 2026-03-31."
        offered = {"status": bool(statuses), "country": by_country, "q": searchable, "product": searchable}
        for name, kept in offered.items():
            if not kept:
                del self.fields[name]

    def _expects(self, name: str, what: str, values: str) -> None:
        self.fields[name].error_messages["invalid_choice"] = f"“%(value)s” is not {what}: use {values}."

    def clean(self) -> dict:
        values = super().clean()
        since, until = values.get("since"), values.get("until")
        if since and until and until < since:
            self.add_error("until", f"This ends before it starts: choose a date on or after {since.isoformat()}.")
        return values

    def filters(self) -> Filters:
        """The valid fields' values; a field with an error filters nothing."""
        self.is_valid()
        values = self.cleaned_data
        sort = values.get("sort") or ("oldest" if self.oldest_first else "newest")
        return Filters(
            q=(values.get("q") or "").strip(),
            product=(values.get("product") or "").strip(),
            status=values.get("status") or "",
            country=values.get("country") or "",
            since=values.get("since"),
            until=values.get("until"),
            oldest_first=sort == "oldest",
        )


def dated(queryset, field: str, filters: Filters):
    """`queryset` within the filters' dates on `field`, in their order of it."""
    if filters.since:
        queryset = queryset.filter(**{f"{field}__gte": datetime.combine(filters.since, time(), UTC)})
    if filters.until and filters.until < date.max:  # the last day there is ends no earlier than any date
        queryset = queryset.filter(**{f"{field}__lt": datetime.combine(filters.until + timedelta(days=1), time(), UTC)})
    return queryset.order_by(("" if filters.oldest_first else "-") + field)


def batches(queryset, filters: Filters):
    """Batches, newest submitted first (or oldest), by status, origin country, number prefix, product and date."""
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.country:
        queryset = queryset.filter(origin_country=filters.country)
    return dated(searched(queryset, filters), "created_at", filters)


def searched(batches, filters: Filters):
    """`batches` narrowed to those whose number starts with q and whose product has a word starting with product."""
    if filters.q:
        batches = Batch.matching(batches, filters.q)
    if filters.product:
        batches = Batch.with_product(batches, filters.product)
    return batches


def of_batches_matching(queryset, filters: Filters):
    """Inspections or certificates of batches the filters' number prefix and product find: among the
    batches `queryset` refers to (one user's, so bounded), then those rows — three indexed queries."""
    ids = queryset.no_dereference().distinct("batch")
    matched = searched(Batch.objects(pk__in=ids), filters).scalar("id")
    return queryset.filter(batch__in=[batch_id for batch_id in matched])


# Lists of everyone's rows (the admin's, the API's for staff and QA agencies) narrow them to the
# batches a search finds, at most this many (one indexed $in).
BATCH_MATCHES = 1000


def batch_ids_matching(filters: Filters) -> tuple[list, bool]:
    """Ids of up to BATCH_MATCHES batches, anyone's, that the filters' number prefix and product find
    (the newest, when a product is searched); and whether more match (never cut silently)."""
    found = searched(Batch.objects, filters).scalar("id")
    if filters.product:  # no index starts with product_keys: walk the newest first, checking the keys
        found = found.order_by("-created_at")
    ids = list(found.limit(BATCH_MATCHES + 1))
    return ids[:BATCH_MATCHES], len(ids) > BATCH_MATCHES


def batch_ids_starting(prefix: str) -> tuple[list, bool]:
    """Ids of up to BATCH_MATCHES batches, anyone's, whose number starts with `prefix` in any case;
    and whether more start with it (the page says so rather than cut silently)."""
    return batch_ids_matching(Filters(q=prefix))


class TooManyBatches(Exception):
    """A search of everyone's certificates that more than BATCH_MATCHES batches meet."""


def of_any_batches_matching(queryset, filters: Filters):
    """`queryset` (everyone's rows) narrowed to the batches the filters' number prefix and product find."""
    ids, more = batch_ids_matching(filters)
    if more:
        raise TooManyBatches(f"More than {BATCH_MATCHES} batches match: search for a longer prefix or another word.")
    return queryset.filter(batch__in=ids)


def certificates(queryset, filters: Filters, *, everyone: bool = False):
    """Certificates, newest issued first (or oldest), by status, their batch's number prefix and product,
    and date. `everyone`: `queryset` is every certificate (unbounded), searched from the batches' side."""
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.searched:
        queryset = (of_any_batches_matching if everyone else of_batches_matching)(queryset, filters)
    return dated(queryset.exclude("credential_json"), "issued_at", filters)


def inspections(queryset, filters: Filters):
    """Inspections, newest first (or oldest), by outcome, their batch's number prefix and product, and date."""
    if filters.status:
        queryset = queryset.filter(outcome=filters.status)
    if filters.searched:
        queryset = of_batches_matching(queryset, filters)
    return dated(queryset, "inspected_at", filters)
