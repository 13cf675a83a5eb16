"""Signals the videos app sends when a video's processing ends.

Sent by `videos.services` inside the transaction that changed the video, with
`sender=Video` and `video=<the Video>`. Receivers must only enqueue work on commit.
"""

from django.dispatch import Signal

video_ready = Signal()
video_failed = Signal()
