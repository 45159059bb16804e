from django.apps import AppConfig


class IssuanceConfig(AppConfig):
    name = "issuance"

    def ready(self) -> None:
        from mongoengine import signals

        from certificates.models import Inspection
        from issuance.hooks import enqueue_passed_inspection

        signals.post_save.connect(enqueue_passed_inspection, sender=Inspection)
