"""Whose notifications a user sees: their own, and as staff the ones addressed to all staff."""

from __future__ import annotations

from core.clock import utcnow
from notifications.delivery import STAFF
from notifications.models import Notification


def notifications_for(user):
    recipients = [user.get_username()] + ([STAFF] if user.is_staff else [])
    return Notification.objects(recipient__in=recipients)


def mark_all_read(user) -> int:
    return notifications_for(user).filter(read_at=None).update(set__read_at=utcnow())
