"""The shift table's indexes serve the queries that page through it.

With 200,000 shifts, a list page that sorts the whole table costs hundreds of milliseconds of
database time; with an index in the list's order it reads one page of index entries.
"""

import pytest
from django.db import connection

from rota.models import Shift
from rota.selectors import shift_list


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The test table is tiny, where a sequential scan is cheaper; forbid it so the plan
            # shows whether an index can give the order at all.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(" ".join(str(col) for col in row) for row in cursor.fetchall())


@pytest.mark.django_db(transaction=False)
def test_the_default_list_order_is_read_from_an_index_not_sorted():
    plan = _plan(shift_list()[:50])

    assert "rota_shift_start_rotation" in plan, plan
    # SQLite says "USE TEMP B-TREE FOR ORDER BY" and PostgreSQL "Sort" when rows are sorted.
    assert "TEMP B-TREE" not in plan, plan
    assert "Sort" not in plan.replace("Sort Key", ""), plan


def test_single_column_foreign_key_indexes_are_left_to_the_composite_ones():
    # A composite index leading with the column serves every lookup the single one would.
    indexed = {field.name for field in Shift._meta.fields if getattr(field, "db_index", False)}
    assert not {"rotation", "user", "team"} & indexed
    leading = {index.fields[0] for index in Shift._meta.indexes}
    assert {"rotation", "user", "team", "start"} <= leading
