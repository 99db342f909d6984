"""The pickers' search of a chart of thousands: trigram indexes on the upper-cased name and code of list entries,
which the selector's ``istartswith`` / ``icontains`` (``UPPER(x) LIKE UPPER(…)``) can use. Made only where the
server has the ``pg_trgm`` extension (the PostgreSQL that ``make run`` starts from Python packages lacks it; there a
search scans the connection's list through ``list_entry_by_name``, as before)."""

from django.db import migrations

CREATE = """
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
        CREATE INDEX IF NOT EXISTS list_entry_name_trgm
            ON integrations_listentry USING gin (upper(name::text) gin_trgm_ops);
        CREATE INDEX IF NOT EXISTS list_entry_code_trgm
            ON integrations_listentry USING gin (upper(code::text) gin_trgm_ops);
    END IF;
END
$$;
"""

DROP = """
DROP INDEX IF EXISTS list_entry_name_trgm;
DROP INDEX IF EXISTS list_entry_code_trgm;
"""


class Migration(migrations.Migration):
    dependencies = [("integrations", "0005_lists")]

    operations = [migrations.RunSQL(CREATE, DROP)]
