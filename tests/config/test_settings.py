"""Settings: production mode passes Django's deploy checks; the compose file is valid."""

import os
import subprocess
import sys
from pathlib import Path

import yaml
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k != "PYTEST_VERSION"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
    "ALLOWED_HOSTS": "reelhouse.example.com",
    # Production delivers for real (the console backends are deploy-check errors).
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "SMS_BACKEND": "notifications.sms.HttpGatewaySmsBackend",
    "SMS_GATEWAY_URL": "https://sms.example.com/messages",
}


def test_production_mode_passes_deploy_checks(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={**PRODUCTION_ENV, "VAR_DIR": str(tmp_path)},
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_mode_refuses_to_start_without_a_secret_key(tmp_path):
    result = _manage("check", env={"DEBUG": "0", "SECRET_KEY": "", "VAR_DIR": str(tmp_path)})

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_mode_never_creates_the_demo_admin(tmp_path):
    env = {**PRODUCTION_ENV, "VAR_DIR": str(tmp_path)}
    assert _manage("migrate", "--noinput", env=env).returncode == 0

    result = _manage("create_demo_admin", env=env)

    assert result.returncode == 0
    assert "no demo admin" in result.stdout
    assert "password" not in result.stdout


def test_every_setting_read_from_the_environment_is_documented():
    modules = sorted((BASE_DIR / "config" / "settings").glob("*.py"))
    source = "\n".join(module.read_text() for module in modules)
    documented = (BASE_DIR / ".env.example").read_text()
    import re

    names = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z0-9_]+)"', source))
    missing = sorted(name for name in names if name not in documented)
    assert names and not missing, f"Undocumented in .env.example: {missing}"


def test_compose_file_defines_the_services_with_health_checks():
    compose = yaml.safe_load((BASE_DIR / "docker" / "compose.yaml").read_text())
    services = compose["services"]

    assert {"web", "worker-video", "worker", "beat", "flower", "postgres", "redis"} <= set(services)
    assert "video_processing" in " ".join(services["worker-video"]["command"])
    assert "video_processing" not in " ".join(services["worker"]["command"])
    for name in ("web", "postgres", "redis"):
        assert "healthcheck" in services[name], f"{name} has no healthcheck"
    assert "media" in compose["volumes"]


def test_compose_scales_web_and_workers_behind_one_load_balancer():
    compose = yaml.safe_load((BASE_DIR / "docker" / "compose.yaml").read_text())
    services = compose["services"]
    nginx = (BASE_DIR / "docker" / "nginx.conf").read_text()

    # `--scale` can start any number of these: none may claim a fixed host port or migrate
    for name in ("web", "worker", "worker-video", "worker-user"):
        assert "ports" not in services[name], f"{name} publishes a port: it cannot scale"
        assert "migrate" not in " ".join(services[name]["command"])
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
    assert "migrate --noinput" in services["migrate"]["command"]
    # the load balancer is the one way in, and re-resolves the web containers
    assert services["lb"]["ports"] == ["${WEB_PORT:-8000}:8080"]
    assert "server web:8000 resolve;" in nginx and "proxy_request_buffering off;" in nginx
    assert services["web"]["environment"]["TRUSTED_PROXY_COUNT"] == "1"
    # partial tus uploads live on a volume every web container mounts
    assert "tus:/app/var/tus" in services["web"]["volumes"]
    assert services["web"]["environment"]["TUS_UPLOAD_DIR"] == "/app/var/tus"


def test_user_jobs_have_a_worker_of_their_own():
    compose = yaml.safe_load((BASE_DIR / "docker" / "compose.yaml").read_text())
    services = compose["services"]
    makefile = (BASE_DIR / "Makefile").read_text()

    assert services["worker-user"]["command"][
        services["worker-user"]["command"].index("-Q") + 1
    ] == ("user_jobs")
    assert "user_jobs" not in " ".join(services["worker"]["command"])
    assert "user_jobs" not in makefile.split("QUEUES :=")[1].splitlines()[0]
    assert "-Q $(USER_QUEUE)" in makefile


def test_flower_is_never_published_without_a_password():
    compose = yaml.safe_load((BASE_DIR / "docker" / "compose.yaml").read_text())
    flower = compose["services"]["flower"]

    assert flower["ports"] == ["127.0.0.1:5555:5555"]
    assert flower["environment"]["FLOWER_BASIC_AUTH"].startswith("${FLOWER_BASIC_AUTH:?")
    assert flower["build"]["target"] == "flower"
    assert "--address=127.0.0.1" in (BASE_DIR / "Makefile").read_text()


def test_the_image_and_compose_run_in_production_mode():
    dockerfile = (BASE_DIR / "docker" / "Dockerfile").read_text()
    compose = yaml.safe_load((BASE_DIR / "docker" / "compose.yaml").read_text())

    assert "DEBUG=0" in dockerfile
    assert compose["x-app"]["environment"]["DEBUG"] == "0"
    # The default target (the last stage) is the runtime image, without Flower.
    assert dockerfile.rstrip().split("\nFROM ")[-1].startswith("base AS runtime")


def test_dockerfile_runs_as_a_non_root_user():
    dockerfile = (BASE_DIR / "docker" / "Dockerfile").read_text()
    user_lines = [line for line in dockerfile.splitlines() if line.startswith("USER ")]
    assert user_lines and user_lines[-1].split()[1] not in ("root", "0")
