"""The one way to notify someone: a stored Notification, and an e-mail when they have an address."""

from __future__ import annotations

import logging
import threading
import time
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


# Who gets mail changes rarely, and looking it up is an SQL query (a new connection, in a new
# thread) on the worker's path for every certificate. Kept for a minute; this process's user
# changes clear it at once, another process's (an admin editing a user) show within the minute.
ADDRESSES_KEPT_SECONDS = 60
ADDRESSES_KEPT_AT_MOST = 10_000
_addresses_kept: dict[str, tuple[float, list[str]]] = {}
_addresses_lock = threading.Lock()


def _addresses(recipient: str) -> list[str]:
    now = time.monotonic()
    with _addresses_lock:
        kept = _addresses_kept.get(recipient)
    if kept is not None and now - kept[0] < ADDRESSES_KEPT_SECONDS:
        return kept[1]
    addresses = _look_up_addresses(recipient)
    with _addresses_lock:
        if len(_addresses_kept) >= ADDRESSES_KEPT_AT_MOST:
            _addresses_kept.clear()
        _addresses_kept[recipient] = (now, addresses)
    return addresses


def forget_addresses(**_: object) -> None:
    """A user changed: look addresses up afresh (connected to the user model's save and delete)."""
    with _addresses_lock:
        _addresses_kept.clear()


def _look_up_addresses(recipient: str) -> list[str]:
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    if recipient == STAFF:
        users = users.filter(is_staff=True)
    else:
        users = users.filter(username=recipient)
    return list(users.values_list("email", flat=True))


def purge_expired(now: datetime | None = None) -> int:
    """What MongoDB's TTL monitor does on a server, for the embedded store, which has none (the worker
    runs it there only: on a server the monitor deletes by the server's clock, not a worker host's)."""
    return Notification.objects(expires_at__lte=now or utcnow()).delete()
