"""Inserting many rows as fast as the database allows, through the fields' own code (issue 9, P3).

``insert_many(model, objs)`` writes model instances and sets their primary keys. On PostgreSQL it takes
the ids from the table's sequence in one query and sends the rows with ``COPY`` (STACK.md §4: several
times faster than ``INSERT``); elsewhere it is ``bulk_create``. Either way every value goes through
``Field.pre_save`` and ``Field.get_db_prep_save`` — encryption, blind indexes, month-days, ``auto_now``
— exactly as ``save()`` would write it, and no signals are sent (callers that keep caches bump them).
The one shortcut: a value of a plain field (``_PLAIN``: exactly that class, not a subclass) that is
already of the type the field's own code would return is sent as it is — those methods would return it
unchanged; any other value (a string for a date, None is fine) goes through the field.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections, models, router

BATCH = 2000
# field class -> the Python type its get_db_prep_save returns unchanged (PostgreSQL adapts it natively)
_PLAIN: dict[type[models.Field[Any, Any]], type] = {
    models.CharField: str,
    models.TextField: str,
    models.BooleanField: bool,
    models.IntegerField: int,
    models.BigIntegerField: int,
    models.SmallIntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.DateField: datetime.date,
}


def _writer(field: Any, connection: Any) -> Callable[[models.Model], Any]:
    """The COPY value of ``field`` for one instance, as ``save()`` would send it."""

    def through_field(obj: models.Model) -> Any:
        return field.get_db_prep_save(field.pre_save(obj, True), connection)

    kind = _PLAIN.get(type(field))
    if type(field) is models.ForeignKey and type(field.target_field) in (models.AutoField, models.BigAutoField):
        kind = int
    if kind is None or getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return through_field
    attname = field.attname

    def plain(obj: models.Model) -> Any:
        value = getattr(obj, attname)
        return value if value is None or type(value) is kind else through_field(obj)

    return plain


def insert_many(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    if not objs:
        return
    alias = router.db_for_write(model)
    connection = connections[alias]
    if connection.vendor != "postgresql":
        model._default_manager.using(alias).bulk_create(objs, batch_size=BATCH)
        return
    meta = model._meta
    fields = list(meta.concrete_fields)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [meta.db_table, meta.pk.column, len(objs)]
        )
        ids = [row[0] for row in cursor.fetchall()]
        for obj, pk in zip(objs, ids, strict=True):
            setattr(obj, meta.pk.attname, pk)
        columns = ", ".join(quote(f.column) for f in fields)
        with cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
            writers = [_writer(f, connection) for f in fields]
            for obj in objs:
                # JSONField's adapter (psycopg Jsonb) is written by COPY as by INSERT
                copy.write_row([write(obj) for write in writers])
    for obj in objs:
        obj._state.adding = False
        obj._state.db = alias
