from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "certificates"

    def ready(self) -> None:
        from certificates.models import Batch, Certificate, Inspection, StatusList
        from core import mongo
        from credentials.pyld_threads import make_thread_safe

        make_thread_safe()
        mongo.register(Batch, Inspection, Certificate, StatusList)
