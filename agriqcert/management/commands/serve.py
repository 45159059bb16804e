import argparse

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from certificates.demo import create_demo_data
from core import indexes
from core.environment import SERVE_ADDRESS, env_str, serve_port, site_url_served_at
from core.roles import EXPORTER, IMPORTER, QA_AGENCY, ensure_role_groups
from issuance import queue
from issuance.models import ErrorKind
from issuance.worker import Worker

DEMO_FAILED_BATCH = "DEMO-TEA-004"
DEMO_PASSWORD = "agriqcert-demo"  # demo accounts exist only in the embedded mode
DEMO_USERS = [
    ("admin", "AgriQCert operator", None),
    ("exporter", "Green Valley Exports Pvt Ltd", EXPORTER),
    ("inspector", "National QA Agency", QA_AGENCY),
    ("importer", "Hamburg Fine Foods GmbH", IMPORTER),
]


def served_address(text: str) -> str:
    """serve's ADDR:PORT (or PORT), refused by argparse with the port's bounds when the port is not one."""
    try:
        serve_port(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


class Command(BaseCommand):
    help = "Run the web app; in the embedded mode the issuance worker runs in this process too."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "addrport", nargs="?", default=SERVE_ADDRESS, type=served_address, help=f"default {SERVE_ADDRESS}"
        )
        parser.add_argument("--demo", action="store_true", help="create demo users and batches (embedded mode)")

    def handle(self, *args, addrport: str, demo: bool, **options) -> None:
        if demo and not settings.EMBEDDED_MODE:
            raise CommandError(
                "--demo creates accounts whose password is published: it runs only in the embedded mode "
                "(in memory, gone when it stops). Unset MONGODB_URI or drop --demo."
            )
        self.check_site_url(addrport)
        if not settings.EMBEDDED_MODE:
            try:
                indexes.require()
            except ImproperlyConfigured as exc:
                raise CommandError(str(exc)) from None
        call_command("migrate", interactive=False, verbosity=0)
        if demo:
            self.create_demo_users()
            batches = create_demo_data()
            self.fail_one_demo_job()
            self.stdout.write(f"Demo data: {', '.join(b.batch_number for b in batches)}")
            self.stdout.write(f"Demo logins (password {DEMO_PASSWORD!r}): admin, exporter, inspector, importer")
        if settings.EMBEDDED_MODE and settings.EMBEDDED_WORKER:
            worker = Worker()
            worker.start_in_background()
            self.stdout.write(f"Issuance worker {worker.id} runs in this process (concurrency {worker.concurrency}).")
        call_command("runserver", addrport, use_reloader=False)

    def fail_one_demo_job(self) -> None:
        """The demo shows a job that gave up, so that retrying one from the admin can be tried."""
        for _ in range(10):
            job = queue.claim("demo", 60)
            if job is None:
                return
            if job.batch_number != DEMO_FAILED_BATCH:
                queue.release(job)
                continue
            message = (
                "Inji Certify refused the request (400 invalid_credential_request) — a demo failure: "
                "retry it from the admin (Issuance jobs → this job → Retry)"
            )
            queue.fail(job, kind=ErrorKind.PERMANENT, message=message, worker_id="demo", permanent=True)
            return

    def check_site_url(self, addrport: str) -> None:
        """Public links, context and status-list URLs must reach this server. manage.py set SITE_URL
        to the address served before the settings derived anything from it, unless it was set; a
        SITE_URL left at its default here means serve was started some other way."""
        served = site_url_served_at(addrport)
        if not env_str("SITE_URL") and settings.SITE_URL != served:
            raise CommandError(
                f"This server listens on {addrport}, but the links it would sign name {settings.SITE_URL}: "
                f"start it with `python manage.py serve`, which sets SITE_URL={served}, or set SITE_URL."
            )
        self.stdout.write(f"Public links use SITE_URL={settings.SITE_URL} (set SITE_URL to choose another).")

    def create_demo_users(self) -> None:
        users = get_user_model()
        ensure_role_groups()
        for username, name, role in DEMO_USERS:
            if users.objects.filter(username=username).exists():
                continue
            staff = role is None
            user = users(username=username, email=f"{username}@example.org", first_name=name, is_staff=staff)
            user.is_superuser = staff
            user.set_password(DEMO_PASSWORD)
            user.save()
            if role:
                user.groups.add(Group.objects.get(name=role))
