"""How much memory does the web server use while receiving a big video upload?

Starts the real server (gunicorn from the venv, or runserver) on 127.0.0.1 against a
migrated SQLite database in a temporary VAR_DIR, sends a generated file of --size-mb
megabytes (never held in this process's memory either), samples the server's RSS
(master + workers, from /proc) while it runs, and prints the growth. Goal: growth
< 64 MB for a 500 MB upload. --mode picks the way in:

  simple     one multipart/form-data POST to /api/v1/videos/upload/
  tus        tus 1.0 at /api/v1/videos/uploads/ in --chunk-mb chunks (default 5), one
             chunk broken off midway and the upload resumed from HEAD's offset
  multipart  S3 presigned multipart against a moto S3 server started here: the parts go
             straight to S3, the server only signs, joins and checks them

    .venv/bin/python bench/upload_memory.py --size-mb 500
    .venv/bin/python bench/upload_memory.py --mode tus --size-mb 300
"""

import argparse
import base64
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import requests

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GOAL_MB = 64
CHUNK = 1024 * 1024
# The head of an MP4 (an `ftyp` box) so the upload passes the content sniffing.
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
OFFSET_TYPE = {"Content-Type": "application/offset+octet-stream"}


class MultipartBody:
    """A multipart/form-data body generated on the fly, with a known length."""

    def __init__(self, *, size: int, title: str) -> None:
        self.boundary = f"bench{os.getpid()}{int(time.time())}"
        self.preamble = (
            f"--{self.boundary}\r\n"
            'Content-Disposition: form-data; name="title"\r\n\r\n'
            f"{title}\r\n"
            f"--{self.boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="bench.mp4"\r\n'
            "Content-Type: video/mp4\r\n\r\n"
        ).encode()
        self.epilogue = f"\r\n--{self.boundary}--\r\n".encode()
        self.size = size
        self._parts = self._generate()
        self._buffer = b""

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return len(self.preamble) + self.size + len(self.epilogue)

    def _generate(self) -> Iterator[bytes]:
        yield self.preamble
        yield MP4_HEAD
        remaining = self.size - len(MP4_HEAD)
        block = bytes(range(256)) * (CHUNK // 256)
        while remaining > 0:
            piece = block[: min(CHUNK, remaining)]
            remaining -= len(piece)
            yield piece
        yield self.epilogue

    def read(self, size: int = -1) -> bytes:
        """Return up to `size` bytes of the body (file-like, so requests streams it)."""
        while size < 0 or len(self._buffer) < size:
            try:
                self._buffer += next(self._parts)
            except StopIteration:
                break
        if size < 0:
            size = len(self._buffer)
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_tree(pid: int) -> list[int]:
    """Return pid and all its descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def rss_bytes(pids: list[int]) -> int:
    """Sum the resident set sizes of the processes."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


class RssSampler(threading.Thread):
    """Sample the RSS of a process tree every few milliseconds and keep the peak."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.peak = max(self.peak, rss_bytes(process_tree(self.pid)))
            time.sleep(self.interval)

    def stop(self) -> int:
        self._stop_event.set()
        self.join()
        return self.peak


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def server_command(server: str, port: int) -> list[str]:
    if server == "gunicorn":
        gunicorn = str(Path(PYTHON).with_name("gunicorn"))
        return [
            *(gunicorn, "config.wsgi:application", "--bind", f"127.0.0.1:{port}"),
            *("--workers", "1", "--timeout", "600", "--log-level", "warning"),
        ]
    return [PYTHON, "manage.py", "runserver", "--noreload", "--nothreading", f"127.0.0.1:{port}"]


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit("The server exited before answering.")
        try:
            requests.get(url, timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    sys.exit(f"The server did not answer within {timeout} s.")


def payload(offset: int, length: int, pattern: bytes) -> bytes:
    """Return bytes [offset, offset + length) of the generated file (an MP4 head, then a cycle)."""
    start = offset % 256
    data = pattern[start : start + length]
    if offset < len(MP4_HEAD):
        cut = min(len(MP4_HEAD) - offset, length)
        data = MP4_HEAD[offset : offset + cut] + data[cut:]
    return data


def upload_simple(base: str, headers: dict[str, str], size: int) -> requests.Response:
    body = MultipartBody(size=size, title="bench upload")
    return requests.post(
        f"{base}/api/v1/videos/upload/",
        data=body,
        headers={**headers, "Content-Type": body.content_type},
        timeout=600,
    )


def upload_tus(base: str, headers: dict[str, str], size: int, chunk: int) -> requests.Response:
    """Create a tus upload, PATCH it in chunks, break one off midway, resume from HEAD."""
    tus = {**headers, "Tus-Resumable": "1.0.0"}
    meta = f"filename {base64.b64encode(b'bench.mp4').decode()}"
    creation = {**tus, "Upload-Length": str(size), "Upload-Metadata": meta}
    created = requests.post(f"{base}/api/v1/videos/uploads/", headers=creation, timeout=30)
    created.raise_for_status()
    url = created.headers["Location"]
    pattern = bytes(range(256)) * (chunk // 256 + 2)
    offset, interrupted = 0, False
    while True:
        length = min(chunk, size - offset)
        if not interrupted and offset >= size // 2:
            interrupted = True
            drop_mid_patch(url, tus, payload(offset, length, pattern), offset)
            time.sleep(0.5)  # let the server notice the hang-up and record what arrived
            offset = int(requests.head(url, headers=tus, timeout=30).headers["Upload-Offset"])
            print(f"interrupted:     a chunk broke off; resuming at byte {offset}")
            continue
        chunk_headers = {**tus, **OFFSET_TYPE, "Upload-Offset": str(offset)}
        data = payload(offset, length, pattern)
        response = requests.patch(url, data=data, headers=chunk_headers, timeout=600)
        if response.status_code != 204 or offset + length >= size:
            return response
        offset = int(response.headers["Upload-Offset"])


def drop_mid_patch(url: str, headers: dict[str, str], data: bytes, offset: int) -> None:
    """Send a PATCH announcing all of `data` but only half of it, then hang up."""
    parts = urlsplit(url)
    sent = {
        **headers,
        **OFFSET_TYPE,
        "Upload-Offset": str(offset),
        "Content-Length": str(len(data)),
    }
    lines = [f"PATCH {parts.path} HTTP/1.1", f"Host: {parts.netloc}"]
    lines += [f"{name}: {value}" for name, value in sent.items()]
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + data[: len(data) // 2])


def upload_multipart(base: str, headers: dict[str, str], size: int) -> requests.Response:
    """Start an S3 multipart upload, PUT the parts to S3, complete it."""
    created = requests.post(
        f"{base}/api/v1/videos/multipart/",
        json={"filename": "bench.mp4", "size": size, "title": "bench multipart upload"},
        headers=headers,
        timeout=30,
    )
    created.raise_for_status()
    body = created.json()
    part_size = body["part_size"]
    pattern = bytes(range(256)) * (part_size // 256 + 2)
    done = []
    for part in body["parts"]:
        offset = (part["part_number"] - 1) * part_size
        data = payload(offset, min(part_size, size - offset), pattern)
        put = requests.put(part["url"], data=data, timeout=600)
        put.raise_for_status()
        done.append({"part_number": part["part_number"], "etag": put.headers["ETag"]})
    print(f"parts:           {len(done)} x {part_size / 2**20:.0f} MB sent straight to S3")
    return requests.post(
        f"{base}/api/v1/videos/multipart/{body['upload_id']}/complete/",
        json={"parts": done},
        headers=headers,
        timeout=600,
    )


def start_s3() -> tuple[object, dict[str, str]]:
    """Start a moto S3 server with a bucket; return it and the server's AWS_* settings."""
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    keys = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench"}
    endpoint = f"http://127.0.0.1:{port}"
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **keys)
    s3.create_bucket(Bucket="reelhouse-bench")
    env = {name.upper(): value for name, value in keys.items()}
    env.update(AWS_STORAGE_BUCKET_NAME="reelhouse-bench", AWS_S3_ENDPOINT_URL=endpoint)
    return server, env


EXPECTED = {"simple": 202, "tus": 204, "multipart": 202}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=500, help="upload size (default 500)")
    parser.add_argument("--mode", choices=tuple(EXPECTED), default="simple")
    parser.add_argument("--chunk-mb", type=int, default=5, help="tus chunk size (default 5)")
    parser.add_argument("--server", choices=("gunicorn", "runserver"), default="gunicorn")
    parser.add_argument(
        "--limit-mb",
        type=int,
        default=None,
        help="VIDEO_MAX_UPLOAD_BYTES in MB (default: above the size; set it lower to see the 413)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary VAR_DIR")
    args = parser.parse_args()
    size = args.size_mb * 1024 * 1024

    var_dir = Path(tempfile.mkdtemp(prefix="reelhouse-upload-bench-"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "AWS_"))},
        "VAR_DIR": str(var_dir),
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-bench-only-secret-key",
        "SECURE_SSL_REDIRECT": "0",
        "VIDEO_MAX_UPLOAD_BYTES": str(
            args.limit_mb * 1024 * 1024 if args.limit_mb is not None else size + 1024 * 1024
        ),
        "CELERY_BROKER_URL": "filesystem://",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("PYTEST_VERSION", None)
    s3_server = None
    if args.mode == "multipart":
        s3_server, s3_env = start_s3()
        env.update(s3_env)
    manage(env, "migrate", "--noinput")
    token = manage(
        env,
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model;"
        "from knox.models import AuthToken;"
        "u = get_user_model().objects.create_user('bench', password='bench-pass-123');"
        "print(AuthToken.objects.create(user=u)[1])",
    ).split()[-1]  # Django 5.2's shell may print a note about auto-imports first

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        server_command(args.server, port), cwd=BASE_DIR, env=env, start_new_session=True
    )
    try:
        wait_until_up(f"{base}/api/health/", server)
        headers = {"Authorization": f"Token {token}"}
        requests.get(f"{base}/api/v1/videos/", headers=headers, timeout=10)  # warm up imports
        time.sleep(0.5)
        baseline = rss_bytes(process_tree(server.pid))
        sampler = RssSampler(server.pid)
        sampler.start()
        started = time.monotonic()
        if args.mode == "tus":
            response = upload_tus(base, headers, size, args.chunk_mb * 1024 * 1024)
        elif args.mode == "multipart":
            response = upload_multipart(base, headers, size)
        else:
            response = upload_simple(base, headers, size)
        elapsed = time.monotonic() - started
        time.sleep(0.2)
        peak = sampler.stop()
    finally:
        server.terminate()  # the master stops its workers gracefully
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
            server.wait()
        if s3_server is not None:
            s3_server.stop()

    growth_mb = (peak - baseline) / (1024 * 1024)
    print(f"server:          {args.server}, mode {args.mode}")
    print(
        f"upload:          {args.size_mb} MB in {elapsed:.1f} s ({args.size_mb / elapsed:.0f} MB/s)"
    )
    print(f"response:        {response.status_code} {response.text[:120]}")
    if "Upload-Video-Id" in response.headers:
        print(f"video:           {response.headers['Upload-Video-Id']}")
    print(f"server RSS:      baseline {baseline / 2**20:.1f} MB, peak {peak / 2**20:.1f} MB")
    print(f"RSS growth:      {growth_mb:.1f} MB (goal < {GOAL_MB} MB)")
    print(f"growth / upload: {growth_mb / args.size_mb:.3f}")
    too_big = args.limit_mb is not None and args.limit_mb * 2**20 < size
    expected = 413 if too_big else EXPECTED[args.mode]
    ok = growth_mb < GOAL_MB and response.status_code == expected
    print("result:          " + ("OK" if ok else f"FAIL (expected {expected})"))
    if args.keep:
        print(f"kept {var_dir}")
    else:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
