"""The resize_images job type: each image at each size, fitted or cropped.

One good and one bad input run through the real worker; the edge cases call the job
function directly with a JobRun on a running job row.
"""

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from jobs.job_types.resize_images import ResizeImagesParams, resize_images
from jobs.models import JobStatus
from jobs.services import job_submit
from tests.jobs.job_runs import finished, image_bytes, running, through_worker


@pytest.mark.worker
@through_worker
def test_resize_images_writes_each_size_with_its_real_dimensions(live_worker, user):
    job = job_submit(
        job_type="resize_images",
        params={"sizes": ["32x32", "10x40"], "mode": "fit"},
        files=[
            SimpleUploadedFile("wide.png", image_bytes(64, 48)),
            SimpleUploadedFile("tall.jpg", image_bytes(20, 60, fmt="JPEG")),
        ],
        created_by=user,
    )

    job = finished(job)

    assert job.status == JobStatus.COMPLETED, job.error
    outputs = {o["name"]: o for o in job.result["outputs"]}
    assert set(outputs) == {
        f"jobs/outputs/{job.pk}/wide_32x32.png",
        f"jobs/outputs/{job.pk}/wide_10x40.png",
        f"jobs/outputs/{job.pk}/tall_32x32.jpg",
        f"jobs/outputs/{job.pk}/tall_10x40.jpg",
    }
    wide = outputs[f"jobs/outputs/{job.pk}/wide_32x32.png"]
    assert (wide["width"], wide["height"]) == (32, 24)
    assert "url" not in wide  # links expire, so the API signs one per request
    with default_storage.open(wide["name"], "rb") as stored:
        assert Image.open(stored).size == (32, 24)
    # the API hands the owner a signed link to each output
    client = APIClient()
    client.force_authenticate(user)
    api_outputs = client.get(f"/api/v1/jobs/{job.pk}/").json()["result"]["outputs"]
    url = next(o["url"] for o in api_outputs if o["name"] == wide["name"])
    assert f"/media/jobs/outputs/{job.pk}/wide_32x32.png?expires=" in url
    assert Image.open(io.BytesIO(b"".join(client.get(url).streaming_content))).size == (32, 24)


@pytest.mark.worker
@through_worker
def test_resize_images_fails_on_a_file_that_is_not_animage_bytes(live_worker, user):
    job = job_submit(
        job_type="resize_images",
        params={},
        files=[SimpleUploadedFile("notes.png", b"just text")],
        created_by=user,
    )

    job = finished(job)

    assert job.status == JobStatus.FAILED
    assert job.error.startswith("notes.png: not an image that can be read")


@pytest.mark.django_db
def test_resize_images_crop_fills_the_box_and_a_rerun_overwrites():
    run = running(
        "resize_images", {"sizes": ["16x16"], "mode": "crop"}, {"a.png": image_bytes(40, 20)}
    )

    first = resize_images.job_function(run)
    second = resize_images.job_function(run)  # at-least-once: the task ran twice

    assert first["outputs"][0]["name"] == second["outputs"][0]["name"]
    assert (second["outputs"][0]["width"], second["outputs"][0]["height"]) == (16, 16)
    _, stored = default_storage.listdir(f"jobs/outputs/{run.job_id}")
    assert stored == ["a_16x16.png"]


@pytest.mark.django_db
def test_resize_images_never_enlarges_in_fit_mode():
    run = running("resize_images", {"sizes": ["100x100"]}, {"small.png": image_bytes(30, 10)})

    result = resize_images.job_function(run)

    assert (result["outputs"][0]["width"], result["outputs"][0]["height"]) == (30, 10)


@pytest.mark.parametrize(
    ("sizes", "stored"),
    [(["320x240"], ["320x240"]), ([[320, 240], "64X48"], ["320x240", "64x48"])],
)
def test_resize_images_takes_sizes_as_text_or_width_height_pairs(sizes, stored):
    serializer = ResizeImagesParams(data={"files": ["x"], "sizes": sizes})

    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data["sizes"] == stored


@pytest.mark.parametrize(
    "size", ["0x10", "10", "5000x10", "axb", [0, 10], [5000, 10], [1, 2, 3], [True, 2], ["1", 2]]
)
def test_resize_images_rejects_bad_sizes(size):
    serializer = ResizeImagesParams(data={"files": ["x"], "sizes": [size]})

    assert not serializer.is_valid()
    assert "sizes" in serializer.errors
