"""Factories for videos (rows only: no files are written and nothing is published)."""

import uuid

import factory
from django.utils import timezone

from tests.factories import UserFactory
from videos.models import Video, VideoStatus


class VideoFactory(factory.django.DjangoModelFactory):
    """A ready 320x240 MP4 video whose keys follow the storage layout."""

    class Meta:
        model = Video

    id = factory.LazyFunction(uuid.uuid4)
    owner = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Clip {n}")
    status = VideoStatus.READY
    original_filename = "clip.mp4"
    original_size = 1000
    container = "mp4"
    original_key = factory.LazyAttribute(lambda v: f"originals/{v.id}.mp4")
    mp4_key = factory.LazyAttribute(lambda v: f"processed/{v.id}/video.mp4")
    proxy_key = factory.LazyAttribute(lambda v: f"processed/{v.id}/proxy.mp4")
    thumbnail_key = factory.LazyAttribute(lambda v: f"processed/{v.id}/thumbnail.jpg")
    duration = 1.5
    width = 320
    height = 240
    rotation = 0
    fps = 25.0
    video_codec = "h264"
    audio_codec = "aac"
    has_audio = True
    processed_at = factory.LazyFunction(timezone.now)

    class Params:
        processing = factory.Trait(
            status=VideoStatus.PROCESSING,
            mp4_key="",
            proxy_key="",
            thumbnail_key="",
            processed_at=None,
        )
