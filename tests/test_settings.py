"""Settings are safe by default: production needs its secrets, refuses published keys and passes ``check --deploy``."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_SECRETS = {
    "SECRET_KEY": "a-long-random-production-secret-key-with-enough-entropy-0123456789-abcdefghij",
    "FIELD_ENCRYPTION_KEYS": "MDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA=",
    "ALLOWED_HOSTS": "connections.example.com",
    "XERO_CLIENT_ID": "xero-app",
    "XERO_CLIENT_SECRET": "xero-secret",
    "QBO_CLIENT_ID": "qbo-app",
    "QBO_CLIENT_SECRET": "qbo-secret",
    "APPROVALMAX_CLIENT_ID": "approvalmax-app",
    "APPROVALMAX_CLIENT_SECRET": "approvalmax-secret",
}
SHOW = (
    "import json; from django.conf import settings as s; from integrations.http import url; "
    "from integrations.providers.xero.endpoints import API; print(json.dumps({'env': s.DJANGO_ENV, 'debug': s.DEBUG, "
    "'sandbox': s.SANDBOX_ENABLED, 'proxy': s.__dict__['_wrapped'].__dict__.get('SECURE_PROXY_SSL_HEADER'), "
    "'xero': url(API)}))"
)


def _env(extra: dict) -> dict:
    drop = {
        "SECRET_KEY",
        "FIELD_ENCRYPTION_KEYS",
        "DEBUG",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
        "DJANGO_ENV",
        "SANDBOX_ENABLED",
    }
    drop |= {name for name in os.environ if name.endswith(("_CLIENT_ID", "_CLIENT_SECRET"))}
    drop |= {"SANDBOX_TOKEN", "TRUSTED_PROXY_COUNT"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(extra)
    return env


def _run(env_extra: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=_env(env_extra), capture_output=True, text=True
    )


def _settings(env_extra: dict) -> dict:
    result = _run(env_extra, "shell", "-c", SHOW)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_django_env_the_app_runs_as_production():
    shown = _settings(PRODUCTION_SECRETS)
    assert shown == {
        "env": "production",
        "debug": False,
        "sandbox": False,
        "proxy": None,
        "xero": "https://api.xero.com",
    }


def test_without_django_env_and_secrets_it_refuses_to_start_with_a_clear_message():
    result = _run({}, "check")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "DJANGO_ENV is 'production' (the default when it is unset)" in result.stderr


def test_production_without_secret_key_refuses_to_start():
    env = {k: v for k, v in PRODUCTION_SECRETS.items() if k != "SECRET_KEY"}
    result = _run({"DJANGO_ENV": "production", **env}, "check")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


@pytest.mark.parametrize("environment", ["production", "test"])
def test_the_development_key_is_refused_outside_development(environment):
    from django.conf import settings

    result = _run(
        {**PRODUCTION_SECRETS, "DJANGO_ENV": environment, "SECRET_KEY": settings.DEVELOPMENT_SECRET_KEY}, "check"
    )
    assert result.returncode != 0
    assert "SECRET_KEY is a key published in this repository" in result.stderr


def test_the_test_key_is_refused_in_production():
    from django.conf import settings

    result = _run({**PRODUCTION_SECRETS, "DJANGO_ENV": "production", "SECRET_KEY": settings.TEST_SECRET_KEY}, "check")
    assert result.returncode != 0
    assert "published in this repository" in result.stderr


@pytest.mark.parametrize("missing", ["XERO_CLIENT_ID", "QBO_CLIENT_SECRET", "APPROVALMAX_CLIENT_ID"])
def test_production_needs_the_real_oauth_client_registrations(missing):
    env = {k: v for k, v in PRODUCTION_SECRETS.items() if k != missing}
    result = _run({"DJANGO_ENV": "production", **env}, "check")
    assert result.returncode != 0
    assert f"{missing} is not set" in result.stderr


def test_a_sandbox_switched_on_outside_development_needs_its_token():
    result = _run({"DJANGO_ENV": "production", "SANDBOX_ENABLED": "true", **PRODUCTION_SECRETS}, "check")
    assert result.returncode != 0
    assert "SANDBOX_TOKEN is not set" in result.stderr
    with_token = _run(
        {"DJANGO_ENV": "production", "SANDBOX_ENABLED": "true", "SANDBOX_TOKEN": "t0ken", **PRODUCTION_SECRETS}, "check"
    )
    assert with_token.returncode == 0, with_token.stderr


def test_forwarded_proto_is_believed_only_behind_a_trusted_proxy():
    assert _settings({"DJANGO_ENV": "production", **PRODUCTION_SECRETS})["proxy"] is None
    behind = _settings({"DJANGO_ENV": "production", "TRUSTED_PROXY_COUNT": "1", **PRODUCTION_SECRETS})
    assert behind["proxy"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_development_is_asked_for_explicitly():
    shown = _settings({"DJANGO_ENV": "development"})
    assert shown["debug"] is True and shown["sandbox"] is True


def test_the_container_image_runs_as_production():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "DJANGO_ENV=production" in dockerfile.split("COPY", 1)[0], "the image's ENV must say production"


def test_production_check_deploy_is_clean():
    result = _run({"DJANGO_ENV": "production", **PRODUCTION_SECRETS}, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_logs_never_print_secrets(caplog):
    import logging

    from dext_connections.logging import JsonFormatter, RedactSecretsFilter

    record = logging.LogRecord(
        "x",
        logging.INFO,
        __file__,
        1,
        "login with password=%s and Authorization: Bearer %s",
        ("hunter2", "abc.def"),
        None,
    )
    record.refresh_token = "rt-123"
    record.payload = {"client_secret": "s3cr3t", "ok": "visible"}
    RedactSecretsFilter().filter(record)
    line = JsonFormatter().format(record)
    for secret in ("hunter2", "abc.def", "rt-123", "s3cr3t"):
        assert secret not in line, f"{secret} leaked into the log line"
    assert "visible" in line


def test_database_connections_bind_parameters_on_the_server_and_prepare_repeated_statements(db):
    """Parameters travel apart from the SQL (no quoting in Python) and a statement run a fifth time on a connection
    is prepared, so PostgreSQL plans it once; both can be turned off by the environment."""
    from django.db import connection

    from publishing.models import Item

    connection.ensure_connection()
    raw = connection.connection
    assert raw.prepare_threshold == 5
    with connection.cursor() as cursor:
        assert "Client" not in type(cursor.cursor).__name__, "psycopg quotes the parameters into the SQL"
    for _ in range(6):
        list(Item.all_tenants.filter(invoice_number="x"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        assert cursor.fetchone()[0] >= 1, "a statement run six times was not prepared"
    result = _run(
        {"DJANGO_ENV": "test", "DB_SERVER_SIDE_BINDING": "false", "DB_PREPARE_THRESHOLD": "0"},
        "shell",
        "-c",
        (
            "from django.conf import settings; o = settings.DATABASES['default']['OPTIONS']; "
            "print(o.get('server_side_binding'), o.get('prepare_threshold'))"
        ),
    )
    assert result.stdout.strip().splitlines()[-1].split() == ["False", "None"], result.stderr


def test_db_pgbouncer_turns_off_prepared_statements_and_server_side_cursors():
    """Behind PgBouncer in transaction mode: DB_PGBOUNCER=true is the one switch (README, Running at scale)."""
    show = (
        "from django.conf import settings; d = settings.DATABASES['default']; o = d['OPTIONS']; "
        "print(d.get('DISABLE_SERVER_SIDE_CURSORS', False), o.get('server_side_binding'), "
        "'prepare_threshold' in o and o['prepare_threshold'])"
    )
    default = _run({"DJANGO_ENV": "test"}, "shell", "-c", show)
    assert default.stdout.strip().splitlines()[-1].split() == ["False", "True", "5"], default.stderr
    bouncer = _run({"DJANGO_ENV": "test", "DB_PGBOUNCER": "true"}, "shell", "-c", show)
    assert bouncer.stdout.strip().splitlines()[-1].split() == ["True", "False", "None"], bouncer.stderr


def test_celery_workers_log_through_the_same_secret_redaction_as_the_web():
    """A worker sets up logging with ``app.log.setup`` (the setup_logging signal): its lines, and what a task prints
    (redirected to the log), come out as JSON with the secrets masked."""
    script = (
        "import logging, sys; from dext_connections.celery import app; "
        "app.log.setup(loglevel='INFO', redirect_stdouts=True); "
        "logging.getLogger('celery.app.trace').error('Task failed: refresh_token=rt-123 password=hunter2'); "
        "logging.getLogger('publishing.worker').warning("
        "'call', extra={'headers': {'Authorization': 'Bearer abc.def'}}); "
        "print('client_secret: s3cr3t'); sys.stdout.flush()"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=_env({"DJANGO_ENV": "test"}), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    for secret in ("rt-123", "hunter2", "abc.def", "s3cr3t"):
        assert secret not in output, f"{secret} leaked into a worker's log"
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert any(line["logger"] == "celery.app.trace" and "[redacted]" in line["message"] for line in lines), output
    assert any("client_secret" in line["message"] for line in lines), "printed output goes through the logger too"
