from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "certificates"

    def ready(self) -> None:
        from certificates.models import Batch, Certificate, Inspection, StatusList, StatusListCounter
        from certificates.vocabulary import bundled_contexts
        from core import mongo
        from credentials.jsonld import bundle_contexts
        from credentials.pyld_threads import make_thread_safe

        make_thread_safe()
        bundle_contexts(bundled_contexts)
        mongo.register(Batch, Inspection, Certificate, StatusList, StatusListCounter)
