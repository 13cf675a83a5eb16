from django.apps import AppConfig


class VideosConfig(AppConfig):
    name = "videos"
    verbose_name = "Videos"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from videos import receivers, tasks  # noqa: F401  (connect receivers, register job types)
        from videos.uploads import tasks as upload_tasks  # noqa: F401
