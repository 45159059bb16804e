"""The searches, filters and sorts that lists of batches, inspections and certificates offer.

Each combination is served by an index (ESR order: equality fields, the date sort, then the batch
number prefix or the date range) declared on the documents; tests/test_queries_use_indexes.py drives
every one. A filter no index serves would make a page read everything its reader may see, so a list
offers only these. Who may see what is certificates.access's answer: these only narrow it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from certificates.models import Batch


@dataclass(frozen=True)
class Filters:
    q: str = ""  # a batch number prefix, any case
    status: str = ""  # a batch status, a certificate status or an inspection outcome
    country: str = ""  # a batch's origin, ISO 3166-1 alpha-2
    since: date | None = None  # on or after, UTC
    until: date | None = None  # on or before, UTC
    oldest_first: bool = False


def dated(queryset, field: str, filters: Filters):
    """`queryset` within the filters' dates on `field`, in their order of it."""
    if filters.since:
        queryset = queryset.filter(**{f"{field}__gte": datetime.combine(filters.since, time(), UTC)})
    if filters.until:
        queryset = queryset.filter(**{f"{field}__lt": datetime.combine(filters.until + timedelta(days=1), time(), UTC)})
    return queryset.order_by(("" if filters.oldest_first else "-") + field)


def batches(queryset, filters: Filters):
    """Batches, newest submitted first (or oldest), by status, origin country, number prefix and date."""
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.country:
        queryset = queryset.filter(origin_country=filters.country)
    if filters.q:
        queryset = Batch.matching(queryset, filters.q)
    return dated(queryset, "created_at", filters)


def of_batches_matching(queryset, prefix: str):
    """Inspections or certificates of batches whose number starts with `prefix`: among the batches
    `queryset` refers to (one user's, so bounded), then those rows — three indexed queries."""
    ids = queryset.no_dereference().distinct("batch")
    matched = Batch.matching(Batch.objects(pk__in=ids), prefix).scalar("id")
    return queryset.filter(batch__in=[batch_id for batch_id in matched])


# The admin narrows its lists to the batches a number prefix names, at most this many (one indexed $in).
BATCH_MATCHES = 1000


def batch_ids_starting(prefix: str) -> tuple[list, bool]:
    """Ids of up to BATCH_MATCHES batches, anyone's, whose number starts with `prefix` in any case;
    and whether more start with it (the page says so rather than cut silently)."""
    ids = list(Batch.matching(Batch.objects, prefix).scalar("id").limit(BATCH_MATCHES + 1))
    return ids[:BATCH_MATCHES], len(ids) > BATCH_MATCHES


def certificates(queryset, filters: Filters):
    """Certificates, newest issued first (or oldest), by status, batch number prefix and date."""
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.q:
        queryset = of_batches_matching(queryset, filters.q)
    return dated(queryset.exclude("credential_json"), "issued_at", filters)


def inspections(queryset, filters: Filters):
    """Inspections, newest first (or oldest), by outcome, batch number prefix and date."""
    if filters.status:
        queryset = queryset.filter(outcome=filters.status)
    if filters.q:
        queryset = of_batches_matching(queryset, filters.q)
    return dated(queryset, "inspected_at", filters)
