"""Dependencies point one way (README "How it runs", ARCHITECTURE.md).

Every module of every app is parsed (nothing is imported): its imports, module-level and
function-local, and its string constants that name another app (`"videos.tasks"`,
`"commerce.Order"`, `apps.get_model("videos", ...)`, a bare `"notifications"`) are compared
with the table below. Migrations are checked too: they only repeat the models' relations,
so they follow the same table.
"""

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# app -> the apps it may import or name. `config` is the ground; `accounts` sits on it
# (users and tokens, usable by every domain app); `jobs` is the engine the domain apps
# register with; `notifications` listens to everyone and nobody imports it.
ALLOWED: dict[str, frozenset[str]] = {
    "config": frozenset(),
    "accounts": frozenset({"config"}),
    "jobs": frozenset({"config"}),
    "videos": frozenset({"config", "accounts", "jobs"}),
    "commerce": frozenset({"config", "accounts", "jobs", "videos"}),
    "notifications": frozenset({"config", "accounts", "jobs", "videos", "commerce"}),
}
APPS = tuple(ALLOWED)

# The composition root: settings (INSTALLED_APPS, backend dotted paths, the beat scheduler)
# and the root URLconf (each app's urls) are where the apps are put together: every module
# of the settings package, and config/urls.py.
COMPOSITION_ROOT = ("config/settings/", "config/urls.py")

# A dotted name, a "module:attribute" path or a model label that starts with an app name.
_NAMING = re.compile(rf"^({'|'.join(APPS)})(?:[.:][\w.*:]*)?$")


def _modules() -> Iterator[tuple[str, Path]]:
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            yield app, path


def _named_apps(tree: ast.AST) -> Iterator[tuple[int, str, str]]:
    """(line, app, what) for every app an import or a string constant names."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0], f"import {alias.name}"
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.split(".")[0], f"from {node.module} import ..."
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            match = _NAMING.match(node.value)
            if match:
                yield node.lineno, match.group(1), f"the string {node.value!r}"


def _violations() -> list[str]:
    found = []
    for app, path in _modules():
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith(COMPOSITION_ROOT):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=relative)
        for line, named, what in _named_apps(tree):
            if named in APPS and named != app and named not in ALLOWED[app]:
                allowed = ", ".join(sorted(ALLOWED[app])) or "no app"
                found.append(f"{relative}:{line}: {what} — {app} may use {allowed}, not {named}")
    return found


def test_apps_depend_on_each_other_only_in_the_allowed_direction():
    violations = _violations()
    assert not violations, "Dependency rules broken:\n" + "\n".join(violations)


def test_the_rule_check_sees_local_imports_and_app_name_strings(tmp_path):
    source = (
        "def f():\n"
        "    from notifications.services import notification_send\n"
        "    apps.get_model('videos', 'Video')\n"
        "    return 'commerce.tasks.x'\n"
    )
    named = {app for _, app, _ in _named_apps(ast.parse(source))}
    assert named == {"notifications", "videos", "commerce"}


def test_every_app_is_in_the_table():
    from django.apps import apps

    project_apps = {c.name for c in apps.get_app_configs() if (ROOT / c.name).is_dir()}
    assert project_apps == set(APPS) - {"config"}


def test_the_readme_map_shows_this_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(\w+)` \| ([^|]+) \|", readme, flags=re.MULTILINE)
    shown = {
        app: frozenset({name.strip() for name in may_use.split(",")} & set(APPS))
        for app, may_use in rows
        if app in APPS
    }

    assert shown == ALLOWED
