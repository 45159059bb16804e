from django.core.management.base import BaseCommand, CommandError

from core import indexes


class Command(BaseCommand):
    help = "Create the MongoDB indexes every document declares (idempotent; run on every deploy)."

    def handle(self, *args, **options) -> None:
        failed = False
        for outcome in indexes.ensure():
            for name in outcome.dropped:
                self.stdout.write(f"{outcome.collection}: dropped the obsolete index {name}")
            self.stdout.write(f"{outcome.collection}: {len(outcome.created)} index(es) in place")
            for failure in outcome.failures:
                failed = True
                self.stderr.write(f"{outcome.collection}.{failure}")
        if failed:
            raise CommandError(
                "Some indexes could not be built; fix what is listed above and run ensure_indexes again."
            )
