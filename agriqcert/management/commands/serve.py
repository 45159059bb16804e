import os
import socket

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from certificates.demo import create_demo_data
from core import indexes
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


class Command(BaseCommand):
    help = "Run the web app; in the embedded mode the issuance worker runs in this process too."

    def add_arguments(self, parser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--demo", action="store_true", help="create demo users and batches (embedded mode)")

    def handle(self, *args, addrport: str, demo: bool, **options) -> None:
        if not settings.EMBEDDED_MODE:
            try:
                indexes.require()
            except ImproperlyConfigured as exc:
                raise CommandError(str(exc)) from None
        self.use_site_url_of(addrport)
        call_command("migrate", interactive=False, verbosity=0)
        if demo:
            if not settings.EMBEDDED_MODE:
                raise CommandError(
                    "--demo creates accounts whose password is published: it runs only in the embedded mode "
                    "(in memory, gone when it stops). Unset MONGODB_URI or drop --demo."
                )
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

    def use_site_url_of(self, addrport: str) -> None:
        """Public links, context and status-list URLs must reach this server: unless SITE_URL is set,
        it follows the address served (a host name for 0.0.0.0, which no browser can open)."""
        if os.environ.get("SITE_URL"):
            return
        host, _, port = addrport.rpartition(":") if ":" in addrport else ("127.0.0.1", "", addrport)
        if host in ("", "0.0.0.0", "[::]", "::"):
            host = socket.getfqdn()
        settings.SITE_URL = f"http://{host}:{port}"
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
