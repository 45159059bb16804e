"""`manage.py check --deploy` refuses a MongoDB the release cannot rely on (the same test as
`ensure_indexes --check`): a deploy stops there, before any process of the release serves."""

from __future__ import annotations

from django.core.checks import Error, register

from core import indexes, mongo


@register("mongodb", deploy=True)
def mongodb_indexes(app_configs=None, **kwargs) -> list[Error]:
    if mongo.is_embedded():
        return []  # the embedded store builds its indexes at every start
    return [
        Error(problem, hint="Run python manage.py ensure_indexes on this database.", id="core.E001")
        for problem in indexes.unmet()
    ]
