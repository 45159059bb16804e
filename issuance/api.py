"""REST API: a batch's issuance progress, and retry for staff."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from certificates.access import batch_for
from certificates.models import Certificate
from core.roles import IsStaff
from issuance.models import IssuanceJob, Trigger
from issuance.requests import Answer, request_issuance
from issuance.words import plain_reason


class JobSerializer(serializers.Serializer):
    id = serializers.CharField()
    status = serializers.CharField()
    attempts = serializers.IntegerField(source="attempt_count")
    max_attempts = serializers.IntegerField()
    will_retry = serializers.BooleanField()
    gave_up = serializers.BooleanField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.SerializerMethodField()
    reason = serializers.SerializerMethodField(help_text="Why the last attempt failed, in plain words (no codes)")
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_last_error(self, job: IssuanceJob) -> str | None:
        return job.errors[-1].message if job.errors else None

    def get_reason(self, job: IssuanceJob) -> str | None:
        return plain_reason(job.errors[-1].kind, job.errors[-1].message) if job.errors else None


class IssuanceStatusSerializer(serializers.Serializer):
    batch_number = serializers.CharField()
    batch_status = serializers.CharField()
    job = JobSerializer(allow_null=True)
    certificate_id = serializers.CharField(allow_null=True)


def issuance_status(batch) -> dict:
    return issuance_statuses([batch])[batch.pk]


def issuance_statuses(batches: list) -> dict:
    """`issuance_status` of each batch, by batch id: two queries however many batches a list shows."""
    ids = [batch.pk for batch in batches]
    latest_jobs: dict = {}
    # A batch has a job per revision (retries reuse it): a few each, newest first.
    jobs = IssuanceJob.objects(batch_id__in=ids).exclude("received_credential", "unkept").order_by("-created_at")
    for job in jobs:
        latest_jobs.setdefault(job.batch_id, job)
    latest_certificates: dict = {}
    certificates = Certificate.objects(batch__in=ids).only("id", "batch").order_by("-issued_at").as_pymongo()
    for certificate in certificates:
        latest_certificates.setdefault(certificate["batch"], certificate["_id"])
    return {
        batch.pk: {
            "batch_number": batch.batch_number,
            "batch_status": batch.status,
            "job": JobSerializer(latest_jobs[batch.pk]).data if batch.pk in latest_jobs else None,
            "certificate_id": str(latest_certificates[batch.pk]) if batch.pk in latest_certificates else None,
        }
        for batch in batches
    }


class BatchIssuance(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=IssuanceStatusSerializer, summary="Where the batch's certificate issuance stands")
    def get(self, request, batch_number: str):
        return Response(issuance_status(batch_for(request.user, batch_number)))


class BatchIssuanceRetry(APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        request=None,
        responses={
            200: IssuanceStatusSerializer,
            409: OpenApiResponse(description="Issuance is already on its way, or the batch has its certificate"),
        },
        summary="Request issuance: enqueue, or re-queue a job that gave up (staff)",
    )
    def post(self, request, batch_number: str):
        batch = batch_for(request.user, batch_number)
        answer = request_issuance(batch, trigger=Trigger.API, by=request.user.get_username())
        if answer.answer == Answer.NO_PASSED_INSPECTION:
            raise ValidationError({"batch": [answer.message]})
        if answer.refused:
            return Response({"detail": answer.message}, status=status.HTTP_409_CONFLICT)
        return Response(issuance_status(batch))
