"""A verification's result as the pages say it (web/verdict.html, web/checks.html): each check in
one plain sentence, said once.

The engine's reasons (credentials/verification.py) are written for the API and the command, where
each must stand alone; on a page the issuer's DID and name are shown once above the checks, and
the verdict once above everything, so no sentence here repeats them. Checks that were not made for
the same reason share one sentence.
"""

from __future__ import annotations

from certificates.words import describe_goods, readable
from credentials.verification import VerificationResult

# What a check says when it holds, where the engine's reason would only repeat the DID shown above
# or the check's own name; the others say their reason ("valid until 3 December 2027, 20:57 UTC").
PASSED = {
    "signature": "Not altered since it was signed.",
    "issuer": "Signed by the issuer it names.",
    "revocation": "Not revoked by its issuer.",
}
# What each check is about, to say it was not checked.
SUBJECTS = {
    "signature": "the signature",
    "format": "the format",
    "issuer": "the signer",
    "trust": "trust in the issuer",
    "validity": "the dates",
    "revocation": "revocation",
}
NOT_CHECKED = "not checked: "


def checks_for_page(result: VerificationResult) -> dict:
    """What the verdict and the checks show: failed checks first, under the verdict, then those that
    held, then those that could not be made."""
    failed, passed, unchecked = [], [], {}
    for name, check in result.checks.items():
        if check.ok is None:
            unchecked.setdefault(check.reason.removeprefix(NOT_CHECKED), []).append(SUBJECTS[name])
        else:
            (passed if check.ok else failed).append(
                {"ok": check.ok, "text": _sentence(name, check.ok, check.reason, result)}
            )
    not_made = [{"ok": None, "text": _not_checked(subjects, why)} for why, subjects in unchecked.items()]
    return {
        "valid": result.valid,
        "rows": failed + passed + not_made,
        "issuer": result.issuer_id,
        "goods": describe_goods(result.certifies) if result.signature.ok else None,
    }


def _sentence(name: str, ok: bool, reason: str, result: VerificationResult) -> str:
    if name == "trust":  # the DID is shown once, above the checks
        return f"Issued by {result.issuer_label}." if ok else "Issued by an issuer this service does not know."
    if ok and name in PASSED:
        return PASSED[name]
    return _capitalised(readable(reason).rstrip(".")) + "."


def _not_checked(subjects: list[str], why: str) -> str:
    listed = subjects[0] if len(subjects) == 1 else ", ".join(subjects[:-1]) + " and " + subjects[-1]
    verb = "was" if len(subjects) == 1 else "were"
    return f"{_capitalised(listed)} {verb} not checked, because {readable(why).rstrip('.')}."


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]
