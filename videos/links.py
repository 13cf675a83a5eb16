"""Links to a video's files: signed for the person asking, expiring (see config.media)."""

from django.http import HttpRequest

from config.media import media_url
from videos.models import Video


def rendition_url(video: Video, rendition: str, *, request: HttpRequest | None) -> str | None:
    """Return a signed URL of `original`, `mp4`, `proxy` or `thumbnail`; None if there is none.

    The original downloads under the name it was uploaded with; the others play inline.
    """
    key = video.rendition_key(rendition)
    if not key:
        return None
    filename = video.original_filename if rendition == "original" else ""
    user = getattr(request, "user", None)
    return media_url(key, user=user, request=request, filename=filename)
