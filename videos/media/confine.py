"""Run ffmpeg and ffprobe on untrusted files: bounded, isolated, and gone when the job is.

ffmpeg decodes whatever it is given, and its demuxers and decoders have a long CVE
history, so every run gets:

- resource limits, set in the child before it execs: CPU seconds, address space, the
  size of any file it writes, and no core dumps;
- a session and process group of its own, killed as a whole on cancel, timeout or error;
- a parent-death signal (PR_SET_PDEATHSIG): when the worker process dies (hard time
  limit, SIGKILL, OOM killer) the kernel kills ffmpeg with it;
- a minimal environment: no database URL, no storage keys, no secrets;
- bubblewrap, when installed and working on this host (VIDEO_SANDBOX=auto): no network,
  no other processes, a read-only /usr, the input read-only, only the work folder
  writable and nothing else of the host (no project folder, no /home, no /etc).

`preexec_fn` only makes two system calls before exec (prctl and setrlimit, with
everything resolved in the parent), which is what keeps it safe in a threaded parent.
"""

import contextlib
import ctypes
import functools
import os
import resource
import shutil
import signal
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings

PR_SET_PDEATHSIG = 1
# After the soft CPU limit (SIGXCPU) ffmpeg gets this long before the kernel's SIGKILL.
CPU_GRACE_SECONDS = 5
FFMPEG_INTERRUPTED = 255  # ffmpeg's exit status after a signal it handles
ENVIRONMENT = {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"}
SANDBOX_CHECK_TIMEOUT_SECONDS = 10
# Host paths the sandbox shows read-only (when present): programs, libraries, the loader.
_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives")
_SIGNAL_REASONS = {
    signal.SIGXCPU: "it used more CPU time than allowed",
    signal.SIGXFSZ: "the converted file grew larger than allowed",
    signal.SIGKILL: "it was killed (out of time or memory)",
    signal.SIGSEGV: "ffmpeg crashed reading it",
}


class SandboxUnavailable(RuntimeError):
    """VIDEO_SANDBOX=bwrap, but bubblewrap can't run here."""


@dataclass(frozen=True)
class Limits:
    """What one ffmpeg run may use."""

    cpu_seconds: int
    memory_bytes: int
    file_bytes: int


@dataclass(frozen=True)
class SandboxStatus:
    """Whether runs are wrapped in bubblewrap, and why (not)."""

    mode: str  # the VIDEO_SANDBOX setting: auto, bwrap or none
    active: bool
    detail: str


@dataclass(frozen=True)
class Completed:
    """The outcome of a finished run."""

    returncode: int
    stdout: str
    stderr: str


def limits(*, cpu_seconds: int, file_bytes: int) -> Limits:
    """Return limits with the configured memory cap (VIDEO_FFMPEG_MEMORY_LIMIT_MB)."""
    memory = settings.VIDEO_FFMPEG_MEMORY_LIMIT_MB * 1024 * 1024
    return Limits(cpu_seconds=cpu_seconds, memory_bytes=memory, file_bytes=file_bytes)


def sandbox_status() -> SandboxStatus:
    """Return how runs are confined under the current VIDEO_SANDBOX setting."""
    mode = settings.VIDEO_SANDBOX
    if mode == "none":
        return SandboxStatus(mode, False, "VIDEO_SANDBOX=none: bubblewrap is not used")
    usable, detail = _bwrap_works()
    return SandboxStatus(mode, usable, detail)


def start(
    argv: list[str],
    *,
    limits: Limits,
    read_only: Iterable[Path] = (),
    writable: Iterable[Path] = (),
    stdout: int | IO[Any] = subprocess.DEVNULL,
    stderr: int | IO[Any] = subprocess.DEVNULL,
) -> subprocess.Popen[bytes]:
    """Start argv confined; the caller must `stop()` it (a `finally` is the usual place)."""
    command = _wrap(argv, [Path(p) for p in read_only], [Path(p) for p in writable])
    return subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        env=ENVIRONMENT,
        close_fds=True,
        start_new_session=True,
        preexec_fn=_child_setup(limits),  # safe: see the module docstring
    )


def run(
    argv: list[str],
    *,
    limits: Limits,
    timeout: float,
    read_only: Iterable[Path] = (),
    writable: Iterable[Path] = (),
) -> Completed:
    """Run argv confined to completion and return its output; kill it after `timeout` s."""
    proc = start(
        argv,
        limits=limits,
        read_only=read_only,
        writable=writable,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        stop(proc)
    return Completed(
        proc.returncode,
        out.decode("utf-8", "replace"),
        err.decode("utf-8", "replace"),
    )


def stop(proc: subprocess.Popen[bytes], *, grace: float = 0.0) -> None:
    """Make sure the run and everything it started are gone: TERM, then KILL its group."""
    if proc.poll() is None and grace > 0:
        _signal_group(proc, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
    if proc.poll() is None:
        _signal_group(proc, signal.SIGKILL)
        proc.wait()


def death_reason(returncode: int) -> str | None:
    """Explain a run that a signal ended (a limit, a kill, a crash); None if it exited.

    A direct child killed by a signal has a negative return code; bubblewrap reports its
    child's death as 128 + the signal, like a shell. ffmpeg itself catches SIGXCPU (the
    CPU limit) and SIGTERM and exits with 255; as we only stop it ourselves on cancel, a
    255 here means the CPU limit.
    """
    if returncode == FFMPEG_INTERRUPTED:
        return _SIGNAL_REASONS[signal.SIGXCPU]
    if returncode < 0:
        number = -returncode
    elif returncode - 128 in _SIGNAL_REASONS:
        number = returncode - 128
    else:
        return None
    try:
        sig = signal.Signals(number)
    except ValueError:
        return f"ffmpeg was stopped by signal {number}"
    return _SIGNAL_REASONS.get(sig, f"ffmpeg was stopped by {sig.name}")


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)  # start_new_session made the child its group's leader


def _child_setup(limits: Limits) -> Callable[[], None]:
    """Return the function the child runs between fork and exec."""
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()
    wanted = {
        resource.RLIMIT_CPU: (limits.cpu_seconds, limits.cpu_seconds + CPU_GRACE_SECONDS),
        resource.RLIMIT_AS: (limits.memory_bytes, limits.memory_bytes),
        resource.RLIMIT_FSIZE: (limits.file_bytes, limits.file_bytes),
        resource.RLIMIT_CORE: (0, 0),
    }
    # Never ask for more than the worker itself may have (that would make setrlimit fail).
    bounded = {kind: _within(kind, soft, hard) for kind, (soft, hard) in wanted.items()}

    def setup() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)
        for kind, values in bounded.items():
            resource.setrlimit(kind, values)

    return setup


def _within(kind: int, soft: int, hard: int) -> tuple[int, int]:
    _current_soft, current_hard = resource.getrlimit(kind)
    if current_hard != resource.RLIM_INFINITY:
        soft, hard = min(soft, current_hard), min(hard, current_hard)
    return soft, hard


def _wrap(argv: list[str], read_only: list[Path], writable: list[Path]) -> list[str]:
    """Return argv, prefixed with bubblewrap when runs are sandboxed."""
    status = sandbox_status()
    if not status.active:
        if status.mode == "bwrap":
            raise SandboxUnavailable(f"VIDEO_SANDBOX=bwrap, but {status.detail}.")
        return argv
    program = Path(argv[0])
    binds = [program.parent, *read_only]
    args = _bwrap_base()
    for path in binds:
        if not _under_system_dirs(path):
            args += ["--ro-bind", str(path), str(path)]
    for path in writable:
        args += ["--bind", str(path), str(path)]
    chdir = str(writable[0]) if writable else "/"
    return [*args, "--chdir", chdir, "--", *argv]


def _under_system_dirs(path: Path) -> bool:
    return any(path == Path(d) or Path(d) in path.parents for d in _SYSTEM_DIRS)


def _bwrap_base() -> list[str]:
    """Return bubblewrap's arguments shared by every run: namespaces and the system."""
    args = [
        shutil.which("bwrap") or "bwrap",
        *("--unshare-all", "--die-with-parent", "--new-session"),
        *("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"),  # noqa: S108 (an empty private tmpfs)
    ]
    if os.geteuid() == 0:
        args += ["--cap-drop", "ALL"]
    for folder in _SYSTEM_DIRS:
        if os.path.islink(folder):
            args += ["--symlink", os.readlink(folder), folder]
        elif os.path.isdir(folder):
            args += ["--ro-bind", folder, folder]
    for path in _SYSTEM_FILES:
        args += ["--ro-bind-try", path, path]
    return args


@functools.cache
def _bwrap_works() -> tuple[bool, str]:
    """Try bubblewrap once per process; return (usable, what happened)."""
    bwrap, true = shutil.which("bwrap"), shutil.which("true")
    if bwrap is None or true is None:
        return False, "bubblewrap (bwrap) is not installed: apt-get install bubblewrap"
    try:
        result = subprocess.run(
            [*_bwrap_base(), "--", true],
            capture_output=True,
            text=True,
            timeout=SANDBOX_CHECK_TIMEOUT_SECONDS,
            env=ENVIRONMENT,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"bubblewrap could not start: {exc}"
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["no reason given"])[-1]
        return False, f"bubblewrap does not work on this host ({reason})"
    return True, f"ffmpeg runs in bubblewrap ({bwrap}) without network access"
