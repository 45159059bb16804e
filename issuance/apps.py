from django.apps import AppConfig


class IssuanceConfig(AppConfig):
    name = "issuance"

    def ready(self) -> None:
        from mongoengine import signals

        from certificates.models import Inspection, IssuedVia
        from certificates.status_lists import register_publisher
        from core import mongo
        from issuance.hooks import inspection_saved
        from issuance.inji import publish_revocation
        from issuance.models import IssuanceJob, OrphanCredential, WorkerHeartbeat

        mongo.register(IssuanceJob, WorkerHeartbeat, OrphanCredential)
        register_publisher(IssuedVia.INJI, publish_revocation)
        signals.post_save.connect(inspection_saved, sender=Inspection)
