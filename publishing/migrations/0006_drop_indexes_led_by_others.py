"""Drop three single-column indexes that composite ones leading with the same column already serve. Only the
indexes go: Django's own AlterField would also drop and re-add (and so re-validate) the foreign keys."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("integrations", "0003_alter_auditlogentry_after_alter_auditlogentry_before"),
        ("publishing", "0005_alter_publishattempt_request_summary_and_more"),
    ]

    state_operations = [
        migrations.AlterField(
            model_name="item",
            name="business",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="accounts.business"
            ),
        ),
        migrations.AlterField(
            model_name="itemhistory",
            name="item",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="history",
                to="publishing.item",
            ),
        ),
        migrations.AlterField(
            model_name="publishjob",
            name="connection",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="integrations.connection",
            ),
        ),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=state_operations,
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {name}",
                    reverse_sql=f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({column})",
                )
                for name, table, column in [
                    ("publishing_item_business_id_70433cec", "publishing_item", "business_id"),
                    ("publishing_itemhistory_item_id_fb25c29c", "publishing_itemhistory", "item_id"),
                    ("publishing_publishjob_connection_id_3f82cbf5", "publishing_publishjob", "connection_id"),
                ]
            ],
        )
    ]
