"""Demo data for a newcomer: four batches, one in each state a batch goes through (README, Quick
start): the rice passes and is certified, the tea passes but its issuance gives up (`serve --demo`
fails its job, so that retrying one can be tried), the coffee fails inspection, the pepper waits."""

from __future__ import annotations

from datetime import timedelta

from certificates.models import Batch, Inspection
from core.clock import today, utcnow

DEMO_BATCHES = [
    {
        "batch_number": "DEMO-RICE-001",
        "product": "Rice",
        "variety": "Basmati 1121",
        "hs_code": "1006.30",
        "quantity": 12500,
        "unit": "kg",
        "origin_country": "IN",
        "origin_region": "Punjab",
        "farm": "Green Valley Farm",
        "destination_country": "DE",
    },
    {
        "batch_number": "DEMO-COFFEE-002",
        "product": "Coffee",
        "variety": "Arabica, washed",
        "hs_code": "0901.11",
        "quantity": 320,
        "unit": "bag",
        "origin_country": "ET",
        "origin_region": "Sidama",
        "destination_country": "NL",
    },
    {
        "batch_number": "DEMO-PEPPER-003",
        "product": "Black pepper",
        "variety": "Malabar garbled",
        "hs_code": "0904.11",
        "quantity": 4,
        "unit": "t",
        "origin_country": "IN",
        "origin_region": "Kerala",
        "destination_country": "US",
    },
    {
        "batch_number": "DEMO-TEA-004",
        "product": "Tea",
        "variety": "Ceylon orange pekoe",
        "hs_code": "0902.30",
        "quantity": 2.4,
        "unit": "t",
        "origin_country": "LK",
        "origin_region": "Nuwara Eliya",
        "destination_country": "GB",
    },
]


def create_demo_data(exporter: str = "exporter", inspector: str = "inspector") -> list[Batch]:
    """Create the demo batches unless they exist: the rice and the tea pass, the coffee fails, the
    pepper waits for an inspection."""
    batches = []
    for values in DEMO_BATCHES:
        batch = Batch.objects(batch_number=values["batch_number"]).first()
        if batch is None:
            batch = Batch(
                exporter=exporter,
                exporter_name="Green Valley Exports Pvt Ltd",
                harvest_date=today() - timedelta(days=40),
                **values,
            ).save()
        batches.append(batch)

    rice, coffee, _pepper, tea = batches
    for batch, outcome, moisture in ((coffee, "failed", 14.8), (tea, "passed", 6.2), (rice, "passed", 12.1)):
        if not Inspection.objects(batch=batch).first():
            Inspection(
                batch=batch,
                inspector=inspector,
                agency="National QA Agency",
                inspected_at=utcnow() - timedelta(hours=2),
                moisture_percent=moisture,
                pesticide_residue_mg_per_kg=0.02,
                foreign_matter_percent=0.3,
                grade="A" if outcome == "passed" else "C",
                organic=False,
                outcome=outcome,
                notes="Demo inspection",
            ).save()
    return batches
