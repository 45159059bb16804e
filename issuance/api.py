"""REST API: a batch's issuance progress, and retry for staff."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from certificates.api import get_batch
from certificates.lookup import latest_passed_inspection
from certificates.models import Certificate
from core.roles import IsStaff
from issuance import queue
from issuance.models import IssuanceJob, Trigger


class JobSerializer(serializers.Serializer):
    id = serializers.CharField()
    status = serializers.CharField()
    attempts = serializers.IntegerField(source="attempt_count")
    max_attempts = serializers.IntegerField()
    will_retry = serializers.BooleanField()
    gave_up = serializers.BooleanField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_last_error(self, job: IssuanceJob) -> str | None:
        return job.errors[-1].message if job.errors else None

    def to_representation(self, instance: IssuanceJob) -> dict:
        data = super().to_representation(instance)
        data["id"] = str(instance.pk)
        return data


class IssuanceStatusSerializer(serializers.Serializer):
    batch_number = serializers.CharField()
    batch_status = serializers.CharField()
    job = JobSerializer(allow_null=True)
    certificate_id = serializers.CharField(allow_null=True)


def issuance_status(batch) -> dict:
    job = IssuanceJob.objects(batch_id=batch.pk).order_by("-created_at").first()
    certificate = Certificate.objects(batch=batch).only("id").order_by("-issued_at").first()
    return {
        "batch_number": batch.batch_number,
        "batch_status": batch.status,
        "job": JobSerializer(job).data if job else None,
        "certificate_id": str(certificate.pk) if certificate else None,
    }


class BatchIssuance(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=IssuanceStatusSerializer, summary="Where the batch's certificate issuance stands")
    def get(self, request, batch_number: str):
        return Response(issuance_status(get_batch(request.user, batch_number)))


class BatchIssuanceRetry(APIView):
    permission_classes = [IsStaff]

    @extend_schema(request=None, responses=IssuanceStatusSerializer, summary="Retry or enqueue issuance (staff)")
    def post(self, request, batch_number: str):
        batch = get_batch(request.user, batch_number)
        inspection = latest_passed_inspection(batch)
        if inspection is None:
            raise ValidationError({"batch": [f"Batch {batch.batch_number} has no passed inspection."]})
        result = queue.enqueue(inspection, trigger=Trigger.API, requested_by=request.user.get_username())
        if not result.created:
            if result.job.status == "failed":
                queue.retry(result.job, by=request.user.get_username())
            elif result.job.status == "success":
                raise ValidationError({"batch": [f"Batch {batch.batch_number} already has its certificate."]})
        return Response(issuance_status(batch))
