"""The audit log lives in accounts (the lowest app every writer imports) and kept its table."""

from django.core.management import call_command
from django.db import connection as db_connection

from accounts.audit import audit_entries_for, audit_record
from accounts.models import AuditLogEntry


def test_the_audit_log_is_accounts_model_on_its_old_table(world):
    assert AuditLogEntry._meta.app_label == "accounts"
    assert AuditLogEntry._meta.db_table == "integrations_auditlogentry"
    entry = audit_record(
        business=world.a, actor=None, action="test.moved", object_type="test", object_id=1, after={"n": 1}
    )
    with db_connection.cursor() as cursor:
        cursor.execute(
            "SELECT action, object_id FROM integrations_auditlogentry WHERE business_id = %s AND id = %s",
            [world.a.pk, entry.pk],
        )
        assert cursor.fetchone() == ("test.moved", "1")
    assert list(audit_entries_for(business=world.a)) == [entry]
    assert list(audit_entries_for(business=world.b)) == []


def test_every_model_change_has_its_migration(db):
    """The audit log's move is state-only: the models and the migrations must still agree exactly."""
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
