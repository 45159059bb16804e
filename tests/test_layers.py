"""Dependencies point one way, bottom up: core → notifications → certificates → issuance → web → agriqcert.

core is shared code (clock, environment, roles, pagination, the MongoDB connection) and imports no
app; the site (pages, admin site, urls) sits on top and may import every app below it.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MAY_IMPORT = {
    "core": set(),
    "notifications": {"core"},
    "certificates": {"core", "notifications"},
    "issuance": {"core", "notifications", "certificates"},
    "web": {"core", "notifications", "certificates", "issuance"},
    "agriqcert": {"core", "notifications", "certificates", "issuance", "web"},
}


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
    packages = {path.parent.name for path in ROOT.glob("*/apps.py")}

    assert packages == set(MAY_IMPORT)
