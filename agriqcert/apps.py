from django.apps import AppConfig
from django.conf import settings


class AgriqcertConfig(AppConfig):
    name = "agriqcert"
    verbose_name = "AgriQCert"

    def ready(self) -> None:
        from agriqcert import mongo

        mongo.connect(settings.MONGODB_URI, settings.MONGODB_DB)
