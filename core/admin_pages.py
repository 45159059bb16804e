"""Helpers for the admin pages built on MongoEngine documents (which ModelAdmin cannot show)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from core import pagination
from core.clock import utcnow
from core.pagination import page_of

PER_PAGE = 50
# The admin lists' date filter: rows dated within the chosen period up to now.
PERIODS = {
    "today": ("Today", timedelta(days=1)),
    "7d": ("Past 7 days", timedelta(days=7)),
    "30d": ("Past 30 days", timedelta(days=30)),
}


def render(request: HttpRequest, template: str, title: str, **context: object) -> TemplateResponse:
    return TemplateResponse(
        request, template, {**admin.site.each_context(request), "title": title, "subtitle": None, **context}
    )


def paginate(request: HttpRequest, queryset: object, per_page: int = PER_PAGE) -> Page:
    return page_of(request, queryset, per_page, parameter="p")


def sort_key(request: HttpRequest, allowed: dict[str, str], default: str) -> tuple[str, str]:
    """The (parameter value, MongoEngine order) for ?o=…; unknown values fall back to the default."""
    value = request.GET.get("o", default)
    field = allowed.get(value.lstrip("-"))
    if field is None:
        value, field = default, allowed[default.lstrip("-")]
    return value, ("-" if value.startswith("-") else "") + field


def query_string(request: HttpRequest, **changes: object) -> str:
    return pagination.query_string(request, "p", **changes)


def within_period(request: HttpRequest, queryset, field: str, parameter: str = "when"):
    """`queryset` narrowed to `field` within the period ?<parameter>=… names (any other value: unnarrowed)."""
    period = PERIODS.get(request.GET.get(parameter, ""))
    return queryset.filter(**{f"{field}__gte": utcnow() - period[1]}) if period else queryset


def period_links(request: HttpRequest, parameter: str = "when") -> list[tuple[str, str, bool]]:
    """(url, label, selected) for each period, after "Any date"."""
    chosen = request.GET.get(parameter, "")
    links = [(query_string(request, **{parameter: None}), "Any date", chosen not in PERIODS)]
    return links + [
        (query_string(request, **{parameter: key}), label, chosen == key) for key, (label, _) in PERIODS.items()
    ]


def requires_permission(permission: str) -> Callable:
    """Staff is checked by admin_view; an action needs its own permission too."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            if not request.user.has_perm(permission):
                raise PermissionDenied(f"You need the {permission} permission.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def confirm_or_run(
    request: HttpRequest,
    *,
    question: str,
    details: list[str],
    action: Callable[[], tuple[bool, str]],
    back: str,
    extra_fields: list[tuple[str, str, str]] | None = None,
    error: str | None = None,
) -> HttpResponse:
    """The admin's two-step POST: first a confirmation page, then (with confirm=yes) the action.

    `extra_fields` (name, label, value) are asked for on the confirmation page; `error` sends the
    user back to it with that message.
    """
    extra_fields = extra_fields or []
    if request.POST.get("confirm") != "yes" or error:
        asked = {name for name, _, _ in extra_fields}
        return render(
            request,
            "admin/core/confirm.html",
            question,
            question=question,
            details=details,
            back=back,
            carried=[(k, v) for k, v in request.POST.lists() if k not in ("csrfmiddlewaretoken", "confirm", *asked)],
            extra_fields=extra_fields,
            error=error,
        )
    done, message = action()
    (messages.success if done else messages.warning)(request, message)
    return redirect(back)
