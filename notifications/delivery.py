"""The one way to notify someone: a stored Notification, and an e-mail when they have an address."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from mongoengine import NotUniqueError

from core.clock import utcnow
from notifications.models import Notification

log = logging.getLogger(__name__)

STAFF = "staff"  # the recipient name for every staff user


def notify(
    recipient: str,
    kind: str,
    title: str,
    message: str,
    *,
    batch_id: object = None,
    batch_number: str = "",
    certificate_id: object = None,
    dedupe_key: str | None = None,
) -> Notification | None:
    """Store the notification and e-mail it; None when `dedupe_key` was notified already."""
    notification = Notification(
        recipient=recipient,
        kind=kind,
        title=title,
        message=message,
        batch_id=batch_id,
        batch_number=batch_number or None,
        certificate_id=certificate_id,
        dedupe_key=dedupe_key,
    )
    try:
        notification.save(force_insert=True)
    except NotUniqueError:
        return None
    addresses = _addresses(recipient)
    if addresses:
        try:
            send_mail(f"[AgriQCert] {title}", message, settings.DEFAULT_FROM_EMAIL, addresses)
        except OSError as exc:  # the notification is stored; a mail outage must not fail issuance
            log.warning("notification=%s kind=%s outcome=email_failed error=%s", notification.pk, kind, exc)
        else:
            Notification.objects(pk=notification.pk).update_one(set__emailed_at=utcnow())
    return notification


def _addresses(recipient: str) -> list[str]:
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    if recipient == STAFF:
        users = users.filter(is_staff=True)
    else:
        users = users.filter(username=recipient)
    return list(users.values_list("email", flat=True))


def purge_expired(now: datetime | None = None) -> int:
    """What the TTL index does on MongoDB, for servers (and the embedded store) without TTL monitors."""
    return Notification.objects(expires_at__lte=now or utcnow()).delete()
