"""Factories for the notifications tests."""

import factory

from notifications.models import RenderStatus, VideoRender, WebhookEndpoint
from notifications.signatures import generate_secret
from tests.factories import UserFactory


class VideoRenderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VideoRender

    video_id = factory.Sequence(lambda n: f"render-{n}")
    status = RenderStatus.PROCESSING


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    """An endpoint created directly (the API checks the URL; these point at test servers)."""

    class Meta:
        model = WebhookEndpoint

    owner = factory.SubFactory(UserFactory)
    url = "https://hooks.example.com/reelhouse"
    secret = factory.LazyFunction(generate_secret)
    event_types = factory.LazyFunction(lambda: ["video.ready", "render.completed"])
