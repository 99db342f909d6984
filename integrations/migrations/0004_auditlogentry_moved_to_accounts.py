# The audit log's model now lives in accounts (accounts 0003, which keeps this app's table by name).
# State only: nothing in the database changes.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_auditlogentry"),
        ("integrations", "0003_alter_auditlogentry_after_alter_auditlogentry_before"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AuditLogEntry")],
            database_operations=[],
        ),
    ]
