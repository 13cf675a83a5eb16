"""Exceptions raised by the media pipeline."""


class MediaError(Exception):
    """A permanent problem with the uploaded file; the message is safe to show to the user."""


class TranscodeCancelled(Exception):
    """The transcode was stopped because the caller asked for it."""
