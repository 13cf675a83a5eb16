from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications and webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from notifications import (  # noqa: F401  (checks, job types)
            admin_alerts,
            checks,
            receivers,
            tasks,
        )

        receivers.connect_all()
        admin_alerts.connect()

        from config.metrics import register_collector
        from notifications.metrics import NotificationsCollector

        register_collector(NotificationsCollector)

        from jobs.periodic import register_schedules
        from notifications.schedules import SCHEDULES

        register_schedules(self.name, SCHEDULES)
