"""Django set up for a bench run by hand (`python bench/<name>.py`): the project on the path, a
throwaway SQL database, warnings-only logs; a bench's own settings come as `environment` (each only
where the caller's environment leaves it unset)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start_django(**environment: str) -> None:
    sys.path.insert(0, str(ROOT))
    defaults = {
        "DJANGO_SETTINGS_MODULE": "agriqcert.settings",
        "DATABASE_URL": f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3",
        "LOG_LEVEL": "WARNING",
        **environment,
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)
    import django

    django.setup()
