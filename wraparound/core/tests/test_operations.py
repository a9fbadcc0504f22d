"""Settings and health checks as an operator meets them: in a fresh process with real variables."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PRODUCTION = {
    "SECRET_KEY": "k3X9-v2Lq8zR4tN7wP1yB6mC0sD5fG8hJ2kL4nQ7rT9uV1xZ3aE6iO0pS",
    "ALLOWED_HOSTS": "wraparound.example.org",
}


def run(args, extra_env, unset=()):
    env = {k: v for k, v in os.environ.items() if k not in unset}
    for key in ("DEBUG", "WRAPAROUND_HTTPS", "STATIC_MANIFEST", "WRAPAROUND_REQUIRE_2FA"):
        env.pop(key, None)
    env.update(extra_env)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_with_production_variables():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "DEBUG"], PRODUCTION)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = run(["manage.py", "check"], {"ALLOWED_HOSTS": "x.example.org"}, unset=("SECRET_KEY",))
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_production_defaults_require_two_factor_and_https():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.WRAPAROUND_REQUIRE_2FA, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE)"
    )
    result = run(["-c", code], {**PRODUCTION, "DJANGO_SETTINGS_MODULE": "config.settings"})
    assert result.stdout.split() == ["False", "True", "True", "True"], result.stderr


def test_healthz_is_503_when_the_database_is_unreachable():
    # A real unreachable PostgreSQL (nothing listens on port 9), not a mocked connection.
    code = (
        "import django; django.setup(); from django.test import Client; "
        "r = Client().get('/healthz', HTTP_HOST='localhost'); "
        "print(r.status_code, r.json()['database'])"
    )
    env = {
        "DEBUG": "true",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": "postgres://nobody@127.0.0.1:9/none",
        "CONN_MAX_AGE": "0",
        "PGCONNECT_TIMEOUT": "3",
    }
    result = run(["-c", code], env)
    assert result.stdout.split() == ["503", "unreachable"], result.stderr
