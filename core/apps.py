from django.apps import AppConfig
from django.conf import settings


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "AgriQCert core"

    def ready(self) -> None:
        from core import checks, mongo  # noqa: F401 - checks registers `check --deploy`'s MongoDB test

        # Before any app registers its documents: each registration builds its indexes in the
        # embedded mode, whose database is new at every start.
        mongo.connect(settings.MONGODB_URI, settings.MONGODB_DB)
