from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "commerce"
    verbose_name = "Commerce"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from commerce import tasks  # noqa: F401  (register job types)
        from commerce.metrics import CommerceCollector
        from config.metrics import register_collector

        register_collector(CommerceCollector)

        from commerce.schedules import SCHEDULES
        from jobs.periodic import register_schedules

        register_schedules(self.name, SCHEDULES)
