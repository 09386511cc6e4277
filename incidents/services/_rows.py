"""Hand-built reads for the alert path, which runs them on every webhook request.

Built by the ORM, each of the reads an alert request needs (its integration, the states of its
alerts, their open incidents) cost about 1 ms of CPU compiling SQL against a tenth of that
running it (measured with the alert storm, bench/incidents_storm.py): most of what a repeated
notification cost. Here the SQL is put together from the models' own table and column names,
and the ORM only turns the rows into model instances (``Manager.raw``), so values come back
converted as from any queryset.
"""

from django.db import connection

OPERATORS = ("=", "<>", "in")


def rows(model, *, fields, where, order_by: str | None = None, lock: bool = False) -> list:
    """Return the ``model`` rows matching every condition of ``where``, as instances.

    ``fields`` names the fields to load (the primary key among them; the others are deferred
    and read on access, as with ``QuerySet.only``). ``where`` is a list of ``(field,
    operator, value)`` with operator ``=``, ``<>`` or ``in`` (a list, never empty).
    ``order_by`` is a field; ``lock`` locks the rows (``SELECT ... FOR UPDATE``) where the
    database can (SQLite holds the whole database for the transaction instead).
    """
    meta, quote = model._meta, connection.ops.quote_name

    def column(name: str) -> str:
        return quote(meta.get_field(name).column)

    conditions, params = [], []
    for name, operator, value in where:
        if operator not in OPERATORS:
            raise ValueError(f"Unknown operator {operator!r}; use one of {OPERATORS}.")
        if operator == "in":
            if not value:
                return []
            conditions.append(f"{column(name)} IN ({', '.join(['%s'] * len(value))})")
            params.extend(value)
        else:
            conditions.append(f"{column(name)} {operator} %s")
            params.append(value)
    # Only the models' quoted table and column names are interpolated; values are parameters.
    sql = (
        f"SELECT {', '.join(column(name) for name in fields)} FROM {quote(meta.db_table)}"  # noqa: S608
        f" WHERE {' AND '.join(conditions)}"
    )
    if order_by:
        sql += f" ORDER BY {column(order_by)}"
    if lock and connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    return list(model.objects.raw(sql, params))
