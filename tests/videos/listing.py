"""The video list as the API shows it to a client (shared by the upload tests)."""


def listed_video(client, video_id) -> dict | None:
    """Return the video as /api/v1/videos/ lists it, or None if it is not there."""
    results = client.get("/api/v1/videos/").json()["results"]
    return next((v for v in results if v["id"] == str(video_id)), None)
