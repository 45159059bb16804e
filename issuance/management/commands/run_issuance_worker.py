import os
import signal
import sys
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from core import indexes, mongo
from core.environment import PORT, Bounds, option_int
from issuance.metrics import serve_worker_metrics
from issuance.supervisor import SUMMARY_PREFIX, Supervisor, processes_from
from issuance.worker import Worker

METRICS_PORT = Bounds(0, PORT.maximum)  # 0: any free port


class Command(BaseCommand):
    help = "Run the issuance worker: claim due jobs and issue their certificates until SIGTERM/SIGINT."

    def add_arguments(self, parser) -> None:
        # The same bounds as the variables these options stand in for.
        parser.add_argument(
            "--concurrency",
            type=option_int(settings.WORKER_CONCURRENCY_BOUNDS),
            help=f"jobs at once, {settings.WORKER_CONCURRENCY_BOUNDS} (default WORKER_CONCURRENCY)",
        )
        parser.add_argument(
            "--poll-interval",
            type=option_int(settings.WORKER_POLL_INTERVAL_MS_BOUNDS),
            help=f"milliseconds, {settings.WORKER_POLL_INTERVAL_MS_BOUNDS} (default WORKER_POLL_INTERVAL_MS)",
        )
        parser.add_argument(
            "--grace",
            type=option_int(settings.WORKER_SHUTDOWN_GRACE_SECONDS_BOUNDS),
            help=(
                f"seconds active jobs get to finish on shutdown, {settings.WORKER_SHUTDOWN_GRACE_SECONDS_BOUNDS} "
                "(default WORKER_SHUTDOWN_GRACE_SECONDS)"
            ),
        )
        parser.add_argument("--once", action="store_true", help="process everything due, then exit")
        parser.add_argument(
            "--metrics-port",
            type=option_int(METRICS_PORT),
            help="serve Prometheus metrics on this port, 0 for any (with --processes, process i uses PORT + i)",
        )
        parser.add_argument(
            "--metrics-address", default="127.0.0.1", help="address for --metrics-port (default 127.0.0.1)"
        )
        parser.add_argument(
            "--processes",
            default="1",
            help="worker processes under one supervisor: N, or 'auto' for one per core (needs MongoDB)",
        )

    def handle(
        self, *args, concurrency, poll_interval, grace, once, processes, metrics_port, metrics_address, **options
    ) -> None:
        try:
            processes = processes_from(processes)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if metrics_port is not None and metrics_port + processes - 1 > METRICS_PORT.maximum:
            raise CommandError(
                f"--metrics-port must be a whole number from 1 to {METRICS_PORT.maximum + 1 - processes} with "
                f"--processes {processes}: process i serves PORT + i (got {metrics_port})"
            )
        if metrics_port == 0 and processes > 1:
            raise CommandError("--processes needs a fixed --metrics-port: process i serves PORT + i")
        if processes > 1:
            return self.supervise(processes, concurrency, poll_interval, grace, once, metrics_port, metrics_address)
        if not mongo.is_embedded():
            try:
                indexes.require()  # workers no longer build indexes: ensure_indexes does, once per deploy
            except ImproperlyConfigured as exc:
                raise CommandError(str(exc)) from None
        worker = Worker(
            concurrency=concurrency or settings.WORKER_CONCURRENCY,
            poll_interval_ms=poll_interval or settings.WORKER_POLL_INTERVAL_MS,
            grace_seconds=grace,
        )
        if metrics_port is not None:
            try:
                port = serve_worker_metrics(metrics_port, metrics_address)
            except OSError as exc:
                raise CommandError(
                    f"cannot serve metrics on {metrics_address}:{metrics_port}: {exc.strerror or exc}"
                ) from None
            self.stderr.write(f"Metrics at http://{metrics_address}:{port}/metrics")

        def on_signal(signum: int, frame: object) -> None:
            if worker.stopping:
                # A second signal: exit now; the leases of unfinished jobs will recover them.
                os._exit(128 + signum)
            # Stop first: a second signal arriving while this one is reported must count as the second.
            worker.stop()
            self.stderr.write(f"{signal.Signals(signum).name} received: finishing active jobs, then exiting")

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        summary = worker.run(once=once)
        self.stdout.write(SUMMARY_PREFIX + ", ".join(f"{key}={value}" for key, value in summary.items()))

    def supervise(
        self, processes: int, concurrency, poll_interval, grace, once: bool, metrics_port, metrics_address
    ) -> None:
        if mongo.is_embedded():
            raise CommandError(
                "--processes needs MongoDB (set MONGODB_URI): worker processes cannot share the embedded "
                "in-memory store. In the embedded mode run one process, with more --concurrency if needed."
            )
        try:
            indexes.require()  # refuse once, here, rather than in N children restarted forever
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "run_issuance_worker"]
        for flag, value in (("--concurrency", concurrency), ("--poll-interval", poll_interval), ("--grace", grace)):
            if value is not None:
                command += [flag, str(value)]
        if once:
            command.append("--once")
        grace_seconds = settings.WORKER_SHUTDOWN_GRACE_SECONDS if grace is None else grace

        def per_slot(slot: int) -> list[str]:
            if metrics_port is None:
                return []
            return ["--metrics-port", str(metrics_port + slot), "--metrics-address", metrics_address]

        supervisor = Supervisor(command, processes, grace_seconds, once=once, per_slot=per_slot)
        signal.signal(signal.SIGTERM, supervisor.on_signal)
        signal.signal(signal.SIGINT, supervisor.on_signal)
        summary = supervisor.run()
        self.stdout.write("Workers stopped: " + ", ".join(f"{key}={value}" for key, value in summary.items()))
