"""Runs issuance.supervisor.Supervisor over stand-in children, as run_issuance_worker does over
workers, and prints its summary as JSON.    python -m tests.supervision.driver FOLDER MODE N [--once]"""

import json
import signal
import sys
from pathlib import Path

from issuance.supervisor import Supervisor

folder, mode, processes = sys.argv[1], sys.argv[2], int(sys.argv[3])
child = [sys.executable, str(Path(__file__).with_name("child.py")), folder, mode]
supervisor = Supervisor(child, processes, grace_seconds=5, once="--once" in sys.argv)
signal.signal(signal.SIGTERM, supervisor.on_signal)
signal.signal(signal.SIGINT, supervisor.on_signal)
print(json.dumps(supervisor.run()), flush=True)
