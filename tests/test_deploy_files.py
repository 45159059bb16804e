"""The files an operator installs (deploy/): systemd units, gunicorn's settings, Prometheus rules.

Checked by the tools that will read them where this machine has them — `systemd-analyze verify`,
`promtool check rules` / `test rules` / `check config` (scripts/test extracts promtool from
Debian's prometheus package) — and, always, against what the code exports and needs.
"""

from __future__ import annotations

import configparser
import getpass
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from issuance import metrics
from tests.commands import ROOT
from tests.test_operations import PROMTOOL

DEPLOY = ROOT / "deploy"
UNITS = ["agriqcert-web.service", "agriqcert-worker@.service"]


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(DEPLOY / "systemd" / name)
    return parser


def seconds(value: str) -> int:
    return int(value.removesuffix("s"))


def test_the_units_pass_systemd_analyze_verify(tmp_path):
    """Installed as the README says, with this checkout standing in for /opt/agriqcert."""
    analyze = shutil.which("systemd-analyze")
    user = getpass.getuser()
    installed = []
    for name in UNITS:
        text = (DEPLOY / "systemd" / name).read_text()
        text = text.replace("/opt/agriqcert", str(ROOT)).replace("EnvironmentFile=/etc/", "EnvironmentFile=-/etc/")
        text = re.sub(r"^(User|Group)=agriqcert$", rf"\1={user}", text, flags=re.M)
        target = tmp_path / name.replace("@.service", "@9101.service")
        target.write_text(text)
        installed.append(str(target))
    if analyze is None:  # no systemd here: the sections and keys systemd needs, at least
        for name in UNITS:
            parsed = unit(name)
            assert {"Unit", "Service", "Install"} <= set(parsed.sections()), name
            assert parsed["Service"]["ExecStart"].startswith("/opt/agriqcert/.venv/bin/"), name
        return

    result = subprocess.run([analyze, "verify", "--man=no", *installed], capture_output=True, text=True, timeout=60)

    complaints = [line for line in (result.stdout + result.stderr).splitlines() if "agriqcert" in line]
    assert result.returncode == 0 and complaints == [], result.stdout + result.stderr


def test_systemd_waits_longer_than_the_grace_periods():
    from django.conf import settings

    gunicorn: dict = {}
    exec((DEPLOY / "gunicorn.conf.py").read_text(), gunicorn)  # noqa: S102 - our own settings file

    web, worker = unit("agriqcert-web.service")["Service"], unit("agriqcert-worker@.service")["Service"]

    assert seconds(worker["TimeoutStopSec"]) > settings.WORKER_SHUTDOWN_GRACE_SECONDS
    assert seconds(web["TimeoutStopSec"]) > gunicorn["graceful_timeout"]
    assert worker["KillSignal"] == web["KillSignal"] == "SIGTERM"
    assert "run_issuance_worker --metrics-port %i" in worker["ExecStart"]


def test_gunicorn_accepts_its_settings_and_finds_the_app():
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "--check-config", "-c", "deploy/gunicorn.conf.py", "agriqcert.wsgi"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def exported_metric_names() -> set[str]:
    """The sample names a scrape of the web app and of a worker can return."""
    families = [*metrics.WORKER_REGISTRY.collect(), *metrics.QueueCollector().collect()]
    return {name for family in families for name in sample_names(family.name, family.type)}


def sample_names(name: str, kind: str) -> set[str]:
    if kind == "counter":
        return {f"{name}_total"}
    if kind == "histogram":
        return {f"{name}_bucket", f"{name}_count", f"{name}_sum"}
    return {name}


@pytest.mark.django_db
def test_every_alert_uses_metrics_the_app_exports():
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())["groups"][0]["rules"]
    exported = exported_metric_names() | {"up"}

    used = {name for rule in rules for name in re.findall(r"\b(agriqcert_[a-z_]+|up)\b", rule["expr"])}

    assert used and used <= exported, used - exported
    assert {rule["alert"] for rule in rules} >= {
        "AgriQCertNoLiveWorker",
        "AgriQCertIssuanceStalled",
        "AgriQCertJobsGivingUp",
    }
    assert all(
        rule["labels"]["severity"] in ("critical", "warning") and rule["annotations"]["summary"] for rule in rules
    )


def promtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([PROMTOOL, *args], cwd=DEPLOY / "prometheus", capture_output=True, text=True, timeout=60)


def test_promtool_accepts_the_rules_and_their_tests_fire_as_written(tmp_path):
    assert Path(PROMTOOL).is_file(), "run scripts/test: it extracts promtool from Debian's prometheus package"
    checked = promtool("check", "rules", "alerts.yml")
    tested = promtool("test", "rules", "alerts_test.yml")
    token = tmp_path / "token"
    token.write_text("t")
    scrape = tmp_path / "scrape.yml"
    scrape.write_text(
        (DEPLOY / "prometheus" / "scrape.yml")
        .read_text()
        .replace("/etc/prometheus/agriqcert-metrics-token", str(token))
    )
    configured = promtool("check", "config", str(scrape))

    assert checked.returncode == 0 and "SUCCESS: 7 rules found" in checked.stdout, checked.stdout + checked.stderr
    assert tested.returncode == 0 and "SUCCESS" in tested.stdout, tested.stdout + tested.stderr
    assert configured.returncode == 0, configured.stdout + configured.stderr


def test_gunicorn_serves_the_app_and_logs_json_lines_when_asked(tmp_path):
    """The web app as the unit starts it, with LOG_FORMAT=json: its access lines are JSON objects."""
    import os
    import socket
    import urllib.request

    from tests.waiting import Lines, wait_until

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != "MONGODB_URI"}
    env.update(LOG_FORMAT="json", GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="1", EMBEDDED_WORKER="false")
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "agriqcert.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    access, errors = Lines(server.stdout), Lines(server.stderr)
    try:
        errors.wait_for("Booting worker", timeout=30)

        def answered() -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz?probe=1", timeout=5) as response:
                    return response.status == 200
            except OSError:
                return False

        wait_until(answered, timeout=30, what="gunicorn to answer /healthz")
        line = access.wait_for("/healthz", timeout=10).strip().splitlines()[-1]
    finally:
        server.terminate()
        server.wait(30)

    entry = json.loads(line)
    assert entry["logger"] == "gunicorn.access"
    assert entry["method"] == "GET" and entry["path"] == "/healthz" and entry["status"] == 200
    assert isinstance(entry["duration_ms"], int)
    assert all(json.loads(text) for text in errors.text().splitlines() if text.strip())  # every line JSON


def test_gunicorn_refuses_a_bad_number_naming_the_variable():
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "--check-config", "-c", "deploy/gunicorn.conf.py", "agriqcert.wsgi"],
        cwd=ROOT,
        env={**os.environ, "GUNICORN_WORKERS": "lots"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "GUNICORN_WORKERS must be a whole number from 1 to 256 (got 'lots')" in result.stderr + result.stdout
