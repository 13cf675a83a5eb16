"""Speaking the S3 multipart upload API (shared by the multipart tests): the client calls
Reelhouse through the test client and PUTs the parts to the presigned URLs with `requests`,
as a browser would."""

import requests

URL = "/api/v1/videos/multipart/"


def start_upload(client, *, size: int, filename: str = "clip.mp4", title: str = "My clip"):
    return client.post(URL, {"filename": filename, "size": size, "title": title}, format="json")


def put_part(url: str, data: bytes) -> str:
    """PUT one part to its presigned URL; return its ETag."""
    response = requests.put(url, data=data, timeout=30)
    assert response.status_code == 200, response.text
    return response.headers["ETag"]


def put_parts(body: dict, data: bytes) -> list[dict]:
    """PUT every part the upload lists; return them as `complete` takes them."""
    size = body["part_size"]
    return [
        {"part_number": p["part_number"], "etag": put_part(p["url"], part_of(data, p, size))}
        for p in body["parts"]
    ]


def part_of(data: bytes, part: dict, size: int) -> bytes:
    first = (part["part_number"] - 1) * size
    return data[first : first + size]


def complete_upload(client, upload_id: str, parts: list[dict]):
    return client.post(f"{URL}{upload_id}/complete/", {"parts": parts}, format="json")
