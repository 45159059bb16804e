import json
import sys

from django.core.management.base import BaseCommand

from certificates.trust import operator_policy
from credentials.limits import MAX_CREDENTIAL_BYTES
from credentials.verification import UnreadableCredential, read_credential, verify_credential

EXIT_VALID, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2
MARKS = {True: "ok", False: "FAIL", None: "unknown"}


class Command(BaseCommand):
    help = "Verify a credential (JSON or QR text) from FILE or stdin ('-'). Exit 0 valid, 1 invalid, 2 unreadable."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="path to the credential, or - for standard input")
        parser.add_argument("--offline", action="store_true", help="do not fetch did:web documents or status lists")
        parser.add_argument("--json", action="store_true", dest="as_json", help="print the result as JSON")
        parser.add_argument(
            "--trust",
            action="append",
            default=[],
            metavar="DID",
            help="also trust this issuer (repeatable); this deployment's own issuers are always trusted",
        )

    def handle(self, *args, file: str, offline: bool, as_json: bool, trust: list[str], **options) -> None:
        try:
            # Never more than a credential can be: a huge file is refused, not read whole.
            if file == "-":
                text = sys.stdin.read(MAX_CREDENTIAL_BYTES + 1)
            else:
                with open(file, encoding="utf-8") as handle:
                    text = handle.read(MAX_CREDENTIAL_BYTES + 1)
            document = read_credential(text)
        except (OSError, UnicodeDecodeError, UnreadableCredential) as exc:
            self.stderr.write(f"Cannot read a credential from {file}: {exc}")
            sys.exit(EXIT_UNREADABLE)

        result = verify_credential(document, policy=operator_policy(offline=offline, also_trust=trust))
        if as_json:
            self.stdout.write(json.dumps(result.as_dict(), indent=2))
        else:
            self.stdout.write(f"{'VALID' if result.valid else 'INVALID'}: {result.credential_id or 'credential'}")
            for name, check in result.checks.items():
                self.stdout.write(f"  {name:<10} {MARKS[check.ok]:<8} {check.reason}")
        sys.exit(EXIT_VALID if result.valid else EXIT_INVALID)
