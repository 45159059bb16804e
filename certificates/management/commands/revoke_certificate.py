from django.core.management.base import BaseCommand, CommandError

from certificates.lifecycle import revoke
from certificates.lookup import find_certificate
from core.commands import embedded_notice


class Command(BaseCommand):
    help = "Revoke a certificate (by its id or credential id); verifiers then see it as revoked."

    def add_arguments(self, parser) -> None:
        parser.add_argument("certificate", help="certificate id or credential id (urn:uuid:…)")
        parser.add_argument("--reason", required=True, help="why it is revoked (kept with the certificate)")
        parser.add_argument("--by", default="manage.py", help="who revokes it")

    def handle(self, *args, certificate: str, reason: str, by: str, **options) -> None:
        notice = embedded_notice()
        if notice:
            self.stderr.write(notice)
        found = find_certificate(certificate)
        if found is None:
            raise CommandError(f"No certificate has the id or credential id {certificate!r}.")
        answer = revoke(found, by=by, reason=reason)
        if not answer.done:
            raise CommandError(answer.message)
        self.stdout.write(f"{answer.message} Batch {found.batch.batch_number}.")
