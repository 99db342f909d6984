"""Settings are safe by default: production needs its secrets and passes ``check --deploy``."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(env_extra: dict, *args: str) -> subprocess.CompletedProcess:
    drop = {"SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}  # the e2e suite sets the last
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(env_extra)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)


def test_production_without_secret_key_refuses_to_start():
    result = _run({"DJANGO_ENV": "production", "FIELD_ENCRYPTION_KEYS": "x", "ALLOWED_HOSTS": "example.com"}, "check")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_check_deploy_is_clean():
    result = _run(
        {
            "DJANGO_ENV": "production",
            "SECRET_KEY": "a-long-random-production-secret-key-with-enough-entropy-0123456789-abcdefghij",
            "FIELD_ENCRYPTION_KEYS": "MDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA=",
            "ALLOWED_HOSTS": "connections.example.com",
        },
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
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
        {"DB_SERVER_SIDE_BINDING": "false", "DB_PREPARE_THRESHOLD": "0"},
        "shell",
        "-c",
        (
            "from django.conf import settings; o = settings.DATABASES['default']['OPTIONS']; "
            "print(o.get('server_side_binding'), o.get('prepare_threshold'))"
        ),
    )
    assert result.stdout.strip().splitlines()[-1].split() == ["False", "None"], result.stderr
