"""A bad environment variable stops start-up with one line that names it."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.commands import manage

STRONG_KEY = "kT4-vQ9_xR2mZ7pL0sW8nB5cY3hJ6dF1gA-eU_iO" * 2


def run_check(**env: str) -> subprocess.CompletedProcess:
    if "MONGODB_URI" in env:  # a deployment: its signed URLs must be public (tested on their own)
        env = {"SITE_URL": "https://certs.example.org", **env}
    clean = {k: v for k, v in os.environ.items() if k not in env and not k.startswith(("INJI_", "WORKER_"))}
    clean.pop("MONGODB_URI", None)
    return manage("check", env={**clean, **env})


@pytest.mark.parametrize(
    "env, expected",
    [
        ({"WORKER_CONCURRENCY": "zero"}, "WORKER_CONCURRENCY must be a whole number"),
        ({"WORKER_CONCURRENCY": "0"}, "WORKER_CONCURRENCY must be a whole number"),
        ({"WORKER_POLL_INTERVAL_MS": "soon"}, "WORKER_POLL_INTERVAL_MS must be a whole number"),
        ({"INJI_MOCK_MODE": "maybe"}, "INJI_MOCK_MODE must be true or false"),
        ({"SECRET_KEY": "", "MONGODB_URI": "mongodb://db.example.org/agriqcert"}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": "x" * 64}, "SECRET_KEY must be a random value of at least 50 characters"),
        (
            {"SECRET_KEY": STRONG_KEY, "MONGODB_URI": "http://db.example.org/agriqcert"},
            "MONGODB_URI must start with mongodb://",
        ),
        ({"SECRET_KEY": STRONG_KEY, "MONGODB_URI": "mongodb://db.example.org"}, "MONGODB_URI must name the database"),
        (
            {"SECRET_KEY": STRONG_KEY, "MONGODB_URI": "mongodb://db1,db2/agriqcert?readPreference=secondaryPreferred"},
            "MONGODB_URI asks for readPreference=secondaryPreferred",
        ),
        ({"SECRET_KEY": STRONG_KEY, "MONGODB_URI": "mongodb://db1/agriqcert?w=1"}, "MONGODB_URI sets w=1"),
        ({"INJI_MOCK_MODE": "false"}, "INJI_API_URL must be set when INJI_MOCK_MODE is false"),
        ({"INJI_API_URL": "certify.example.org"}, "INJI_API_URL must be a URL"),
        (
            {"INJI_MOCK_MODE": "false", "INJI_API_URL": "https://c.example/v1/certify"},
            "INJI_ISSUER_DID must be set when INJI_MOCK_MODE is false",
        ),
        ({"INJI_API_URL": "http://certify.example.org/v1/certify"}, "INJI_API_URL must use https"),
        ({"INJI_PROOF_ALG": "EdDSA"}, "INJI_PROOF_ALG must be ES256 or Ed25519"),
        ({"METRICS_ALLOWED_NETWORKS": "10.0.0.0/8,intranet"}, "METRICS_ALLOWED_NETWORKS must list networks"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT must be keyvalue or json"),
        (
            {"MOCK_ISSUER_DID_WEB": "true", "SITE_URL": "https://example.org/certs"},
            "MOCK_ISSUER_DID_WEB needs SITE_URL at a domain's root (got https://example.org/certs)",
        ),
        (
            {"SECRET_KEY": STRONG_KEY, "MONGODB_URI": "mongodb://db/agriqcert", "SITE_URL": "http://localhost:8000"},
            "SITE_URL is not https (http://localhost:8000): it is signed into every credential",
        ),
        (
            {"SECRET_KEY": STRONG_KEY, "MONGODB_URI": "mongodb://db/agriqcert", "SITE_URL": "https://10.1.2.3"},
            "SITE_URL names the non-public address 10.1.2.3",
        ),
        (
            {
                "SECRET_KEY": STRONG_KEY,
                "MONGODB_URI": "mongodb://db/agriqcert",
                "SITE_URL": "https://certs.example.org",
                "CREDENTIAL_CONTEXT_URL": "https://127.0.0.1/contexts/agriqcert/v1",
            },
            "CREDENTIAL_CONTEXT_URL names the non-public address 127.0.0.1",
        ),
        ({"TRUSTED_ISSUERS": "certs.example.org"}, "TRUSTED_ISSUERS must list DIDs"),
        ({"INJI_TIMEOUT_SECONDS": "0"}, "INJI_TIMEOUT_SECONDS must be a whole number"),
        ({"INJI_ISSUER_DID": "certify.example.org"}, "INJI_ISSUER_DID must be a DID"),
        ({"DATABASE_URL": "nonsense://"}, "DATABASE_URL must be a database URL"),
    ],
)
def test_bad_variable_stops_start_up_with_one_line_naming_it(env, expected):
    result = run_check(**env)

    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_secret_values_are_not_echoed_in_configuration_errors():
    result = run_check(INJI_MOCK_MODE="false", INJI_API_URL="ftp://user:hunter2@certify", INJI_API_KEY="s3cret-key")

    assert result.returncode == 2
    assert "hunter2" not in result.stderr and "s3cret-key" not in result.stderr


def test_defaults_start_cleanly():
    result = run_check()

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


# -- numbers on the command line: the same rule and bounds as their variables ------------------


@pytest.mark.parametrize(
    "command, expected",
    [
        ("run_issuance_worker --concurrency 0", "argument --concurrency: must be a whole number from 1 to 256"),
        ("run_issuance_worker --poll-interval 5", "argument --poll-interval: must be a whole number from 10 to"),
        ("run_issuance_worker --grace -1", "argument --grace: must be a whole number from 0 to 3600 (got '-1')"),
        ("run_issuance_worker --grace 3601", "argument --grace: must be a whole number from 0 to 3600"),
        ("run_issuance_worker --grace soon", "argument --grace: must be a whole number from 0 to 3600"),
        ("run_issuance_worker --metrics-port 70000", "argument --metrics-port: must be a whole number from 0"),
        ("run_issuance_worker --processes 2000", "--processes must be a whole number from 1 to 1024 or 'auto'"),
        ("serve 127.0.0.1:0", "argument addrport: the port must be a whole number from 1 to 65535 (got '0')"),
        ("serve 0.0.0.0:http", "argument addrport: the port must be a whole number from 1 to 65535"),
    ],
)
def test_a_bad_number_on_the_command_line_is_refused_naming_the_option_and_its_bounds(command, expected):
    result = manage(*command.split())

    assert result.returncode != 0
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "variable, option",
    [
        ("WORKER_CONCURRENCY", "--concurrency"),
        ("WORKER_POLL_INTERVAL_MS", "--poll-interval"),
        ("WORKER_SHUTDOWN_GRACE_SECONDS", "--grace"),
    ],
)
def test_an_option_and_the_variable_it_stands_in_for_take_the_same_bounds(variable, option):
    from_variable = run_check(**{variable: "-5"}).stderr
    from_option = manage("run_issuance_worker", "--once", option, "-5").stderr

    bounds = from_variable.partition(f"{variable} must be a whole number ")[2].partition(" (got")[0]
    assert bounds and f"argument {option}: must be a whole number {bounds} (got '-5')" in from_option
