"""The dashboard's player streams the HLS ladder (hls.js where the browser has no native HLS),
shows storyboard tiles while scrubbing and seeks without reloading. Chromium and Firefox."""

import pytest

from tests.dashboard.conftest import close_page, log_in_on_my_pages, new_page
from tests.videos import clips
from tests.videos.factories import VideoFactory
from videos import storage
from videos.media import ladder, probe, storyboard, transcode

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SECONDS = 6


@pytest.fixture(scope="module")
def renditions(tmp_path_factory):
    """A 480p clip's real renditions (two HLS rungs, a storyboard), made once per module."""
    folder = tmp_path_factory.mktemp("stream")
    src = clips.make_clip(folder / "src.mp4", seconds=SECONDS, size="854x480", fps=15)
    return transcode(src, folder / "out", metadata=probe(src))


@pytest.fixture
def streamed_video(staff_user, renditions):
    """A ready video of the staff user whose files are those renditions, in local media."""
    video = VideoFactory(owner=staff_user, title="Stream me", duration=float(SECONDS))
    storage.put_file(video.mp4_key, renditions.mp4)
    storage.put_file(video.thumbnail_key, renditions.thumbnail)
    video.hls_key = storage.put_folder(
        storage.run_folder(video.pk, "hls", "t"), renditions.hls, last=ladder.MASTER_NAME
    )
    video.storyboard_key = storage.put_folder(
        storage.run_folder(video.pk, "storyboard", "t"),
        renditions.storyboard,
        last=storyboard.VTT_NAME,
    )
    video.save()
    return video


def _play_then_seek_to_two_thirds(page, seconds: float) -> None:
    """Play the drawer's player (HLS), seek with its scrub bar to 2/3 and see it play on."""
    player = page.locator("#video-detail video.stream")
    handle = player.element_handle()

    # the ladder plays: natively, or through the vendored hls.js (Chromium, Firefox)
    assert player.get_attribute("data-source") in ("hls-native", "hls.js")
    page.wait_for_function("video => video.readyState >= 1", arg=handle)
    page.evaluate("video => { video.muted = true; video.marker = 'same element'; }", handle)
    page.evaluate("video => video.play()", handle)
    page.wait_for_function("video => video.currentTime > 0.3", arg=handle)
    source = page.evaluate("video => video.currentSrc", handle)

    # when the user drags the scrub bar to two thirds
    scrub = page.locator("#video-detail .scrub")
    target = seconds * 2 / 3
    page.evaluate(
        """([range, target]) => {
            range.value = String(target);
            range.dispatchEvent(new Event("input", { bubbles: true }));
            range.dispatchEvent(new Event("change", { bubbles: true }));
        }""",
        [scrub.element_handle(), target],
    )

    # then playback goes on from there, in the same element with the same source
    page.wait_for_function(
        "([video, target]) => video.currentTime >= target && !video.seeking", arg=[handle, target]
    )
    page.wait_for_function(
        "([video, target]) => video.currentTime > target + 0.5", arg=[handle, target]
    )
    assert page.evaluate("video => video.marker", handle) == "same element"
    assert page.evaluate("video => video.currentSrc", handle) == source
    assert page.evaluate("video => video.paused", handle) is False


def test_player_streams_hls_shows_storyboard_tiles_and_seeks(staff_page, streamed_video):
    page = staff_page
    page.goto(f"/dashboard/videos/?video={streamed_video.pk}")
    player = page.locator("#video-detail video.stream")
    page.wait_for_function("video => video.readyState >= 1", arg=player.element_handle())

    # the storyboard shows the tile of the time under the pointer on the scrub bar
    page.wait_for_function(
        "() => Number(document.querySelector('#video-detail .scrubber').dataset.storyboard) > 0"
    )
    box = page.locator("#video-detail .scrub").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tile = page.locator("#video-detail .scrub-tile")
    assert tile.is_visible()
    background = tile.evaluate("node => node.style.backgroundImage")
    assert "sprite.jpg" in background and "signature=" in background
    page.mouse.move(0, 0)

    _play_then_seek_to_two_thirds(page, SECONDS)


def test_a_user_uploads_on_my_videos_then_plays_and_seeks(
    browser, live_server, live_worker, user, tmp_path, screenshots
):
    clip = clips.make_clip(tmp_path / "mine.mp4", seconds=SECONDS, size="854x480", fps=15)
    page = new_page(browser, live_server)
    try:
        # given a signed-in user (not staff) on their own page
        log_in_on_my_pages(page, user)

        # when they upload a video
        page.fill("#video-title", "My holiday")
        page.set_input_files("#video-file", str(clip))
        page.click("#upload-button")

        # then its drawer opens (focus inside) and shows it ready once the worker is done
        drawer = page.locator("#video-detail")
        expect(drawer).to_be_visible()
        assert page.evaluate("() => document.activeElement.id") == "video-detail-close"
        expect(drawer.locator(".detail-status")).to_have_attribute(
            "data-status", "ready", timeout=180_000
        )
        page.screenshot(path=screenshots / "my-videos-ready.png", full_page=True)
        # and it plays, seeks to two thirds and plays on
        _play_then_seek_to_two_thirds(page, SECONDS)
        assert not page.script_errors
    finally:
        close_page(page)


def test_player_falls_back_to_the_mp4_without_a_ladder(staff_page, staff_user, renditions):
    video = VideoFactory(owner=staff_user, title="Older video", duration=float(SECONDS))
    storage.put_file(video.mp4_key, renditions.mp4)
    page = staff_page

    page.goto(f"/dashboard/videos/?video={video.pk}")
    player = page.locator("#video-detail video.stream")

    assert player.get_attribute("data-source") == "mp4"
    assert "signature=" in player.get_attribute("src")
    page.wait_for_function("video => video.readyState >= 1", arg=player.element_handle())
    assert page.evaluate("video => video.duration", player.element_handle()) == pytest.approx(
        SECONDS, abs=0.2
    )


def test_a_big_upload_on_my_videos_resumes_after_the_connection_drops(
    browser, live_server, live_worker, user, tmp_path
):
    clip = clips.make_clip(tmp_path / "big.mp4", seconds=2, size="640x360", fps=15)
    page = new_page(browser, live_server)
    try:
        log_in_on_my_pages(page, user)
        # treat this small clip as big: resumable, in 16 KB chunks
        page.evaluate(
            """() => Object.assign(document.getElementById("upload-form").dataset,
                { resumableFrom: "0", chunkBytes: "16384" })"""
        )
        patches = []

        def drop_the_third_chunk(route):
            if route.request.method == "PATCH":
                patches.append(route.request.headers.get("upload-offset"))
                if len(patches) == 3:
                    route.abort()
                    return
            route.continue_()

        page.route("**/api/v1/videos/uploads/**", drop_the_third_chunk)

        # when the connection drops during the upload
        page.fill("#video-title", "Big one")
        page.set_input_files("#video-file", str(clip))
        page.click("#upload-button")
        expect(page.locator("#upload-progress")).to_have_attribute("data-state", "error")
        expect(page.locator("#upload-status")).to_contain_text("resume")

        # and the user chooses the same file again
        page.fill("#video-title", "Big one")
        page.set_input_files("#video-file", str(clip))
        page.click("#upload-button")

        # then it carries on from the bytes the server has, and the video gets processed
        expect(page.locator("#upload-progress")).to_have_attribute("data-state", "done")
        assert int(page.locator("#upload-progress").get_attribute("data-resumed-from")) == 32768
        assert patches[3] == "32768"  # the resumed upload re-sent only the dropped chunk on
        expect(page.locator("#video-detail .detail-status")).to_have_attribute(
            "data-status", "ready", timeout=180_000
        )
        assert clip.stat().st_size > 32768
    finally:
        close_page(page)
