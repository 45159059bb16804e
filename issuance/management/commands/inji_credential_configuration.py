import json

from django.core.management.base import BaseCommand

from issuance.inji.configuration import credential_configuration


class Command(BaseCommand):
    help = (
        "Print the credential configuration Inji Certify needs for AgriQCert certificates, as the JSON body "
        "of POST {Certify}/credential-configurations (see README, 'Connecting to Inji Certify')."
    )

    def handle(self, *args, **options) -> None:
        self.stdout.write(json.dumps(credential_configuration(), indent=2))
