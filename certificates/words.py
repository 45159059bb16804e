"""A certificate's contents in the words a customs officer matches against the goods."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from decimal import Decimal

from certificates.countries import country_name

READING_LABELS = {"moisture": "Moisture", "pesticideResidue": "Pesticide residue", "foreignMatter": "Foreign matter"}


def describe_goods(certifies: dict | None) -> list[tuple[str, str]] | None:
    """What a certificate attests, in words a customs officer matches against the goods."""
    if not certifies:
        return None
    rows = []
    product = " ".join(str(certifies[k]) for k in ("product", "variety") if k in certifies)
    if product:
        rows.append(("Product", product))
    if "batch_number" in certifies:
        rows.append(("Batch", str(certifies["batch_number"])))
    if "quantity" in certifies:
        amount = _amount(certifies["quantity"])
        unit = str(certifies.get("unit", ""))
        plural = unit in ("bag", "carton") and certifies["quantity"] != 1
        rows.append(("Quantity", f"{amount} {unit}{'s' if plural else ''}".strip()))
    for key, label in (("origin_country", "Origin"), ("destination_country", "Destination")):
        if key in certifies:
            rows.append((label, country_name(str(certifies[key])) or str(certifies[key])))
    if "exporter" in certifies:
        rows.append(("Exporter", str(certifies["exporter"])))
    inspection = [str(certifies[k]) for k in ("inspected_by",) if k in certifies]
    if "inspected_on" in certifies:
        try:
            inspection.append(f"on {day(datetime.fromisoformat(str(certifies['inspected_on'])))}")
        except ValueError:
            inspection.append(str(certifies["inspected_on"]))
    if inspection:
        rows.append(("Inspected by", " ".join(inspection)))
    for name, value, unit in certifies.get("readings") or []:
        rows.append(
            (
                READING_LABELS.get(name, str(name)),
                f"{exact_number(value)} {unit}" if isinstance(value, float) else f"{value} {unit}",
            )
        )
    if "outcome" in certifies:
        grade = str(certifies.get("grade", ""))
        grade = f", {grade}" if grade.lower().startswith("grade") else f", grade {grade}" if grade else ""
        rows.append(("Inspection result", f"{str(certifies['outcome']).capitalize()}{grade}"))
    return rows


def _amount(value: object) -> str:
    """A quantity as people write it; a signed credential may carry anything there, even words."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"  # exact: a float conversion overflows past 1e308
    if not math.isfinite(value):
        return str(value)
    return exact_number(value)


def exact_number(value: float) -> str:
    """A number as it was recorded, in plain digits: the shortest that read back as the same float
    (99.999999999 stays so, where "%g" printed 100), never in scientific notation (1e-07 is
    0.0000001), thousands grouped."""
    if not math.isfinite(value):
        return str(value)
    digits = Decimal(repr(float(value))).normalize()
    return format(digits, ",f")


def certified_goods(document: dict) -> dict | None:
    """The goods and inspection an AgriQualityCertificate attests, as plain values for people."""
    subject = document.get("credentialSubject")
    if not isinstance(subject, dict) or not isinstance(subject.get("assessedProduct"), dict):
        return None
    product = subject["assessedProduct"]
    assessment = subject.get("assessment") if isinstance(subject.get("assessment"), dict) else {}
    quantity = product.get("quantity") if isinstance(product.get("quantity"), dict) else {}
    exporter = subject.get("exporter") if isinstance(subject.get("exporter"), dict) else {}
    agency = assessment.get("assessingAgency") if isinstance(assessment.get("assessingAgency"), dict) else {}
    values = {
        "batch_number": product.get("batchNumber"),
        "product": product.get("product"),
        "variety": product.get("variety"),
        "quantity": quantity.get("value"),
        "unit": quantity.get("unit"),
        "origin_country": product.get("originCountry"),
        "destination_country": product.get("destinationCountry"),
        "exporter": exporter.get("name"),
        "inspected_by": agency.get("name"),
        "inspected_on": assessment.get("assessmentDate"),
        "outcome": assessment.get("outcome"),
        "grade": assessment.get("grade"),
    }
    goods = {key: value for key, value in values.items() if isinstance(value, str | int | float) and value != ""}
    declared = assessment.get("declaredValues")
    readings = [
        (metric.get("metricName"), metric["measure"].get("value"), metric["measure"].get("unit"))
        for metric in (declared if isinstance(declared, list) else [])
        if isinstance(metric, dict) and isinstance(metric.get("measure"), dict)
    ]
    goods["readings"] = [
        list(reading) for reading in readings if all(isinstance(v, str | int | float) for v in reading)
    ]
    return goods


# --- dates, times and identifiers, one way everywhere ------------------------------------------------

ISO_MOMENT = re.compile(r"\b(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(?:Z|\+00:00)?(?: UTC)?")
DID = re.compile(r"\bdid:[a-z0-9]+:[A-Za-z0-9._%:-]+(?:#[A-Za-z0-9._%:-]+)?")
URN_UUID = re.compile(r"\burn:uuid:[0-9a-fA-F-]{36}\b")


def day(value: date | datetime | None) -> str:
    """3 December 2026: the day of a UTC time (or a calendar date), without a leading zero."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _in_utc(value)
    return f"{value.day} {value:%B %Y}"


def moment(value: datetime | str | None, *, seconds: bool = False) -> str:
    """3 December 2026, 16:01 UTC (16:01:05 with `seconds`, for operators): a stored time (naive
    ones are UTC) or an ISO 8601 text."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    value = _in_utc(value)
    return f"{day(value)}, {value:{'%H:%M:%S' if seconds else '%H:%M'}} UTC"


def _in_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def short_id(identifier: object) -> str:
    """An identifier a person can compare at a glance: "urn:uuid:1b4e28ba-…" → "1b4e28ba…",
    "did:key:z6MkhaXg…ta2doK" keeps its method and both ends; the full one stays on the page to copy."""
    text = str(identifier or "")
    if URN_UUID.fullmatch(text):
        return text.removeprefix("urn:uuid:")[:8] + "…"
    if text.startswith("did:") and text.count(":") >= 2:
        scheme, method, rest = text.split("#")[0].split(":", 2)
        return f"{scheme}:{method}:{rest[:8]}…{rest[-6:]}" if len(rest) > 18 else f"{scheme}:{method}:{rest}"
    return f"{text[:8]}…{text[-4:]}" if len(text) > 16 else text


def readable(text: str) -> str:
    """A technical sentence (a verifier's reason, an issuer's error) with its DIDs and credential ids
    shortened and its times written as everywhere else."""
    text = ISO_MOMENT.sub(lambda m: moment(f"{m[1]}T{m[2]}"), text)
    text = DID.sub(lambda m: short_id(m[0]), text)
    return URN_UUID.sub(lambda m: short_id(m[0]), text)
