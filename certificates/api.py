"""REST API for batches, inspections, certificates and public verification."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from certificates import lifecycle, renders
from certificates.access import batch_for, certificate_for, visible_batches, visible_certificates
from certificates.lifecycle import Answer, Problem
from certificates.models import Batch, BatchStatus, Inspection
from certificates.serializers import (
    BatchSerializer,
    CertificateSerializer,
    InspectionSerializer,
    ShareSerializer,
    VerificationResultSerializer,
    VerifyFileSerializer,
    VerifyRequestSerializer,
)
from certificates.throttling import VerifyThrottle
from certificates.trust import verify_from_stranger
from core.documents import load_references
from core.pagination import Pages
from core.request_limits import BoundedJSONParser, takes_files
from credentials.isolation import OverBudget
from credentials.qr import qr_if_it_fits


def paginated(view: APIView, request, queryset, serializer_class, *, references: tuple[str, ...] = ()) -> Response:
    """One page of `queryset`, with the documents its `references` name loaded for the whole page at once."""
    paginator = view.pagination_class()
    page = paginator.paginate_queryset(queryset, request, view=view)
    for name in references:
        page = load_references(page, name)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)


class Refused(APIException):
    """A refusal of `certificates.lifecycle`, with the status code its problem maps to."""

    STATUS = {
        Problem.FORBIDDEN: status.HTTP_403_FORBIDDEN,
        Problem.INVALID: status.HTTP_400_BAD_REQUEST,
        Problem.CONFLICT: status.HTTP_409_CONFLICT,
        Problem.UNPUBLISHED: status.HTTP_502_BAD_GATEWAY,
    }

    def __init__(self, answer: Answer) -> None:
        self.status_code = self.STATUS[answer.problem]
        detail = dict(answer.errors) if answer.problem == Problem.INVALID else {"detail": answer.message}
        super().__init__(detail)


def answered(answer: Answer):
    """The answer's subject when it was done; the refusal as an API error otherwise."""
    if not answer.done:
        raise Refused(answer)
    return answer.subject


# Each combination is served by an index of Batch (ESR order); a filter without one would make
# every page read every batch a staff member or QA agency may see.
BATCH_FILTERS = [
    OpenApiParameter("status", str, enum=list(BatchStatus)),
    OpenApiParameter("q", str, description="batch number prefix (any case)"),
]
# Filters earlier releases took: refused, so that a client relying on one is not sent every batch.
WITHDRAWN_FILTERS = ("product", "origin_country")


class BatchList(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = Pages  # also tells the schema that the list is paginated

    @extend_schema(parameters=BATCH_FILTERS, responses=BatchSerializer(many=True), summary="List batches you can see")
    def get(self, request):
        withdrawn = [name for name in WITHDRAWN_FILTERS if name in request.query_params]
        if withdrawn:
            problem = "No longer a filter (no index serves it): filter by status or q (batch number prefix)."
            raise ValidationError({name: [problem] for name in withdrawn})
        batches = visible_batches(request.user).order_by("-created_at")
        if request.query_params.get("status") in set(BatchStatus):
            batches = batches.filter(status=request.query_params["status"])
        if request.query_params.get("q"):
            batches = Batch.matching(batches, request.query_params["q"])
        return paginated(self, request, batches, BatchSerializer)

    @extend_schema(request=BatchSerializer, responses={201: BatchSerializer}, summary="Submit a batch (exporters)")
    def post(self, request):
        answered(lifecycle.may_submit(request.user))
        serializer = BatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        batch = answered(lifecycle.submit_batch(request.user, serializer.validated_data))
        return Response(BatchSerializer(batch).data, status=status.HTTP_201_CREATED)


class BatchDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=BatchSerializer, summary="One batch")
    def get(self, request, batch_number: str):
        return Response(BatchSerializer(batch_for(request.user, batch_number)).data)


class InspectionList(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = Pages  # also tells the schema that the list is paginated

    @extend_schema(responses=InspectionSerializer(many=True), summary="A batch's inspections")
    def get(self, request, batch_number: str):
        batch = batch_for(request.user, batch_number)
        inspections = Inspection.objects(batch=batch).order_by("-inspected_at")
        return paginated(self, request, inspections, InspectionSerializer, references=("batch",))

    @extend_schema(
        request=InspectionSerializer,
        responses={201: InspectionSerializer},
        summary="Record an inspection (QA agencies); a passing one triggers certificate issuance",
    )
    def post(self, request, batch_number: str):
        allowed = lifecycle.may_inspect(request.user)
        if allowed.problem == Problem.FORBIDDEN:
            raise Refused(allowed)
        batch = batch_for(request.user, batch_number)
        answered(allowed)
        serializer = InspectionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        inspection = answered(lifecycle.record_inspection(request.user, batch, serializer.validated_data))
        return Response(InspectionSerializer(inspection).data, status=status.HTTP_201_CREATED)


class CertificateList(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = Pages  # also tells the schema that the list is paginated

    @extend_schema(
        parameters=[OpenApiParameter("batch", str, description="batch number")],
        responses=CertificateSerializer(many=True),
        summary="Certificates you can see (importers: those shared with them)",
    )
    def get(self, request):
        certificates = visible_certificates(request.user).exclude("credential_json").order_by("-issued_at")
        if request.query_params.get("batch"):
            batch = Batch.objects(batch_number=request.query_params["batch"]).only("id").first()
            certificates = certificates.filter(batch=batch) if batch else certificates.none()
        return paginated(self, request, certificates, CertificateSerializer, references=("batch",))


class CertificateDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=CertificateSerializer, summary="One certificate")
    def get(self, request, certificate_id: str):
        return Response(CertificateSerializer(certificate_for(request.user, certificate_id)).data)


class CertificateCredential(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={(200, "application/vc+ld+json"): OpenApiTypes.OBJECT}, summary="The credential, as issued"
    )
    def get(self, request, certificate_id: str):
        certificate = certificate_for(request.user, certificate_id)
        response = HttpResponse(certificate.credential_json, content_type="application/vc+ld+json")
        response["Content-Disposition"] = f'attachment; filename="certificate-{certificate.batch.batch_number}.json"'
        return response


class CertificateQR(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={
            (200, "image/svg+xml"): OpenApiTypes.BINARY,
            (200, "image/png"): OpenApiTypes.BINARY,
            304: OpenApiResponse(description="Not modified: the ETag sent in If-None-Match is still current"),
        },
        summary="The certificate's QR code (PixelPass, or its public page's URL when too dense)",
        description="Drawn once per certificate state and then served from the cache, with an ETag; "
        "drawings (not cached copies) are limited per client address and minute (429).",
    )
    def get(self, request, certificate_id: str, image_format: str):
        certificate = certificate_for(request.user, certificate_id)

        def draw() -> bytes | str:
            qr = qr_if_it_fits(certificate.credential)
            if qr is None:
                raise Http404("This certificate is too large for a readable QR code; use its credential.")
            return qr.printable_png() if image_format == "png" else qr.svg(scale=6)

        kind = renders.QR_PNG if image_format == "png" else renders.QR_SVG
        return renders.rendered(request, certificate, kind, draw, public=False)


class CertificateShare(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=ShareSerializer, responses=CertificateSerializer, summary="Share a certificate with an importer"
    )
    def post(self, request, certificate_id: str):
        certificate = certificate_for(request.user, certificate_id)
        answered(lifecycle.may_share(request.user, certificate))
        serializer = ShareSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        answered(lifecycle.share(request.user, certificate, serializer.validated_data["importer"]))
        return Response(CertificateSerializer(certificate.reload()).data)


class CertificateShareWithdraw(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=CertificateSerializer, summary="Withdraw a share: the importer no longer sees it")
    def delete(self, request, certificate_id: str, username: str):
        certificate = certificate_for(request.user, certificate_id)
        answered(lifecycle.withdraw(request.user, certificate, username))
        return Response(CertificateSerializer(certificate.reload()).data)


@takes_files
class Verify(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [VerifyThrottle]
    parser_classes = [BoundedJSONParser, MultiPartParser]

    @extend_schema(
        request={"application/json": VerifyRequestSerializer, "multipart/form-data": VerifyFileSerializer},
        responses={
            200: VerificationResultSerializer,
            400: OpenApiResponse(description="Not a credential, or a file with no readable QR code; the body says why"),
            413: OpenApiResponse(description="Larger than the request limit (256 KB of JSON, 11 MB of upload)"),
            422: OpenApiResponse(description="Checking it took more CPU time, memory or time than a credential needs"),
        },
        summary="Verify a credential, its QR text, or a photo or PDF of its QR code (public)",
        description="Send JSON with `credential` or `qr`, or multipart/form-data with a `file`: a photo or "
        "screenshot of the QR code, the certificate's PDF, or the credential's JSON file.",
    )
    def post(self, request):
        multipart = request.content_type.startswith("multipart/form-data")
        serializer = (VerifyFileSerializer if multipart else VerifyRequestSerializer)(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            result = verify_from_stranger(serializer.validated_data["document"])
        except OverBudget as exc:  # its check breached the limits of the process it ran in
            return Response({"detail": f"Not verified: {exc}."}, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
        return Response(result.as_dict())
