"""ffmpeg's confinement, checked on real processes: limits, isolation, and no orphans."""

import os
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from tests.videos import clips
from tests.waiting import wait_for
from videos.media import MediaError, confine, probe, transcode

MiB = 1024 * 1024
GENEROUS = confine.Limits(cpu_seconds=60, memory_bytes=1024 * MiB, file_bytes=64 * MiB)

needs_sandbox = pytest.mark.skipif(
    not confine.sandbox_status().active,
    reason=f"bubblewrap is not usable here: {confine.sandbox_status().detail}",
)


def _bash(script: str, *, limits: confine.Limits = GENEROUS, **kwargs) -> confine.Completed:
    return confine.run(["/bin/bash", "-c", script], limits=limits, timeout=30, **kwargs)


def _sleeps(marker: str) -> list[int]:
    """Return the pids of `sleep <marker>` processes (not of what wraps them)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if entry.name.isdigit() and argv[0].endswith(b"sleep") and argv[1:2] == [marker.encode()]:
            found.append(int(entry.name))
    return found


def test_ffmpeg_sees_no_credentials_in_its_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "do-not-leak")
    monkeypatch.setenv("DATABASE_URL", "postgres://user:secret@db/reelhouse")

    result = _bash("env", writable=[tmp_path])

    assert result.returncode == 0, result.stderr
    assert "do-not-leak" not in result.stdout
    assert "DATABASE_URL" not in result.stdout
    assert set(dict(line.split("=", 1) for line in result.stdout.splitlines())) <= {
        "PATH",
        "LC_ALL",
        "PWD",
        "SHLVL",
        "_",
    }


def test_cpu_time_limit_stops_a_runaway_process(tmp_path):
    limits = confine.Limits(cpu_seconds=1, memory_bytes=1024 * MiB, file_bytes=MiB)

    result = _bash("while :; do :; done", limits=limits, writable=[tmp_path])

    assert confine.death_reason(result.returncode) == "it used more CPU time than allowed"


def test_output_size_limit_stops_a_file_from_growing(tmp_path):
    limits = confine.Limits(cpu_seconds=30, memory_bytes=1024 * MiB, file_bytes=MiB)

    result = _bash(
        f"head -c {4 * MiB} /dev/zero > {tmp_path}/big", limits=limits, writable=[tmp_path]
    )

    assert (tmp_path / "big").stat().st_size <= MiB
    assert result.returncode != 0


def test_address_space_limit_refuses_a_huge_allocation(tmp_path):
    limits = confine.Limits(cpu_seconds=30, memory_bytes=256 * MiB, file_bytes=MiB)

    # bash can't even hold a 512 MiB string under a 256 MiB address space
    result = _bash('x=$(head -c 536870912 /dev/zero | tr "\\0" a); echo ${#x}', limits=limits)

    assert result.stdout.strip() != str(512 * MiB)


def test_stop_kills_everything_the_run_started(tmp_path):
    marker = f"{1000 + uuid.uuid4().int % 1000}.{os.getpid()}"
    proc = confine.start(
        ["/bin/bash", "-c", f"sleep {marker} & sleep {marker}; wait"],
        limits=GENEROUS,
        writable=[tmp_path],
    )
    wait_for(lambda: len(_sleeps(marker)) >= 2, message="both sleeps running")

    confine.stop(proc)

    wait_for(lambda: not _sleeps(marker), timeout=5, message="sleeps gone")


@pytest.mark.parametrize("how", ["kill the parent", "kill the parent's group"])
def test_ffmpeg_dies_with_the_worker_process_that_started_it(tmp_path, how):
    # given a process (as a Celery pool child would) that started a long confined run
    marker = f"{2000 + uuid.uuid4().int % 1000}.{os.getpid()}"
    script = (
        "import django, sys, time; django.setup()\n"
        "from pathlib import Path\n"
        "from videos.media import confine\n"
        "limits = confine.Limits(cpu_seconds=60, memory_bytes=2**30, file_bytes=2**20)\n"
        f"confine.start(['/bin/sleep', '{marker}'], limits=limits, writable=[Path(sys.argv[1])])\n"
        "print('started', flush=True)\n"
        "time.sleep(600)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path)],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        assert parent.stdout.readline().strip() == b"started"
        wait_for(lambda: _sleeps(marker), message="the confined run")

        # when that process is SIGKILLed (hard time limit, OOM killer, kill -9 of the worker)
        if how == "kill the parent":
            parent.kill()
        else:
            os.killpg(parent.pid, signal.SIGKILL)
        parent.wait(10)

        # then the kernel takes its ffmpeg with it
        wait_for(lambda: not _sleeps(marker), timeout=10, message="run gone")
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()


@needs_sandbox
def test_sandboxed_run_has_no_network(tmp_path):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.settimeout(0.5)
        port = server.getsockname()[1]

        result = _bash(f"exec 3<>/dev/tcp/127.0.0.1/{port} && echo connected", writable=[tmp_path])

        assert "connected" not in result.stdout
        with pytest.raises(TimeoutError):
            server.accept()


@needs_sandbox
def test_sandboxed_run_sees_only_its_input_and_writes_only_its_work_folder(tmp_path):
    work, source = tmp_path / "work", tmp_path / "upload.mp4"
    work.mkdir()
    source.write_bytes(b"video bytes")
    project_file = Path(settings.BASE_DIR) / "config" / "settings" / "__init__.py"

    result = _bash(
        f"cat {source}; cat {project_file} && echo SETTINGS-READ; "
        f"touch {work}/out && echo WROTE-WORK; touch {tmp_path}/escape && echo ESCAPED; "
        f"touch /usr/escape && echo ESCAPED-USR",
        read_only=[source],
        writable=[work],
    )

    assert result.stdout.startswith("video bytes")
    assert "SETTINGS-READ" not in result.stdout
    assert "WROTE-WORK" in result.stdout and (work / "out").exists()
    assert not (tmp_path / "escape").exists()  # it wrote to a private tmpfs, if anywhere
    assert "ESCAPED-USR" not in result.stdout


def test_transcode_runs_confined_and_opens_its_input_with_the_sniffed_demuxer(tmp_path):
    # given a Matroska file uploaded with an .mp4 name
    mkv = clips.make_clip(tmp_path / "clip.mkv", seconds=1.0, size="160x120")
    disguised = mkv.rename(tmp_path / "clip.mp4")

    # when it is probed and transcoded
    meta = probe(disguised)
    out = transcode(disguised, tmp_path / "out", metadata=meta)

    # then ffmpeg read it as what it is, and produced the renditions
    assert meta.container == "mkv"
    assert probe(out.mp4).video_codec == "h264"


def test_check_warns_when_bubblewrap_is_missing_and_fails_when_it_is_required(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k != "PYTEST_VERSION"},
        "PATH": str(tmp_path),  # no bwrap on this PATH
        "FFMPEG_BINARY": "/usr/bin/ffmpeg",
        "VAR_DIR": str(tmp_path),
    }
    command = [sys.executable, "manage.py", "check"]

    warned = subprocess.run(command, cwd=settings.BASE_DIR, env=env, capture_output=True, text=True)
    required = subprocess.run(
        command,
        cwd=settings.BASE_DIR,
        env={**env, "VIDEO_SANDBOX": "bwrap"},
        capture_output=True,
        text=True,
    )

    assert warned.returncode == 0
    assert "videos.W003" in warned.stderr and "bubblewrap" in warned.stderr
    assert required.returncode != 0
    assert "videos.E001" in required.stderr


def test_a_transcode_over_its_cpu_budget_fails_saying_so(settings, tmp_path):
    # the budget is the video job's time limit on every core: here one second each
    settings.VIDEO_TASK_TIME_LIMIT = 1
    clip = clips.make_clip(tmp_path / "long.avi", seconds=30, size="640x360", fps=30)

    with pytest.raises(MediaError) as failed:
        transcode(clip, tmp_path / "out", metadata=probe(clip))

    assert str(failed.value) == (
        "The video could not be converted: it used more CPU time than allowed."
    )
    assert not list((tmp_path / "out").iterdir())
