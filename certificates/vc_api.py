"""The W3C VC API's verifier endpoint, `POST /credentials/verify`, for machines that speak it.

Request `{"verifiableCredential": {...}, "options": {...}}`; the answer is the VC API's
VerificationResult `{verified, checks, warnings, errors}`: 200 when the credential verifies, 422
when it was read but does not verify, 400 when the request is not one. It verifies exactly as the
public page and `POST /api/v1/verify/` do (`verify_from_stranger`), under the same rate limit.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from certificates.throttling import VerifyThrottle
from certificates.trust import verify_from_stranger
from credentials.isolation import OverBudget
from credentials.limits import UnreadableCredential, check_document
from credentials.verification import Check, VerificationResult

# Our checks under the names the VC API and its test suites use.
CHECK_NAMES = {
    "signature": "proof",
    "format": "dataModel",
    "issuer": "issuer",
    "trust": "trustedIssuer",
    "validity": "validityPeriod",
    "revocation": "credentialStatus",
}
# Options a credential verifier understands; others are named in a warning, not silently ignored.
KNOWN_OPTIONS = {"checks"}


class VerifyOptions(serializers.Serializer):
    checks = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(CHECK_NAMES.values())),
        required=False,
        help_text="the checks the caller wants; every check is always made, and all are reported",
    )


class VerifyCredentialRequest(serializers.Serializer):
    verifiableCredential = serializers.JSONField(help_text="the credential, as a JSON object")  # noqa: N815
    options = serializers.DictField(required=False, default=dict)

    def validate_verifiableCredential(self, value: object) -> dict:  # noqa: N802 - the VC API's field name
        try:
            check_document(value)
        except UnreadableCredential as exc:
            raise serializers.ValidationError(f"Not a credential this service reads: {exc}.") from None
        return value

    def validate_options(self, value: dict) -> dict:
        options = VerifyOptions(data={k: v for k, v in value.items() if k in KNOWN_OPTIONS})
        options.is_valid(raise_exception=True)
        return value


class ProblemDetail(serializers.Serializer):
    type = serializers.CharField()
    title = serializers.CharField()
    detail = serializers.CharField()


class VerificationResultBody(serializers.Serializer):
    verified = serializers.BooleanField()
    checks = serializers.ListField(child=serializers.CharField(), help_text="the checks that passed")
    warnings = ProblemDetail(many=True, help_text="checks that could not be made here, and why")
    errors = ProblemDetail(many=True, help_text="checks that failed, and why")


def _problem(name: str, check: Check) -> dict:
    return {"type": f"https://agriqcert.org/problems#{name}", "title": name, "detail": check.reason}


def vc_api_result(result: VerificationResult, options: dict) -> dict:
    passed, warnings, errors = [], [], []
    for ours, check in result.checks.items():
        name = CHECK_NAMES[ours]
        if check.ok is True:
            passed.append(name)
        elif check.ok is None:
            warnings.append(_problem(name, check))
        else:
            errors.append(_problem(name, check))
    for option in sorted(set(options) - KNOWN_OPTIONS):
        warnings.append(_problem("option", Check(None, f"the option {option!r} is not one this verifier knows")))
    return {"verified": result.valid, "checks": passed, "warnings": warnings, "errors": errors}


class VerifyCredential(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [VerifyThrottle]

    @extend_schema(
        operation_id="verifyCredential",
        request=VerifyCredentialRequest,
        responses={200: VerificationResultBody, 422: VerificationResultBody},
        summary="Verify a credential (W3C VC API)",
        description="200 when the credential verifies, 422 when it does not (errors say why), 400 for a "
        "request that is not one. Public, rate-limited as POST /api/v1/verify/.",
        examples=[OpenApiExample("request", value={"verifiableCredential": {"@context": ["…"]}, "options": {}})],
        tags=["VC API"],
    )
    def post(self, request):
        body = VerifyCredentialRequest(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            result = verify_from_stranger(body.validated_data["verifiableCredential"])
        except OverBudget as exc:  # its check breached the limits of the process it ran in
            errors = [_problem(CHECK_NAMES["signature"], Check(False, str(exc)))]
            answer = {"verified": False, "checks": [], "warnings": [], "errors": errors}
            return Response(answer, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
        answer = vc_api_result(result, body.validated_data["options"])
        return Response(
            answer, status=status.HTTP_200_OK if answer["verified"] else status.HTTP_422_UNPROCESSABLE_ENTITY
        )
