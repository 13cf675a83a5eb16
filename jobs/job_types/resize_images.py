"""`resize_images`: resize uploaded images to one or more sizes with Pillow.

Outputs go to `jobs/outputs/{job_id}/{name}_{w}x{h}.{ext}` (w x h is the requested box),
each written to a temp file first and then saved over any copy from an earlier attempt.
"""

import os
import posixpath
import re
import tempfile
from typing import Any

from django.core.files import File
from django.core.files.storage import default_storage
from drf_spectacular.utils import extend_schema_field
from PIL import Image, ImageOps, UnidentifiedImageError
from rest_framework import serializers

from config.celery import USER_JOBS_QUEUE
from jobs import storage
from jobs.base_task import job_task
from jobs.errors import PermanentJobError
from jobs.progress import JobRun

SIZE_PATTERN = re.compile(r"^(\d{1,4})x(\d{1,4})$")
MAX_SIDE = 4096
MAX_PIXELS = 40_000_000
# Pillow format -> (output format, extension); anything else is written as PNG.
OUTPUT_FORMATS = {"JPEG": ("JPEG", "jpg"), "PNG": ("PNG", "png"), "WEBP": ("WEBP", "webp")}


def parse_size(value: str) -> tuple[int, int]:
    match = SIZE_PATTERN.match(value.strip().lower())
    if not match:
        raise serializers.ValidationError(f"{value!r} is not a size like 320x240.")
    return _checked(int(match[1]), int(match[2]), label=repr(value))


def _checked(width: int, height: int, *, label: str) -> tuple[int, int]:
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
        raise serializers.ValidationError(f"{label}: each side must be 1 to {MAX_SIDE} pixels.")
    return width, height


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "pattern": r"^\d{1,4}x\d{1,4}$", "example": "320x240"},
            {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2},
        ]
    }
)
class SizeField(serializers.Field):
    """A box as "320x240" or as [320, 240]; kept in the job's params as "320x240"."""

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, str) and len(data) <= 9:
            width, height = parse_size(data)
        elif (
            isinstance(data, list)
            and len(data) == 2
            and all(isinstance(side, int) and not isinstance(side, bool) for side in data)
        ):
            width, height = _checked(data[0], data[1], label=str(data))
        else:
            raise serializers.ValidationError(
                'A size is "WIDTHxHEIGHT" (e.g. "320x240") or [WIDTH, HEIGHT] (e.g. [320, 240]).'
            )
        return f"{width}x{height}"

    def to_representation(self, value: str) -> str:
        return value


class ResizeImagesParams(serializers.Serializer):
    files = serializers.ListField(child=serializers.CharField(), min_length=1, max_length=20)
    sizes = serializers.ListField(
        child=SizeField(),
        min_length=1,
        max_length=5,
        default=["256x256"],
        help_text='Boxes like "320x240" or [320, 240].',
    )
    mode = serializers.ChoiceField(
        choices=["fit", "crop"],
        default="fit",
        help_text="fit: keep the aspect ratio inside the box (never enlarge); "
        "crop: fill the box exactly, cropping the overflow.",
    )


def _open_image(name: str) -> Image.Image:
    label = posixpath.basename(name)
    if not default_storage.exists(name):
        raise PermanentJobError(f"{label}: the uploaded file no longer exists; submit it again.")
    try:
        with default_storage.open(name, "rb") as source:
            image = Image.open(source)
            if image.width * image.height > MAX_PIXELS:
                raise PermanentJobError(
                    f"{label}: {image.width}x{image.height} is over the limit of "
                    f"{MAX_PIXELS} pixels."
                )
            image.load()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError):
        raise PermanentJobError(
            f"{label}: not an image that can be read (use JPEG, PNG, WebP or GIF)."
        ) from None
    return image


def _resized(image: Image.Image, box: tuple[int, int], mode: str) -> Image.Image:
    if mode == "crop":
        return ImageOps.fit(image, box)
    copy = image.copy()
    copy.thumbnail(box)
    return copy


def _save(image: Image.Image, name: str, image_format: str) -> str:
    """Write to a temp file, then replace any earlier copy at `name` in storage."""
    if image_format == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    with tempfile.NamedTemporaryFile(suffix=os.path.splitext(name)[1]) as tmp:
        image.save(tmp, format=image_format)
        tmp.flush()
        tmp.seek(0)
        default_storage.delete(name)  # at-least-once: a rerun overwrites, never piles up
        return default_storage.save(name, File(tmp))


def resize_one(run: JobRun, name: str, sizes: list[str], mode: str) -> list[dict[str, Any]]:
    """Resize one stored image to each size and return the outputs."""
    source = _open_image(name)
    image_format, ext = OUTPUT_FORMATS.get(source.format or "", ("PNG", "png"))
    image = ImageOps.exif_transpose(source)
    stem = os.path.splitext(posixpath.basename(name))[0]
    outputs = []
    for size in sizes:
        width, height = parse_size(size)
        resized = _resized(image, (width, height), mode)
        saved = _save(
            resized, storage.output_name(run.job_id, f"{stem}_{width}x{height}.{ext}"), image_format
        )
        outputs.append(
            {
                "source": posixpath.basename(name),
                "name": saved,  # the API adds a signed `url` for whoever asks
                "width": resized.width,
                "height": resized.height,
                "bytes": default_storage.size(saved),
            }
        )
    return outputs


@job_task(
    job_type="resize_images",
    name="jobs.generic.resize_images",
    queue=USER_JOBS_QUEUE,
    params_serializer=ResizeImagesParams,
    max_attempts=2,
    soft_time_limit=10 * 60,
    time_limit=11 * 60,
    accepts_files="many",
    produces_files=True,
    user_submittable=True,
    description="Resize images (JPEG, PNG, WebP, GIF) to one or more sizes such as 320x240.",
)
def resize_images(run: JobRun) -> dict[str, Any]:
    """Resize every uploaded image to every requested size."""
    names: list[str] = run.params["files"]
    sizes: list[str] = run.params.get("sizes") or ["256x256"]
    mode = run.params.get("mode", "fit")
    outputs: list[dict[str, Any]] = []
    for index, name in enumerate(names):
        run.progress(100 * index / len(names), f"Resizing {posixpath.basename(name)}")
        outputs.extend(resize_one(run, name, sizes, mode))
    return {"outputs": outputs, "count": len(outputs)}
