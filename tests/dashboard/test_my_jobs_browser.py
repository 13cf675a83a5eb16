""" "My jobs" in Chromium and Firefox: a user's own jobs, live, without the operator's tools."""

import pytest

from jobs.services import job_create
from tests.dashboard.conftest import close_page, log_in, new_page

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_user_submits_a_job_on_my_jobs_and_sees_only_their_own(
    browser, live_server, live_worker, user, other_user
):
    others = job_create(job_type="sleep", params={"seconds": 0}, created_by=other_user)
    page = new_page(browser, live_server)
    try:
        log_in(page, user, next_path="/my/jobs/", login_path="/my/login/")
        expect(page.locator("#submit-form")).to_have_attribute("data-ready", "true")
        assert not page.locator("#bulk-retry").is_visible()

        # when the user submits a short sleep job
        page.select_option("#job-type", "sleep")
        page.locator("#param-seconds").clear()
        page.fill("#param-seconds", "1")
        page.click("#submit-job")

        # then it runs to completion in their list, and the drawer took the focus
        row = page.locator("#jobs-table tbody tr[data-type=sleep]").first
        expect(row).to_have_attribute("data-status", "completed", timeout=30_000)
        assert page.evaluate("() => document.activeElement.id") == "detail-close"
        # and someone else's job is not listed
        expect(page.locator(f'#jobs-table tbody tr[data-id="{others.pk}"]')).to_have_count(0)
        assert page.locator("#jobs-table tbody tr").count() == 1
        assert not page.script_errors
    finally:
        close_page(page)
