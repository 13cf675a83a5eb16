"""Video media pipeline: sniff uploads, probe metadata and transcode renditions with ffmpeg."""

from .errors import MediaError, TranscodeCancelled
from .probe import VideoMetadata, probe
from .sniff import SNIFF_BYTES, sniff_container
from .transcode import Renditions, transcode

__all__ = [
    "SNIFF_BYTES",
    "MediaError",
    "Renditions",
    "TranscodeCancelled",
    "VideoMetadata",
    "probe",
    "sniff_container",
    "transcode",
]
