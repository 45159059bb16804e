"""The app reads the time from core.clock only: UTC, truncated as MongoDB stores it, one place to
change (or to stop, in a test)."""

import re

from tests.test_layers import MAY_IMPORT, ROOT

OTHER_CLOCKS = re.compile(r"\b(time\.time|date\.today|datetime\.(now|utcnow|today))\(")


def test_no_module_reads_another_clock():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for package in MAY_IMPORT
        for path in sorted((ROOT / package).rglob("*.py"))
        if path != ROOT / "core" / "clock.py"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if OTHER_CLOCKS.search(line)
    ]

    assert offenders == []
