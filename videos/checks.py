"""System checks of the videos app: is ffmpeg there, and is it confined?

`manage.py check` (and every worker at start) warns when ffmpeg or ffprobe is missing,
or when bubblewrap can't isolate ffmpeg on this host; with VIDEO_SANDBOX=bwrap a missing
sandbox is an error.
"""

from django.core.checks import CheckMessage, Error, Warning, register

from videos.media import confine, ffmpeg


@register("videos")
def ffmpeg_installed(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    """Warn when ffmpeg or ffprobe can't be found."""
    problems: list[CheckMessage] = []
    for check_id, find in (
        ("videos.W001", ffmpeg.ffmpeg_binary),
        ("videos.W002", ffmpeg.ffprobe_binary),
    ):
        try:
            find()
        except ffmpeg.FFmpegMissing as exc:
            problems.append(Warning(f"Videos can't be processed: {exc}", id=check_id))
    return problems


@register("videos")
def ffmpeg_confined(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    """Warn (or, when it is required, fail) when ffmpeg can't run in bubblewrap."""
    status = confine.sandbox_status()
    if status.active or status.mode == "none":
        return []
    message = f"ffmpeg runs without network isolation: {status.detail}."
    if status.mode == "bwrap":
        return [Error(message, hint="VIDEO_SANDBOX=bwrap requires bubblewrap.", id="videos.E001")]
    return [
        Warning(
            message,
            hint="Install bubblewrap (apt-get install bubblewrap) where it can create "
            "namespaces, or set VIDEO_SANDBOX=none to accept this.",
            id="videos.W003",
        )
    ]
