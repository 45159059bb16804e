from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "certificates"

    def ready(self) -> None:
        from certificates.models import Batch, Certificate, Inspection, StatusList
        from certificates.pyld_threads import make_thread_safe
        from core import mongo

        make_thread_safe()
        mongo.register(Batch, Inspection, Certificate, StatusList)
