import json

from django.core.management.base import BaseCommand

from core.commands import embedded_notice
from issuance.monitoring import queue_status


class Command(BaseCommand):
    help = "Show the issuance queue: counts by status, retries, give-ups, oldest pending job, workers."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--json", action="store_true", dest="as_json", help="print JSON")

    def handle(self, *args, as_json: bool, **options) -> None:
        notice = embedded_notice()
        if notice:
            self.stderr.write(notice)
        status = queue_status()
        if as_json:
            self.stdout.write(json.dumps(status, indent=2))
            return
        counts = status["counts"]
        self.stdout.write("Jobs: " + "  ".join(f"{name} {count}" for name, count in counts.items()))
        age = status["oldest_pending_age_seconds"]
        self.stdout.write(f"Oldest pending job: {'none' if age is None else f'{age:.0f} s old'}")
        for title, key in (("Will retry", "will_retry"), ("Gave up", "gave_up")):
            self.stdout.write(f"{title}: {status[key]['count']}")
            for job in status[key]["jobs"]:
                when = f" next attempt {job['next_attempt_at']}" if job["next_attempt_at"] else ""
                self.stdout.write(f"  {job['id']} batch {job['batch']} attempts {job['attempts']}{when}")
                if job["last_error"]:
                    self.stdout.write(f"    {job['last_error']}")
        workers = status["workers"]
        self.stdout.write(f"Workers: {sum(w['state'] == 'live' for w in workers)} live")
        for worker in workers:
            self.stdout.write(
                f"  {worker['state']:<7} {worker['id']} last seen {worker['last_seen_at']} "
                f"active {worker['active_jobs']}/{worker['concurrency']} "
                f"processed {worker['processed']} failed {worker['failed']}"
            )
