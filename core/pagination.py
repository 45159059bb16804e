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
