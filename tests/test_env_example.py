"""`.env.example` documents every variable the settings read."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_variable_the_settings_read_is_in_env_example():
    settings_source = (ROOT / "agriqcert" / "settings.py").read_text()
    read = set(re.findall(r'env_\w+\(\s*"([A-Z_]+)"', settings_source))
    documented = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))

    assert read - documented == set()
    assert {"WORKER_POLL_INTERVAL_MS", "WORKER_CONCURRENCY", "INJI_MOCK_MODE", "INJI_API_KEY", "MONGODB_URI"} <= read
