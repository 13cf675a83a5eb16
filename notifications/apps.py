from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications and webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from notifications import admin_alerts, receivers, tasks  # noqa: F401  (job types)

        receivers.connect_all()
        admin_alerts.connect()
