"""REST API for batches, inspections, certificates and public verification."""

from __future__ import annotations

from collections.abc import Iterable

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from certificates import lifecycle, listing, renders
from certificates.access import (
    batch_for,
    certificate_for,
    inspections_by,
    sees_every_batch,
    visible_batches,
    visible_certificates,
)
from certificates.lifecycle import Answer, Problem
from certificates.models import Batch, BatchStatus, CertificateStatus, Inspection, InspectionOutcome
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


def list_parameters(*, status: str, statuses: Iterable[str], by_country: bool = False) -> list[OpenApiParameter]:
    """A list's filters, as the pages offer them (certificates.listing.FilterForm reads both)."""
    parameters = [
        OpenApiParameter(status, str, enum=list(statuses)),
        OpenApiParameter("q", str, description="batch number prefix, any case"),
        OpenApiParameter("product", str, description="the start of any word of the batch's product, any case"),
    ]
    if by_country:
        parameters.append(
            OpenApiParameter("origin_country", str, description="ISO 3166-1 alpha-2 country code, any case, e.g. KE")
        )
    return parameters + [
        OpenApiParameter("since", OpenApiTypes.DATE, description="on or after this day (UTC), YYYY-MM-DD"),
        OpenApiParameter("until", OpenApiTypes.DATE, description="on or before this day (UTC), YYYY-MM-DD"),
        OpenApiParameter("order", str, enum=[value for value, _ in listing.ORDERS], description="default newest"),
    ]


def list_filters(request, *, status: str, statuses: Iterable[str], by_country: bool = False) -> listing.Filters:
    """The list's filters from the query string, read as the pages read theirs: a bad value is a 400
    naming its parameter and what it takes."""
    # FilterForm's fields by their names here (the pages' query strings say country and sort).
    names = {"q": "q", "product": "product", "status": status, "country": "origin_country"}
    names |= {"since": "since", "until": "until", "sort": "order"}
    data = {field: request.query_params[name] for field, name in names.items() if name in request.query_params}
    form = listing.FilterForm(data, statuses=statuses, by_country=by_country)
    if not form.is_valid():
        raise ValidationError({names[field]: problems for field, problems in form.errors.items()})
    return form.filters()


BATCH_STATUSES = tuple(BatchStatus)
# What a certificate list filters by: `pending` is a moment inside issuance, not a state anyone looks for.
CERTIFICATE_STATUSES = (CertificateStatus.ACTIVE, CertificateStatus.REVOKED)
INSPECTION_OUTCOMES = tuple(InspectionOutcome)


class BatchList(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = Pages  # also tells the schema that the list is paginated

    @extend_schema(
        parameters=list_parameters(status="status", statuses=BATCH_STATUSES, by_country=True),
        responses=BatchSerializer(many=True),
        summary="List batches you can see",
        description="Newest submitted first; each combination of filters is served by an index.",
    )
    def get(self, request):
        filters = list_filters(request, status="status", statuses=BATCH_STATUSES, by_country=True)
        batches = listing.batches(visible_batches(request.user), filters)
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
        parameters=[
            OpenApiParameter("batch", str, description="batch number"),
            *list_parameters(status="status", statuses=CERTIFICATE_STATUSES),
        ],
        responses=CertificateSerializer(many=True),
        summary="Certificates you can see (importers: those shared with them)",
        description="Newest issued first. Staff and QA agencies, who see every certificate, search (q, product) "
        f"at most {listing.BATCH_MATCHES} batches: a search that more match is refused (400).",
    )
    def get(self, request):
        filters = list_filters(request, status="status", statuses=CERTIFICATE_STATUSES)
        certificates = visible_certificates(request.user)
        if request.query_params.get("batch"):
            batch = Batch.objects(batch_number=request.query_params["batch"]).only("id").first()
            certificates = certificates.filter(batch=batch) if batch else certificates.none()
        everyone = sees_every_batch(request.user) and not request.query_params.get("batch")
        try:
            certificates = listing.certificates(certificates, filters, everyone=everyone)
        except listing.TooManyBatches as exc:
            raise ValidationError({"product" if filters.product else "q": [str(exc)]}) from None
        return paginated(self, request, certificates, CertificateSerializer, references=("batch",))


class InspectionHistory(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = Pages  # also tells the schema that the list is paginated

    @extend_schema(
        parameters=list_parameters(status="outcome", statuses=INSPECTION_OUTCOMES),
        responses=InspectionSerializer(many=True),
        summary="The inspections you recorded (QA agencies, staff), newest first",
    )
    def get(self, request):
        filters = list_filters(request, status="outcome", statuses=INSPECTION_OUTCOMES)
        inspections = listing.inspections(inspections_by(request.user), filters)
        return paginated(self, request, inspections, InspectionSerializer, references=("batch",))


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
