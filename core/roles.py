"""Who may do what: roles are Django groups (exporter, qa_agency, importer) plus staff."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group
from rest_framework.permissions import BasePermission

EXPORTER = "exporter"
QA_AGENCY = "qa_agency"
IMPORTER = "importer"
ROLES = (EXPORTER, QA_AGENCY, IMPORTER)


def has_role(user: AbstractBaseUser | AnonymousUser, role: str) -> bool:
    if not user.is_authenticated:
        return False
    cache = getattr(user, "_agriqcert_roles", None)
    if cache is None:
        cache = set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
        user._agriqcert_roles = cache
    return role in cache


def is_staff(user: AbstractBaseUser | AnonymousUser) -> bool:
    return bool(user.is_authenticated and user.is_staff)


def organisation(user: AbstractBaseUser) -> str:
    """The name printed on certificates: the user's full name, else the username."""
    return user.get_full_name() or user.get_username()


def ensure_role_groups() -> None:
    for role in ROLES:
        Group.objects.get_or_create(name=role)


class IsExporter(BasePermission):
    message = "Only exporters can do this."

    def has_permission(self, request, view) -> bool:
        return has_role(request.user, EXPORTER)


class IsQAAgency(BasePermission):
    message = "Only QA agencies can record inspections."

    def has_permission(self, request, view) -> bool:
        return has_role(request.user, QA_AGENCY) or is_staff(request.user)


class IsStaff(BasePermission):
    message = "Only staff can do this."

    def has_permission(self, request, view) -> bool:
        return is_staff(request.user)
