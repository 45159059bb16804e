from django.apps import AppConfig


class IssuanceConfig(AppConfig):
    name = "issuance"

    def ready(self) -> None:
        from mongoengine import signals

        from certificates.models import Inspection
        from core import mongo
        from issuance.hooks import enqueue_passed_inspection
        from issuance.models import IssuanceJob, WorkerHeartbeat

        mongo.register(IssuanceJob, WorkerHeartbeat)
        signals.post_save.connect(enqueue_passed_inspection, sender=Inspection)
