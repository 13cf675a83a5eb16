"""Imported by every test worker (see tests/worker_settings.py)."""

from celery.signals import task_prerun
from django.contrib.contenttypes.models import ContentType


@task_prerun.connect(dispatch_uid="tests.clear_content_type_cache")
def clear_content_type_cache(**kwargs) -> None:
    """Forget content type ids cached before the test database was last flushed."""
    ContentType.objects.clear_cache()
