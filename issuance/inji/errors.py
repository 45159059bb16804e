class IssuerError(Exception):
    """Issuance failed; the message is fit for an operator and never contains a secret."""

    transient = False


class TransientIssuerError(IssuerError):
    """Worth retrying later: a timeout, a 5xx, a garbled answer, a temporary refusal."""

    transient = True


class PermanentIssuerError(IssuerError):
    """Retrying cannot help: a validation refusal, a misconfiguration, a credential from the wrong issuer."""
