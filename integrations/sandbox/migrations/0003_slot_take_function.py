"""``sandbox_slot_take``: a concurrency slot taken in one round trip (lock, forget stale, count, insert)."""

from django.db import migrations

TAKE = """
CREATE OR REPLACE FUNCTION sandbox_slot_take(slot_key text, allowed integer, stale_before timestamptz,
                                             started timestamptz) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    taken bigint;
BEGIN
    -- Held until the caller's transaction ends; each statement below sees what committed before it.
    PERFORM pg_advisory_xact_lock(hashtextextended('sandbox-inflight:' || slot_key, 0));
    DELETE FROM sandbox_inflightcall WHERE key = slot_key AND started_at < stale_before;
    IF (SELECT count(*) FROM sandbox_inflightcall WHERE key = slot_key) >= allowed THEN
        RETURN NULL;
    END IF;
    INSERT INTO sandbox_inflightcall (key, started_at) VALUES (slot_key, started) RETURNING id INTO taken;
    RETURN taken;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("sandbox", "0002_alter_contact_body_alter_document_body_and_more")]

    operations = [
        migrations.RunSQL(
            TAKE, reverse_sql="DROP FUNCTION IF EXISTS sandbox_slot_take(text, integer, timestamptz, timestamptz);"
        )
    ]
