"""Sharing a certificate with an importer, and withdrawing it: the page and the API ask here."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q

from certificates.models import Certificate
from core.roles import IMPORTER
from notifications.delivery import notify
from notifications.models import NotificationKind


class SharingError(ValueError):
    """Why a share cannot be made, for the person who asked."""


def find_importer(reference: str):
    reference = reference.strip()
    if not reference:
        raise SharingError("Enter the importer's username or e-mail address.")
    match = Q(username=reference) | Q(email__iexact=reference) if "@" in reference else Q(username=reference)
    importers = get_user_model().objects.filter(match, groups__name=IMPORTER, is_active=True).distinct()
    if len(importers) != 1:
        raise SharingError(f"No importer has the username or e-mail address {reference!r}.")
    return importers[0]


def share(certificate: Certificate, reference: str) -> str:
    """Share with the importer named by username or e-mail; returns their username."""
    importer = find_importer(reference)
    username = importer.get_username()
    added = Certificate.objects(pk=certificate.pk).update_one(add_to_set__shared_with=username)
    batch = certificate.batch
    if added:
        notify(
            username,
            NotificationKind.CERTIFICATE_SHARED,
            f"{batch.exporter_name} shared a certificate with you",
            f"The quality certificate for {batch.product} batch {batch.batch_number} is now on your dashboard.",
            batch_id=batch.pk,
            batch_number=batch.batch_number,
            certificate_id=certificate.pk,
            dedupe_key=f"{NotificationKind.CERTIFICATE_SHARED}:{certificate.pk}:{username}",
        )
    return username


def withdraw(certificate: Certificate, username: str) -> bool:
    return bool(Certificate.objects(pk=certificate.pk).update_one(pull__shared_with=username))
