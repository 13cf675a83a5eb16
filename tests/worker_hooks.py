"""Imported by every test worker (see tests/worker_settings.py)."""

from celery.signals import task_prerun
from django.contrib.contenttypes.models import ContentType


@task_prerun.connect(dispatch_uid="tests.clear_content_type_cache")
def clear_content_type_cache(**kwargs) -> None:
    """Forget content type ids cached before the test database was last flushed."""
    ContentType.objects.clear_cache()


class ContentTypeCacheClearing:
    """Middleware of the test web servers: the same forgetting, before each request."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        ContentType.objects.clear_cache()
        return self.get_response(request)
