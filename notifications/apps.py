from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self) -> None:
        from core import mongo
        from notifications.models import Notification

        mongo.register(Notification)
