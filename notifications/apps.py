from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save

        from core import mongo
        from notifications.delivery import forget_addresses
        from notifications.models import Notification

        mongo.register(Notification)
        post_save.connect(forget_addresses, sender=get_user_model(), dispatch_uid="notifications.forget_addresses")
        post_delete.connect(forget_addresses, sender=get_user_model(), dispatch_uid="notifications.forget_addresses.d")
