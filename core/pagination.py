from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.http import HttpRequest
from rest_framework.pagination import PageNumberPagination


class CountedQuery:
    """A MongoEngine queryset as Django's Paginator needs it: count() in the database, pages by
    skip/limit. (Paginator calls count() only when it takes no arguments; MongoEngine's takes one,
    so a bare queryset would be counted with len(), which loads every document.)"""

    def __init__(self, queryset) -> None:
        self.queryset = queryset

    def count(self) -> int:
        return self.queryset.count()

    def __getitem__(self, item):
        # A comprehension, not list(): list() asks the queryset for its len() first.
        return [document for document in self.queryset[item]] if isinstance(item, slice) else self.queryset[item]


class Pages(PageNumberPagination):
    """Every API list: ?page=N, ?page_size=N (at most 100)."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(self, queryset, request, view=None):
        return super().paginate_queryset(CountedQuery(queryset), request, view)


def page_of(request: HttpRequest, queryset, per_page: int, parameter: str = "page") -> Page:
    """Server-side pages: one count and one skip/limit query, never the whole collection. A page
    number past the end shows the last page, a malformed one the first."""
    return Paginator(CountedQuery(queryset), per_page).get_page(request.GET.get(parameter))


def query_string(request: HttpRequest, parameter: str = "page", **changes: object) -> str:
    """The request's query with `changes` (None or "" removes a key), on its first page."""
    params = {key: value for key, value in request.GET.items() if key != parameter}
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = str(value)
    return "?" + urlencode(params) if params else "?"
