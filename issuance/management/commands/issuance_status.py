import json

from django.core.management.base import BaseCommand, CommandError

from core.commands import embedded_notice
from core.environment import Bounds, option_int
from issuance.monitoring import Thresholds, health_problems, queue_status

THRESHOLD = Bounds(0, 10**9)  # a count, or seconds


class Command(BaseCommand):
    help = (
        "Show the issuance queue: counts by status, retries, give-ups, the oldest due job, workers, and orphan "
        "Inji credentials."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--json", action="store_true", dest="as_json", help="print JSON")
        parser.add_argument(
            "--check",
            action="store_true",
            help="exit 1 naming each problem (for cron or an exec probe), 0 when issuance is healthy",
        )
        defaults = Thresholds()
        parser.add_argument(
            "--min-live-workers",
            type=option_int(THRESHOLD),
            default=defaults.min_live_workers,
            help="default %(default)s",
        )
        parser.add_argument(
            "--max-due-age",
            "--max-pending-age",  # its former name, kept for existing probes and cron lines
            type=option_int(THRESHOLD),
            default=defaults.max_due_age_seconds,
            help="seconds the oldest due job (pending, or failed with a retry) may wait (default %(default)s)",
        )
        parser.add_argument(
            "--max-gave-up-per-hour",
            type=option_int(THRESHOLD),
            default=defaults.max_gave_up_per_hour,
            help="jobs that may give up in the last hour (default %(default)s)",
        )
        parser.add_argument(
            "--max-orphan-pending",
            type=option_int(THRESHOLD),
            default=defaults.max_orphan_pending_seconds,
            help="seconds an orphan Inji credential may wait for Certify to take its revocation (default %(default)s)",
        )

    def handle(
        self,
        *args,
        as_json: bool,
        check: bool,
        min_live_workers,
        max_due_age,
        max_gave_up_per_hour,
        max_orphan_pending,
        **options,
    ) -> None:
        notice = embedded_notice()
        if notice:
            self.stderr.write(notice)
        if check:
            thresholds = Thresholds(min_live_workers, max_due_age, max_gave_up_per_hour, max_orphan_pending)
            problems = health_problems(thresholds)
            if problems:
                raise CommandError("issuance is unhealthy:\n  " + "\n  ".join(problems))
            self.stdout.write("OK: issuance is healthy")
            return
        status = queue_status()
        if as_json:
            self.stdout.write(json.dumps(status, indent=2))
            return
        counts = status["counts"]
        self.stdout.write("Jobs: " + "  ".join(f"{name} {count}" for name, count in counts.items()))
        oldest = status["oldest_due"]
        if oldest is None:
            self.stdout.write("Oldest due job: none")
        else:
            self.stdout.write(
                f"Oldest due job: {oldest['id']} batch {oldest['batch']} ({oldest['status']}), "
                f"due {oldest['age_seconds']:.0f} s ago"
            )
        for title, key in (("Will retry", "will_retry"), ("Gave up", "gave_up")):
            self.stdout.write(f"{title}: {status[key]['count']}")
            for job in status[key]["jobs"]:
                when = f" next attempt {job['next_attempt_at']}" if job["next_attempt_at"] else ""
                self.stdout.write(f"  {job['id']} batch {job['batch']} attempts {job['attempts']}{when}")
                if job["last_error"]:
                    self.stdout.write(f"    {job['last_error']}")
        self.write_workers(status["workers"])
        self.write_orphans(status["orphan_credentials"])

    def write_workers(self, workers: list[dict]) -> None:
        self.stdout.write(f"Workers: {sum(w['state'] == 'live' for w in workers)} live")
        for worker in workers:
            self.stdout.write(
                f"  {worker['state']:<7} {worker['id']} last seen {worker['last_seen_at']} "
                f"active {worker['active_jobs']}/{worker['concurrency']} "
                f"processed {worker['processed']} failed {worker['failed']}"
            )

    def write_orphans(self, orphans: dict) -> None:
        counts = "  ".join(f"{state} {count}" for state, count in orphans["counts"].items())
        self.stdout.write(f"Orphan Inji credentials: {counts}")
        for orphan in orphans["unrevoked"]:
            self.stdout.write(
                f"  {orphan['state']:<11} {orphan['credential_id']} batch {orphan['batch']} job {orphan['job']} "
                f"recorded {orphan['recorded_at']} attempts {orphan['attempts']}"
            )
            self.stdout.write(f"    {orphan['reason']}")
            if orphan["last_error"]:
                self.stdout.write(f"    last attempt: {orphan['last_error']}")
