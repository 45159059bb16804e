"""Dependencies point one way, bottom up: core → credentials → notifications → certificates → issuance → web →
agriqcert.

core is shared code (clock, environment, roles, pagination, the MongoDB connection) and imports no
app; the site (pages, admin site, urls) sits on top and may import every app below it.
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MAY_IMPORT = {
    "core": set(),
    "credentials": {"core"},
    "notifications": {"core", "credentials"},
    "certificates": {"core", "credentials", "notifications"},
    "issuance": {"core", "credentials", "notifications", "certificates"},
    "web": {"core", "credentials", "notifications", "certificates", "issuance"},
    "agriqcert": {"core", "credentials", "notifications", "certificates", "issuance", "web"},
}
# The credential engine is plain functions over dicts, keys and bytes: no documents, no Django.
ENGINE_MAY_NOT_IMPORT = {"django", "mongoengine", "pymongo", "bson", "rest_framework", "mongomock"}


def imported_packages(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_every_package_imports_only_the_layers_below_it():
    offenders = []
    for package, allowed in MAY_IMPORT.items():
        for path in (ROOT / package).rglob("*.py"):
            wrong = (imported_packages(path) & set(MAY_IMPORT)) - allowed - {package}
            if wrong:
                offenders.append(f"{path.relative_to(ROOT)} imports {sorted(wrong)}")

    assert offenders == []


def test_the_layer_map_names_every_application_package():
    packages = {path.parent.name for path in ROOT.glob("*/apps.py")} | {"credentials"}

    assert packages == set(MAY_IMPORT)


def test_the_credential_engine_knows_neither_documents_nor_django():
    offenders = []
    for path in (ROOT / "credentials").rglob("*.py"):
        wrong = imported_packages(path) & ENGINE_MAY_NOT_IMPORT
        if wrong:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(wrong)}")

    assert offenders == []


DOMAIN_DOCUMENTS = r"(Batch|Inspection|Certificate)"
WRITES = re.compile(
    DOMAIN_DOCUMENTS + r"\.objects\([^)]*\)\.(update|update_one|modify|delete|upsert_one)\("
    r"|" + DOMAIN_DOCUMENTS + r"\([^)]*\)\.save\(|\b(batch|inspection|certificate)\.(save|update|modify|delete)\("
)
# lifecycle.py owns every change; demo.py seeds the embedded demo; models.py backfills a search key.
WRITERS = {"certificates/lifecycle.py", "certificates/demo.py", "certificates/models.py"}


def test_only_the_lifecycle_writes_batches_inspections_and_certificates():
    writers = set()
    for package in MAY_IMPORT:
        for path in (ROOT / package).rglob("*.py"):
            if WRITES.search(path.read_text()):
                writers.add(str(path.relative_to(ROOT)))

    assert writers - WRITERS == set()


def test_one_receiver_reacts_to_a_saved_inspection():
    receivers = [
        str(path.relative_to(ROOT))
        for package in MAY_IMPORT
        for path in (ROOT / package).rglob("*.py")
        if re.search(r"post_save\.connect\([^)]*sender=Inspection", path.read_text())
    ]

    assert receivers == ["issuance/apps.py"]


def test_the_engines_tests_use_the_engine_alone():
    domain = set(MAY_IMPORT) - {"core", "credentials"}
    offenders = []
    for path in (ROOT / "tests" / "engine").rglob("*.py"):
        source = path.read_text()
        wrong = imported_packages(path) & domain
        if wrong or re.search(r"tests\.(factories|fake_inji)", source):
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(wrong) or 'domain test helpers'}")

    assert offenders == []
