from django.apps import AppConfig


class VideosConfig(AppConfig):
    name = "videos"
    verbose_name = "Videos"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from celery.signals import worker_init

        from videos import checks, receivers, tasks  # noqa: F401  (checks, receivers, job types)
        from videos.media.threads import remember_worker_concurrency
        from videos.uploads import tasks as upload_tasks  # noqa: F401

        worker_init.connect(remember_worker_concurrency, dispatch_uid="videos.worker_concurrency")

        from jobs.periodic import register_schedules
        from videos.schedules import SCHEDULES

        register_schedules(self.name, SCHEDULES)

        from jobs.dashboard.pages import register_page
        from videos.dashboard import PAGES

        for page in PAGES:
            register_page(page)
