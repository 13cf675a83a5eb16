"""Supply chain: every dependency pinned with hashes; the runtime set holds runtime code only."""

import re
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
REQUIREMENTS = BASE_DIR / "requirements"
RUNTIME_SETS = ("base", "prod")
# Packages the tests, the linters and the operator tools use; none belongs at run time.
NOT_RUNTIME = {
    "flower",
    "localstripe",
    "moviepy",
    "pytest",
    "moto",
    "schemathesis",
    "playwright",
    "tuspy",
    "ruff",
    "pip-tools",
    "factory-boy",
}
RUNTIME_SOURCES = ("config", "accounts", "jobs", "videos", "commerce", "notifications", "templates")
# Packages used at run time without an `import` in our code, and how.
USED_WITHOUT_IMPORT = {
    "psycopg": "the PostgreSQL driver Django loads for DATABASE_URL=postgres://",
    "redis": "the Redis transport of Celery and of CACHE_URL",
    "boto3": "django-storages' S3 backend",
    "gunicorn": "the WSGI server of the Docker image",
}
IMPORT_NAMES = {
    "django": "django",
    "djangorestframework": "rest_framework",
    "django-rest-knox": "knox",
    "django-axes": "axes",
    "django-csp": "csp",
    "django-filter": "django_filters",
    "django-cors-headers": "corsheaders",
    "drf-spectacular": "drf_spectacular",
    "drf-spectacular-sidecar": "drf_spectacular_sidecar",
    "django-environ": "environ",
    "django-celery-beat": "django_celery_beat",
    "django-celery-results": "django_celery_results",
    "django-storages": "storages",
    "imageio-ffmpeg": "imageio_ffmpeg",
    "pillow": "PIL",
    "cryptography": "cryptography",
    "prometheus-client": "prometheus_client",
}


def _pins(path: Path) -> dict[str, str]:
    text = path.read_text()
    return {
        name.lower(): version
        for name, version in re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)", text, re.MULTILINE)
    }


def _top_level(name: str) -> list[str]:
    """The packages a .in file asks for itself (not through -r includes)."""
    lines = (REQUIREMENTS / f"{name}.in").read_text().splitlines()
    return [
        re.split(r"[\[=]", line)[0].lower()
        for line in lines
        if line.strip() and not line.startswith(("#", "-"))
    ]


def test_every_compiled_requirement_is_pinned_with_hashes():
    for source in sorted(REQUIREMENTS.glob("*.in")):
        compiled = source.with_suffix(".txt")
        assert compiled.exists(), f"{compiled.name} missing: run `make requirements`"
        entries = re.split(r"\n(?=\S)", compiled.read_text())
        packages = [e for e in entries if e.strip() and not e.startswith("#")]
        assert packages, compiled.name
        for entry in packages:
            assert re.match(r"^[A-Za-z0-9_.\-]+==\S+", entry), f"{compiled.name}: {entry[:60]}"
            assert "--hash=sha256:" in entry, f"{compiled.name}: no hash for {entry[:60]}"


def test_compiled_sets_agree_with_what_the_in_files_ask_for():
    for name in ("base", "prod", "flower", "dev"):
        pins = _pins(REQUIREMENTS / f"{name}.txt")
        for package in _top_level(name):
            assert package in pins, f"{package} of {name}.in is not in {name}.txt"


def test_the_makefile_and_the_image_install_with_required_hashes():
    makefile = (BASE_DIR / "Makefile").read_text()
    dockerfile = (BASE_DIR / "docker" / "Dockerfile").read_text()

    assert "--require-hashes -r requirements/dev.txt" in makefile
    assert "requirements:" in makefile
    assert "--require-hashes -r requirements/prod.txt" in dockerfile


def test_runtime_set_leaves_out_test_and_operator_tools():
    for name in RUNTIME_SETS:
        leaked = sorted(NOT_RUNTIME & set(_pins(REQUIREMENTS / f"{name}.txt")))
        assert not leaked, f"{name}.txt carries packages not used at run time: {leaked}"


def test_every_runtime_package_is_used_by_the_runtime_code():
    sources = "\n".join(
        path.read_text(errors="replace")
        for folder in RUNTIME_SOURCES
        for path in (BASE_DIR / folder).rglob("*.py")
        if "migrations" not in path.parts
    )
    unused = []
    for package in _top_level("base"):
        if package in USED_WITHOUT_IMPORT:
            continue
        module = IMPORT_NAMES.get(package, package.replace("-", "_"))
        # An import, or a dotted path Django loads (INSTALLED_APPS, MIDDLEWARE, backends).
        if not re.search(rf'(import {module}\b|from {module}[. ]|"{module}[."])', sources):
            unused.append(package)
    assert not unused, f"base.in packages that no runtime code uses: {unused}"
