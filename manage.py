#!/usr/bin/env python
"""Django's command-line utility for AgriQCert."""

import argparse
import os
import sys
from pathlib import Path


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agriqcert.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        site_url_from_serve_address(sys.argv)
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        # A configuration mistake gets one line that names the variable, not a traceback.
        print(f"Configuration error: {exc}", file=sys.stderr)
        sys.exit(2)


def site_url_from_serve_address(argv: list[str]) -> None:
    """`serve ADDR:PORT` puts that address in every link, context and status-list URL it signs,
    unless SITE_URL (in the environment or .env) says otherwise. It must be set here, before the
    settings are read: they derive CREDENTIAL_CONTEXT_URL, ALLOWED_HOSTS and more from it."""
    from core.environment import SERVE_ADDRESS, env_str, read_env_file, site_url_served_at

    if argv[1:2] != ["serve"]:
        return
    read_env_file(Path(__file__).resolve().parent / ".env")
    if env_str("SITE_URL"):
        return
    parser = argparse.ArgumentParser(add_help=False)  # serve's own parser needs the settings
    parser.add_argument("addrport", nargs="?", default=SERVE_ADDRESS)
    for options in (["--settings"], ["--pythonpath"], ["-v", "--verbosity"]):  # Django's, with a value
        parser.add_argument(*options)
    known, _ = parser.parse_known_args(argv[2:])
    try:
        os.environ["SITE_URL"] = site_url_served_at(known.addrport)
    except ValueError:
        pass  # serve refuses the address itself, with its usage line


if __name__ == "__main__":
    main()
