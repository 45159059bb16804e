"""A stand-in worker process for the supervisor's tests: behaves like `run_issuance_worker` at its
edges (a summary line on stdout when it stops, SIGTERM to finish, a second to exit at once) and
writes what happens to it into a folder the test watches.

    python tests/supervision/child.py FOLDER MODE     MODE: serve | once | crash-first
"""

import os
import signal
import sys
import threading
from pathlib import Path

folder, mode = Path(sys.argv[1]), sys.argv[2]
me = str(os.getpid())
stopping = threading.Event()
signals = []


def on_signal(signum, frame):
    signals.append(signum)
    (folder / f"{me}.signals").write_text(" ".join(str(s) for s in signals))
    if len(signals) > 1:
        os._exit(128 + signum)  # as the worker does on a second signal
    stopping.set()


signal.signal(signal.SIGTERM, on_signal)
signal.signal(signal.SIGINT, on_signal)
runs = len(list(folder.glob("*.started")))
(folder / f"{me}.started").write_text(mode)
if mode == "crash-first" and runs == 0:
    sys.exit(3)
if mode != "once":
    stopping.wait()
    if (folder / "slow-stop").exists():  # a job still running: its grace period
        threading.Event().wait(30)
print("a line of the worker's own output", flush=True)
print("Worker stopped: processed=2, success=2, retry=0, gave_up=0, lease_lost=0, released=0", flush=True)
(folder / f"{me}.stopped").write_text("")
