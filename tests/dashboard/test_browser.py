"""The dashboard in real headless browsers, against the live server and a real worker.

Each test runs in Chromium and in Firefox (the `browser` fixture's parameters).
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from config.celery import QUEUE_NAMES
from jobs.models import JobStatus, ProcessingJob
from jobs.periodic import sync_periodic_tasks
from jobs.services import job_create
from tests.dashboard.conftest import close_page, log_in, new_page
from tests.dashboard.factories import finished_job
from tests.jobs.factories import ProcessingJobFactory
from tests.waiting import wait_for

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]

WORKER_TIMEOUT = 30_000  # ms: a job or a DOM update that waits on the worker


def _row(page, job_id):
    return page.locator(f'#jobs-table tbody tr[data-id="{job_id}"]')


def _status(job_id) -> str:
    return ProcessingJob.objects.values_list("status", flat=True).get(pk=job_id)


def test_staff_logs_in_and_sees_the_overview(
    browser, live_server, live_worker, staff_user, screenshots
):
    # given jobs finished over the last minutes and one waiting in a queue
    for minutes in (0, 1, 1, 4, 9, 9, 9):
        finished_job(status=JobStatus.COMPLETED, seconds=2, ago=timedelta(minutes=minutes))
    finished_job(status=JobStatus.FAILED, seconds=1, ago=timedelta(minutes=4))
    waiting = ProcessingJobFactory(
        status=JobStatus.QUEUED, created_at=timezone.now() - timedelta(minutes=5)
    )
    sync_periodic_tasks()
    page = new_page(browser, live_server)

    # when a staff member logs in from the login page
    page.goto("/dashboard/login/")
    page.screenshot(path=screenshots / "login.png")
    log_in(page, staff_user)

    # then the overview shows the chart, counts, the waiting job and the live worker
    expect(page.locator("#overview")).to_have_attribute("data-loaded", "true")
    expect(page.locator(".stat-completed .stat-value")).to_have_text("7")
    expect(page.locator("#throughput-total")).to_contain_text("7 completed and 1 failed")
    assert page.locator("#throughput-chart .bar-completed").count() == 4
    expect(page.locator("#oldest-job")).to_contain_text(str(waiting.id)[:8])
    expect(page.locator("#workers")).to_contain_text(live_worker.name)
    expect(page.locator("#queue-depths tbody tr")).to_have_count(len(QUEUE_NAMES))
    stuck_check = page.locator('#periodic-tasks tr[data-name="jobs: check stuck jobs"]')
    expect(stuck_check).to_contain_text("every 15 minutes")
    expect(stuck_check.get_by_role("link", name="Edit")).to_have_attribute(
        "href", re.compile(r"^/admin/django_celery_beat/periodictask/\d+/change/$")
    )
    page.screenshot(path=screenshots / "overview.png", full_page=True)
    assert not page.script_errors
    close_page(page)


def test_submitted_sleep_job_shows_its_progress_until_it_completes(
    staff_page, live_worker, screenshots
):
    page = staff_page
    page.goto("/dashboard/jobs/")
    expect(page.locator("#submit-form")).to_have_attribute("data-ready", "true")

    # when a sleep job is submitted from the form
    page.select_option("#job-type", "sleep")
    # (clear first: over WebDriver BiDi, Firefox's fill() appends to a number input's value)
    page.locator("#param-seconds").clear()
    page.fill("#param-seconds", "4")
    page.click("#submit-job")

    # then its row shows it running with a partly filled progress bar, then completed
    row = page.locator("#jobs-table tbody tr[data-type=sleep]").first
    expect(row).to_have_attribute("data-status", "running", timeout=WORKER_TIMEOUT)
    page.wait_for_function(
        """row => {
            const value = Number(row.querySelector('.progress').getAttribute('aria-valuenow'));
            return value > 0 && value < 100;
        }""",
        arg=row.element_handle(),
        timeout=WORKER_TIMEOUT,
    )
    page.screenshot(path=screenshots / "jobs-running.png", full_page=True)
    expect(row).to_have_attribute("data-status", "completed", timeout=WORKER_TIMEOUT)
    expect(row.locator(".progress")).to_have_attribute("aria-valuenow", "100")

    # and the detail panel (opened on submit) shows the result and timings
    detail = page.locator("#job-detail")
    expect(detail).to_be_visible()
    expect(detail.locator(".detail-status")).to_have_attribute("data-status", "completed")
    expect(detail.locator("pre.result")).to_contain_text("slept_seconds")
    page.screenshot(path=screenshots / "jobs-completed.png", full_page=True)
    job = ProcessingJob.objects.get(pk=row.get_attribute("data-id"))
    assert (job.status, job.params["seconds"]) == (JobStatus.COMPLETED, 4)


def test_operator_cancels_and_force_cancels_running_jobs(staff_page, live_worker, staff_user):
    # given two long jobs running
    polite = job_create(job_type="sleep", params={"seconds": 60}, created_by=staff_user)
    forced = job_create(job_type="sleep", params={"seconds": 60}, created_by=staff_user)
    page = staff_page
    page.goto("/dashboard/jobs/")
    for job in (polite, forced):
        expect(_row(page, job.id)).to_have_attribute(
            "data-status", "running", timeout=WORKER_TIMEOUT
        )

    # when one is cancelled from its row
    _row(page, polite.id).locator("[data-action=cancel]").click()

    # then it stops at its next checkpoint
    expect(_row(page, polite.id)).to_have_attribute(
        "data-status", "cancelled", timeout=WORKER_TIMEOUT
    )

    # when the other is force-cancelled from its detail panel (after confirming)
    _row(page, forced.id).locator(".job-link").click()
    detail = page.locator("#job-detail")
    page.once("dialog", lambda dialog: dialog.accept())
    detail.locator("[data-action=force-cancel]").click()

    # then it is cancelled at once, and neither job can be cancelled again
    expect(detail.locator(".detail-status")).to_have_attribute("data-status", "cancelled")
    expect(_row(page, forced.id)).to_have_attribute("data-status", "cancelled")
    assert _status(polite.id) == _status(forced.id) == JobStatus.CANCELLED
    expect(_row(page, forced.id).locator("[data-action=retry]")).to_be_visible()
    expect(_row(page, forced.id).locator("[data-action=cancel]")).to_have_count(0)


def test_operator_retries_a_failed_job_and_the_retry_completes(
    staff_page, live_worker, screenshots
):
    # given a failed job whose params would succeed now
    failed = ProcessingJobFactory(failed=True, params={"seconds": 0})
    page = staff_page
    page.goto("/dashboard/jobs/?status=failed")
    row = _row(page, failed.id)
    row.locator(".job-link").click()
    expect(page.locator("#job-detail")).to_contain_text("Failed on purpose")
    expect(page.locator("#job-detail details summary")).to_have_text("Traceback")
    page.screenshot(path=screenshots / "jobs-failed-detail.png", full_page=True)

    # when it is retried from its row
    row.locator("[data-action=retry]").click()

    # then a new job runs to completion and shows up in the list
    retry = wait_for(
        lambda: ProcessingJob.objects.filter(retry_of=failed).first(), message="the retry job"
    )
    page.select_option("#filter-status", "")
    expect(_row(page, retry.id)).to_have_attribute(
        "data-status", "completed", timeout=WORKER_TIMEOUT
    )
    assert _status(failed.id) == JobStatus.FAILED  # the original keeps its history


def test_operator_retries_selected_failed_jobs_in_bulk(staff_page, live_worker):
    # given two failed jobs and a completed one
    failures = ProcessingJobFactory.create_batch(2, failed=True, params={"seconds": 0})
    ProcessingJobFactory(completed=True)
    page = staff_page
    page.goto("/dashboard/jobs/")
    for job in failures:
        expect(_row(page, job.id)).to_have_attribute("data-status", "failed")

    # when the failed ones are selected and retried together
    page.click("#select-failed")
    expect(page.locator("#bulk-retry")).to_have_text("Retry selected (2)")
    page.click("#bulk-retry")

    # then each gets one retry, and both retries complete
    wait_for(
        lambda: ProcessingJob.objects.filter(
            retry_of__in=failures, status=JobStatus.COMPLETED
        ).count()
        == 2,
        timeout=WORKER_TIMEOUT / 1000,
        message="both retries completed",
    )
    retries = list(ProcessingJob.objects.filter(retry_of__in=failures))
    assert sorted(str(j.retry_of_id) for j in retries) == sorted(str(j.id) for j in failures)
    for retry in retries:
        expect(_row(page, retry.id)).to_have_attribute("data-status", "completed")
    expect(page.locator("#bulk-retry")).to_be_disabled()


def test_uploaded_video_is_processed_and_shows_its_thumbnail_and_player(
    staff_page, live_worker, tmp_path, screenshots
):
    from tests.videos.clips import make_clip

    clip = make_clip(tmp_path / "test-pattern.mp4", seconds=1.0)
    page = staff_page
    page.goto("/dashboard/videos/")

    # when a video is uploaded from the form
    page.fill("#video-title", "Test pattern")
    page.set_input_files("#video-file", str(clip))
    page.click("#upload-button")

    # then the upload bar fills, and the card gets a thumbnail once processed
    upload = page.locator("#upload-progress")
    expect(upload).to_have_attribute("data-state", "done", timeout=WORKER_TIMEOUT)
    expect(upload.locator(".progress")).to_have_attribute("aria-valuenow", "100")
    card = page.locator(".video-card", has_text="Test pattern")
    expect(card).to_have_attribute("data-status", "ready", timeout=90_000)
    thumbnail = card.locator(".thumb img")
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle()
    )

    # and the detail panel plays the MP4 and shows its metadata
    detail = page.locator("#video-detail")
    expect(detail.locator(".detail-status")).to_have_attribute("data-status", "ready")
    player = detail.locator("video").first
    page.wait_for_function("video => video.readyState >= 1", arg=player.element_handle())
    expect(detail.locator(".facts")).to_contain_text("320\u00d7240")
    expect(detail.locator("[data-action=reprocess]")).to_be_enabled()
    page.screenshot(path=screenshots / "videos.png", full_page=True)


def test_pages_fit_a_phone_screen(browser, live_server, staff_user, screenshots):
    ProcessingJobFactory(failed=True)
    ProcessingJobFactory(running=True, progress=40, progress_message="Slept 2 of 5 s")
    page = new_page(browser, live_server, width=390, height=844)
    log_in(page, staff_user)

    for path, ready in [
        ("/dashboard/", "#overview[data-loaded=true]"),
        ("/dashboard/jobs/", "#jobs-table tbody[data-loaded=true]"),
        ("/dashboard/videos/", "#video-grid[data-loaded=true]"),
    ]:
        page.goto(path)
        page.wait_for_selector(ready)
        name = path.strip("/").replace("/", "-")
        page.screenshot(path=screenshots / f"phone-{name}.png", full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
    assert not page.script_errors
    close_page(page)


def test_the_api_docs_and_the_admin_work_under_the_content_security_policy(
    browser, live_server, staff_user
):
    page = new_page(browser, live_server)

    # Both load a large bundle and then the whole schema: give them time on a busy machine.
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text(
        "Reelhouse API", timeout=60_000
    )
    page.goto("/api/redoc/")
    expect(page.locator("h1").first).to_contain_text("Reelhouse API", timeout=60_000)
    page.goto("/admin/login/")
    page.fill("#id_username", staff_user.username)
    page.fill("#id_password", "pass-word-123")
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_be_visible()
    page.goto("/admin/jobs/processingjob/")
    expect(page.locator("#changelist")).to_be_visible()

    # ReDoc's menu always shows Redocly's logo from their CDN: the policy blocks it (nothing
    # loads from a CDN) and ReDoc hides the broken image; any other refusal is a bug.
    errors = [e for e in page.script_errors if "cdn.redoc.ly/redoc/logo-mini.svg" not in e]
    close_page(page)
    assert not errors, f"Refused by the page's policy or failed: {errors}"
