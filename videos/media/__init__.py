"""Video media pipeline: sniff uploads, probe, check the policy and transcode with ffmpeg."""

from .errors import MediaError, TranscodeCancelled
from .policy import MediaPolicy, PolicyViolation
from .probe import VideoMetadata, probe
from .sniff import SNIFF_BYTES, sniff_container
from .transcode import Renditions, transcode

__all__ = [
    "SNIFF_BYTES",
    "MediaError",
    "MediaPolicy",
    "PolicyViolation",
    "Renditions",
    "TranscodeCancelled",
    "VideoMetadata",
    "probe",
    "sniff_container",
    "transcode",
]
