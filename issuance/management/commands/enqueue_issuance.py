from django.core.management.base import BaseCommand, CommandError

from certificates.lookup import find_batch
from core.commands import embedded_notice
from issuance.models import Trigger
from issuance.requests import Answer, request_issuance


class Command(BaseCommand):
    help = "Enqueue certificate issuance for a batch's latest passed inspection."

    def add_arguments(self, parser) -> None:
        parser.add_argument("batch", help="batch number or id")
        parser.add_argument("--reissue", action="store_true", help="issue a new certificate even if one exists")
        parser.add_argument("--by", default="", help="who asked (recorded on the job)")

    def handle(self, *args, batch: str, reissue: bool, by: str, **options) -> None:
        notice = embedded_notice()
        if notice:
            self.stderr.write(notice)
        found = find_batch(batch)
        if found is None:
            raise CommandError(f"No batch has the number or id {batch!r}.")
        request = request_issuance(found, trigger=Trigger.COMMAND, by=by or "enqueue_issuance", reissue=reissue)
        if request.refused:
            hint = " Use --reissue to issue a new one." if request.answer == Answer.ALREADY_CERTIFIED else ""
            raise CommandError(request.message + hint)
        self.stdout.write(request.message)
        self.stdout.write(str(request.job.pk))
