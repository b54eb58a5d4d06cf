"""Production settings: they refuse to start without sound secrets, naming the variable, and with
them they pass Django's deployment checks; one log format for every process, JSON on request."""

import base64
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]


def production_environment(tmp_path) -> dict[str, str]:
    """What .env.example asks an operator for, with freshly made secrets."""
    return {
        "PATH": os.environ["PATH"],
        "DEBUG": "False",
        "PATCHBAY_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "ALLOWED_HOSTS": "patchbay.example.com",
        "CSRF_TRUSTED_ORIGINS": "https://patchbay.example.com",
        "TRUST_PROXY_HEADERS": "true",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "TOKEN_FINGERPRINT_KEY": secrets.token_hex(32),
        "UNIFIED_API_KEY": "pk_live_" + secrets.token_urlsafe(24),
        "UNIFIED_WEBHOOK_SECRETS": "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "NOTIFICATION_WEBHOOK_SECRET": "whsec_"
        + base64.b64encode(secrets.token_bytes(32)).decode(),
    }


def manage(environment, *args, timeout=60):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_production_settings_refuse_to_start_without_real_secrets(tmp_path):
    environment = {
        "PATH": os.environ["PATH"],
        "DEBUG": "False",
        "PATCHBAY_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    result = manage(environment, "check")
    assert result.returncode != 0
    assert "refuse to start without SECRET_KEY, TOKEN_ENCRYPTION_KEYS" in result.stderr
    assert "UNIFIED_WEBHOOK_SECRETS" in result.stderr
    assert not any(tmp_path.iterdir()), "production must not generate local keys"


def test_debug_is_off_unless_the_environment_turns_it_on(tmp_path):
    environment = production_environment(tmp_path)
    del environment["DEBUG"]
    result = manage(environment, "shell", "-v", "0", "-c", "from django.conf import settings; "
                    "print(settings.DEBUG, settings.SECURE_SSL_REDIRECT)")  # fmt: skip
    assert result.stdout.split() == ["False", "True"], result.stderr


def test_the_production_environment_passes_djangos_deployment_checks(tmp_path):
    result = manage(production_environment(tmp_path), "check", "--deploy", "--fail-level",
                    "WARNING")  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("UNIFIED_WEBHOOK_SECRETS", "whsec_"),
        ("UNIFIED_WEBHOOK_SECRETS", "whsec_" + base64.b64encode(b"short").decode()),
        ("NOTIFICATION_WEBHOOK_SECRET", "not-a-whsec-secret"),
        ("TOKEN_ENCRYPTION_KEYS", "not-a-fernet-key"),
        ("TOKEN_FINGERPRINT_KEY", "too-short"),
        ("SECRET_KEY", "django-insecure-" + "x" * 60),
        ("CSRF_TRUSTED_ORIGINS", "patchbay.example.com"),
        ("TRUSTED_PROXY_COUNT", "0"),
        ("LOG_FORMAT", "xml"),
    ],
)
def test_a_bad_secret_or_setting_stops_the_start_naming_the_variable(tmp_path, name, value):
    result = manage(production_environment(tmp_path) | {name: value}, "check")
    assert result.returncode != 0
    assert "Patchbay cannot start" in result.stderr and f"{name} " in result.stderr


def test_log_format_json_writes_one_json_object_per_line(tmp_path):
    environment = production_environment(tmp_path) | {"LOG_FORMAT": "json"}
    script = (
        "import logging; from connections.middleware import use_request_id; "
        "use_request_id('req_json_1'); logging.getLogger('patchbay.test').warning('hello')"
    )
    result = manage(environment, "shell", "-v", "0", "-c", script)
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line["message"] == "hello" and line["request_id"] == "req_json_1"
    assert (line["level"], line["logger"]) == ("WARNING", "patchbay.test") and line["time"]
