"""Dependencies point one way: issuance uses certificates and notifications, never the reverse."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_certificates_and_notifications_import_nothing_from_issuance():
    offenders = [
        str(path.relative_to(ROOT))
        for app in ("certificates", "notifications")
        for path in (ROOT / app).rglob("*.py")
        if re.search(r"^\s*(from|import)\s+issuance\b", path.read_text(), re.MULTILINE)
    ]

    assert offenders == []
