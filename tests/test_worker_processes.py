"""`run_issuance_worker --processes N`: the supervisor, run as a real process over real child
processes. The children here stand in for workers (tests/supervision/child.py) — worker processes
cannot share the embedded store — and show what the supervisor does to them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from issuance.supervisor import processes_from
from tests.commands import ROOT, manage
from tests.waiting import Lines, wait_until


def supervise(folder: Path, mode: str, processes: int, *flags: str) -> tuple[subprocess.Popen, Lines]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.supervision.driver", str(folder), mode, str(processes), *flags],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    return process, Lines(process.stdout)


def started(folder: Path) -> list[str]:
    return sorted(path.stem for path in folder.glob("*.started"))


def alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    return not Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"


def summary(lines: Lines) -> dict:
    return json.loads(lines.text(timeout=30).strip().splitlines()[-1])


def test_sigterm_reaches_every_worker_and_one_summary_adds_them_up(tmp_path):
    supervisor, lines = supervise(tmp_path, "serve", 3)
    wait_until(lambda: len(started(tmp_path)) == 3, what="three worker processes")
    pids = started(tmp_path)

    supervisor.send_signal(signal.SIGTERM)

    result = summary(lines)
    assert supervisor.wait(10) == 0
    assert all((tmp_path / f"{pid}.signals").read_text() == str(signal.SIGTERM.value) for pid in pids)
    assert all((tmp_path / f"{pid}.stopped").exists() for pid in pids)  # each finished its jobs
    assert result["processed"] == 6 and result["success"] == 6 and result["processes"] == 3
    assert result["restarts"] == 0
    assert "a line of the worker's own output" in lines.text()


def test_a_worker_that_dies_is_started_again(tmp_path):
    supervisor, lines = supervise(tmp_path, "crash-first", 1)
    wait_until(lambda: len(started(tmp_path)) == 2, timeout=20, what="a second worker after the first died")
    replacement = max(tmp_path.glob("*.started"), key=lambda path: path.stat().st_mtime_ns).stem
    assert alive(replacement)

    supervisor.send_signal(signal.SIGTERM)

    result = summary(lines)
    assert result["restarts"] == 1 and result["processed"] == 2
    assert not alive(replacement)


def test_a_second_signal_stops_the_workers_at_once(tmp_path):
    (tmp_path / "slow-stop").write_text("")  # each worker takes its whole grace period
    supervisor, lines = supervise(tmp_path, "serve", 2)
    wait_until(lambda: len(started(tmp_path)) == 2, what="two worker processes")
    pids = started(tmp_path)
    supervisor.send_signal(signal.SIGINT)
    wait_until(lambda: all((tmp_path / f"{pid}.signals").exists() for pid in pids), what="the first signal")

    supervisor.send_signal(signal.SIGINT)

    result = summary(lines)
    assert supervisor.wait(10) == 0
    assert all(not alive(pid) and not (tmp_path / f"{pid}.stopped").exists() for pid in pids)
    assert result["processed"] == 0  # they left without finishing; their leases bring the jobs back


def test_with_once_the_supervisor_ends_when_the_workers_have_nothing_left(tmp_path):
    supervisor, lines = supervise(tmp_path, "once", 2, "--once")

    result = summary(lines)

    assert supervisor.wait(10) == 0
    assert result["restarts"] == 0 and result["processed"] == 4 and len(started(tmp_path)) == 2


def test_the_embedded_mode_refuses_several_processes_and_says_why():
    env = {k: v for k, v in os.environ.items() if k != "MONGODB_URI"}
    result = manage("run_issuance_worker", "--processes", "2", env=env)

    assert result.returncode != 0
    assert "--processes needs MongoDB" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("value", ["0", "-1", "many", "1.5"])
def test_a_process_count_that_is_not_one_is_refused_with_the_rule(value):
    result = manage("run_issuance_worker", "--processes", value)

    assert result.returncode != 0 and "whole number from 1 to 1024 or 'auto'" in result.stderr
    assert "Traceback" not in result.stderr


def test_auto_means_one_process_per_core_this_process_may_use():
    assert processes_from("auto") == len(os.sched_getaffinity(0))
    assert processes_from("3") == 3
