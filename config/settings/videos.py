"""The videos app: upload limits, ffmpeg and its sandbox, the media policy, tus and S3 uploads."""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from .api import SPECTACULAR_SETTINGS
from .environment import VAR_DIR, env

# --- Videos ---------------------------------------------------------------------------
VIDEO_MAX_UPLOAD_BYTES = env.int("VIDEO_MAX_UPLOAD_BYTES", default=500 * 1024 * 1024)
VIDEO_ALLOWED_EXTENSIONS = env.list(
    "VIDEO_ALLOWED_EXTENSIONS", default=[".mp4", ".mov", ".avi", ".mkv", ".webm"]
)
# ffmpeg threads per encode; 0 = the cores divided by the video worker's concurrency.
VIDEO_FFMPEG_THREADS = env.int("VIDEO_FFMPEG_THREADS", default=0)
# The ffmpeg and ffprobe that process uploads (Debian's package: security fixes via apt).
# FFPROBE_BINARY "" = the ffprobe next to FFMPEG_BINARY.
FFMPEG_BINARY = env("FFMPEG_BINARY", default="ffmpeg")
FFPROBE_BINARY = env("FFPROBE_BINARY", default="")
# auto: run ffmpeg in bubblewrap (no network, read-only system) when it works on this host;
# bwrap: refuse to run ffmpeg without it; none: never use it.
VIDEO_SANDBOX = env("VIDEO_SANDBOX", default="auto")
if VIDEO_SANDBOX not in ("auto", "bwrap", "none"):
    raise ImproperlyConfigured("VIDEO_SANDBOX must be auto, bwrap or none.")
# Address space one ffmpeg run may map (RLIMIT_AS), in MiB.
VIDEO_FFMPEG_MEMORY_LIMIT_MB = env.int("VIDEO_FFMPEG_MEMORY_LIMIT_MB", default=4096)
# The media policy, checked after the probe and before any encode.
VIDEO_MAX_PIXELS = env.int("VIDEO_MAX_PIXELS", default=3840 * 2160)
VIDEO_MAX_DURATION_SECONDS = env.int("VIDEO_MAX_DURATION_SECONDS", default=3 * 3600)
VIDEO_MAX_FPS = env.float("VIDEO_MAX_FPS", default=120)
VIDEO_MAX_FRAMES = env.int("VIDEO_MAX_FRAMES", default=3 * 3600 * 60)
VIDEO_MAX_OUTPUT_HEIGHT = env.int("VIDEO_MAX_OUTPUT_HEIGHT", default=1080)
# Fast path: web-ready H.264 + AAC is copied into the MP4, not re-encoded, when its video
# bitrate is at most this many bits per pixel per frame (0.2: ~12 Mb/s at 1080p30).
VIDEO_FAST_PATH = env.bool("VIDEO_FAST_PATH", default=True)
# The HLS ladder (CMAF, 1080/720/480/360 up to the video's height) in the same ffmpeg pass.
VIDEO_HLS = env.bool("VIDEO_HLS", default=True)
VIDEO_REMUX_MAX_BITS_PER_PIXEL = env.float("VIDEO_REMUX_MAX_BITS_PER_PIXEL", default=0.2)
# Where workers fetch originals and write renditions before storing them ("" = system temp).
VIDEO_WORK_DIR = env("VIDEO_WORK_DIR", default="")
TUS_UPLOAD_EXPIRE_HOURS = env.int("TUS_UPLOAD_EXPIRE_HOURS", default=24)
# Where tus uploads are assembled on local storage. Local disk of the web host: with
# several web hosts, share this folder or route an upload's requests to one host. With S3,
# tus uploads keep their parts on S3 and their state in the database (any web host).
TUS_UPLOAD_DIR = Path(env("TUS_UPLOAD_DIR", default=str(VAR_DIR / "tus")))
# django-storages holds an S3 file it reads wholly in memory unless this is set (default 0:
# no limit); past it, the download spills to FILE_UPLOAD_TEMP_DIR. Reading the head of a
# multipart upload's object opens it, so this keeps the web process flat for big files.
AWS_S3_MAX_MEMORY_SIZE = env.int("AWS_S3_MAX_MEMORY_SIZE", default=8 * 1024 * 1024)
S3_MULTIPART_PART_SIZE = env.int("S3_MULTIPART_PART_SIZE", default=16 * 1024 * 1024)
# Uploads (tus and S3 multipart together) a non-staff account may have open at once (0: no limit).
UPLOADS_MAX_OPEN_PER_USER = env.int("UPLOADS_MAX_OPEN_PER_USER", default=10)
# The API schema names the video status enum after its model (jobs also have a `status`).
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {})["VideoStatusEnum"] = (
    "videos.models.VideoStatus"
)
