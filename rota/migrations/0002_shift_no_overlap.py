"""Refuse overlapping shifts within one rotation in the database, on PostgreSQL only.

SQLite has no range types, so there the same rule is enforced by rota.services. The constraint
uses half-open ranges so that contiguous shifts (one ends when the next starts) are allowed.
"""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    'ALTER TABLE rota_shift ADD CONSTRAINT rota_shift_no_overlap EXCLUDE USING gist '
    '(rotation_id WITH =, tstzrange("start", "end", \'[)\') WITH &&)',
]
DROP = ["ALTER TABLE rota_shift DROP CONSTRAINT IF EXISTS rota_shift_no_overlap"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("rota", "0001_initial")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]
