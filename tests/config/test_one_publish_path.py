"""One publish path: only jobs/broker.py sends Celery messages, and no side effect runs
in-process after commit (where a crash between commit and callback would lose it)."""

import ast
from pathlib import Path

from django.conf import settings

APPS = ("accounts", "commerce", "config", "jobs", "notifications", "videos")
SENDERS = {"send_task", "apply_async", "delay", "apply_async_on_commit", "delay_on_commit"}
BROKER_MODULE = Path("jobs/broker.py")


def _python_files() -> list[Path]:
    base = Path(settings.BASE_DIR)
    return [
        path.relative_to(base)
        for app in APPS
        for path in sorted((base / app).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def _calls(path: Path) -> list[ast.Call]:
    tree = ast.parse((Path(settings.BASE_DIR) / path).read_text(), filename=str(path))
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)]


def test_only_the_broker_module_sends_messages():
    senders = [
        f"{path}:{call.lineno} .{call.func.attr}()"
        for path in _python_files()
        if path != BROKER_MODULE
        for call in _calls(path)
        if isinstance(call.func, ast.Attribute) and call.func.attr in SENDERS
    ]

    assert senders == [], "publish jobs with job_create (jobs.services), not Celery directly"


def test_no_after_commit_callback_swallows_its_errors():
    robust = [
        f"{path}:{call.lineno}"
        for path in _python_files()
        for call in _calls(path)
        if isinstance(call.func, ast.Attribute)
        and call.func.attr == "on_commit"
        and any(kw.arg == "robust" for kw in call.keywords)
    ]

    assert robust == [], "a side effect is a job written in the transaction (an outbox row)"
