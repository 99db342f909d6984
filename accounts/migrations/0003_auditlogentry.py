# The audit log moves from integrations to accounts, the lowest app that every writer imports. State only:
# the table integrations_auditlogentry, its index and its rows stay exactly as they are (Meta.db_table);
# integrations 0004 removes the model from integrations' state.

import django.db.models.deletion
import django.db.models.manager
from django.conf import settings
from django.db import migrations, models

import dext_connections.fields


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_api_token_lifecycle"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditLogEntry",
                    fields=[
                        ("id", models.BigAutoField(primary_key=True, serialize=False)),
                        ("at", models.DateTimeField(auto_now_add=True)),
                        ("action", models.CharField(max_length=60)),
                        ("object_type", models.CharField(max_length=40)),
                        ("object_id", models.CharField(max_length=64)),
                        ("before", dext_connections.fields.JSONField(blank=True, null=True)),
                        ("after", dext_connections.fields.JSONField(blank=True, null=True)),
                        (
                            "actor",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "business",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE, related_name="+", to="accounts.business"
                            ),
                        ),
                    ],
                    options={
                        "verbose_name_plural": "audit log entries",
                        "db_table": "integrations_auditlogentry",
                        "ordering": ["-id"],
                        "indexes": [models.Index(fields=["business", "-id"], name="audit_business_recent")],
                    },
                    managers=[
                        ("all_tenants", django.db.models.manager.Manager()),
                    ],
                ),
            ],
            database_operations=[],
        ),
    ]
