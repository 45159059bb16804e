"""REST API: a user's notifications."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.clock import utcnow
from core.documents import get_document_or_404
from core.pagination import Pages
from notifications.access import mark_all_read, notifications_for


class NotificationSerializer(serializers.Serializer):
    id = serializers.CharField()
    kind = serializers.CharField()
    title = serializers.CharField()
    message = serializers.CharField()
    batch_number = serializers.CharField(allow_null=True)
    certificate_id = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


class NotificationList(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = Pages

    @extend_schema(responses=NotificationSerializer(many=True), summary="Your notifications, newest first")
    def get(self, request):
        notifications = notifications_for(request.user).order_by("-created_at")
        if request.query_params.get("unread") in ("1", "true"):
            notifications = notifications.filter(read_at=None)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(notifications, request, view=self)
        return paginator.get_paginated_response(NotificationSerializer(page, many=True).data)


class UnreadCount(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=inline_serializer("UnreadCount", {"unread": serializers.IntegerField()}))
    def get(self, request):
        return Response({"unread": notifications_for(request.user).filter(read_at=None).count()})


class MarkRead(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=NotificationSerializer, summary="Mark one notification read")
    def post(self, request, notification_id: str):
        notification = get_document_or_404(
            notifications_for(request.user), f"No notification {notification_id!r} of yours.", pk=notification_id
        )
        if notification.read_at is None:
            notification.update(set__read_at=utcnow())
            notification.reload()
        return Response(NotificationSerializer(notification).data)


class MarkAllRead(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=inline_serializer("MarkedRead", {"marked": serializers.IntegerField()}))
    def post(self, request):
        return Response({"marked": mark_all_read(request.user)})
