from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "Processing jobs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # connect receivers and the worker heartbeat, register job types
        from config.metrics import register_collector
        from jobs import liveness, receivers, tasks  # noqa: F401
        from jobs.metrics import JobsCollector

        register_collector(JobsCollector)

        from jobs.periodic import register_schedules
        from jobs.schedules import SCHEDULES

        register_schedules(self.name, SCHEDULES)

        from config.celery import add_task_router
        from jobs.registry import task_route

        add_task_router(task_route)

        from jobs.dashboard.views import register_pages

        register_pages()
