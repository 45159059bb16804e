from django.core.management.base import BaseCommand, CommandError

from core import indexes


class Command(BaseCommand):
    help = (
        "Create the MongoDB indexes every document declares (idempotent; run on every deploy, before the "
        "new release's workers start). With --check: build nothing, and fail if any is missing or different."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="only compare the database's indexes with the declared ones (a deploy gate); exit 1 if they differ",
        )

    def handle(self, *args, check: bool, **options) -> None:
        if check:
            return self.check_only()
        failed = False
        for outcome in indexes.ensure():
            self.stdout.write(f"{outcome.collection}: {len(outcome.created)} index(es) in place")
            for name in outcome.dropped:
                self.stdout.write(f"{outcome.collection}: dropped the obsolete index {name}")
            for failure in outcome.failures:
                failed = True
                self.stderr.write(f"{outcome.collection}.{failure}")
        if failed:
            raise CommandError(
                "Some indexes could not be built; fix what is listed above and run ensure_indexes again."
            )

    def check_only(self) -> None:
        found = indexes.unmet()
        for problem in found:
            self.stderr.write(problem)
        if found:
            raise CommandError(
                "The database is not ready for this release: run python manage.py ensure_indexes (without --check)."
            )
        self.stdout.write("Every declared index is in place.")
