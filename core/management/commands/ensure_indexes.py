from django.core.management.base import BaseCommand

from core import mongo


class Command(BaseCommand):
    help = "Create the MongoDB indexes every document declares (idempotent)."

    def handle(self, *args, **options) -> None:
        for collection in mongo.ensure_indexes():
            self.stdout.write(f"indexes ensured: {collection}")
