"""The month-end page counts each client's items published today from a partial index of published items by time.
Built concurrently: the items table is the large one, and writes go on while the index is made."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("publishing", "0008_attachment_status"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="item",
            index=models.Index(
                condition=models.Q(("state", "published")),
                fields=["business", "published_at"],
                name="item_published_by_time",
            ),
        ),
    ]
