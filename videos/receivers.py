"""Model-signal receivers of the videos app: they only enqueue work on commit."""

from django.db.models.signals import post_delete
from django.dispatch import receiver

from jobs.services import job_create
from videos.models import Video


@receiver(post_delete, sender=Video, dispatch_uid="videos.delete_orphaned_files")
def delete_orphaned_files(sender, instance: Video, **kwargs) -> None:
    """Queue the deletion of the files of a video deleted without `video_delete`.

    Covers cascades (a user deleted with their videos) and bulk deletes. The job row is
    written in the deleting transaction and published when it commits.
    """
    if getattr(instance, "files_deleted", False):
        return
    keys = [instance.original_key, instance.mp4_key, instance.proxy_key, instance.thumbnail_key]
    job_create(
        job_type="video_delete_files",
        params={"video_id": str(instance.pk), "keys": [key for key in keys if key]},
    )
