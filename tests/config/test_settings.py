"""Production settings refuse to start without real secrets."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_production_settings_refuse_to_start_without_real_secrets(tmp_path):
    environment = {
        "PATH": os.environ["PATH"],
        "DEBUG": "False",
        "PATCHBAY_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "refuse to start without SECRET_KEY, TOKEN_ENCRYPTION_KEYS" in result.stderr
    assert not any(tmp_path.iterdir()), "production must not generate local keys"
