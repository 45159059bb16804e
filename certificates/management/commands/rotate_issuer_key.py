from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from certificates.signing import retired_keys_file, web_did
from credentials.keys import KeyFormatError, rotate_key_file


class Command(BaseCommand):
    help = (
        "Give the did:web issuer a new signing key. The old public key stays in its DID document, so "
        "certificates it signed keep verifying; new certificates and status lists use the new key."
    )

    def handle(self, *args, **options) -> None:
        if not settings.MOCK_ISSUER_DID_WEB:
            raise CommandError(
                "Key rotation needs MOCK_ISSUER_DID_WEB=true: with did:key the key is the issuer's identity, "
                "so a new key would be a new issuer and older certificates would lose it."
            )
        path = Path(settings.MOCK_ISSUER_KEY_FILE)
        if not path.exists():
            raise CommandError(f"There is no issuer key to rotate at MOCK_ISSUER_KEY_FILE ({path}).")
        try:
            old, new = rotate_key_file(path, retired_keys_file())
        except (OSError, KeyFormatError) as exc:
            raise CommandError(f"The key was not rotated: {exc}") from None
        did = web_did()
        self.stdout.write(
            f"{did} now signs with {did}#{new.public_multibase}; {did}#{old.public_multibase} is retired and stays "
            f"in the DID document. Keep {path} and {retired_keys_file()} together (back up both)."
        )
