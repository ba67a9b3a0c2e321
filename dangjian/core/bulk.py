"""Inserting many rows as fast as the database allows, through the fields' own code (issue 9, P3).

``insert_many(model, objs)`` writes model instances and sets their primary keys. On PostgreSQL it takes
the ids from the table's sequence in one query and sends the rows with ``COPY`` (STACK.md §4: several
times faster than ``INSERT``); elsewhere it is ``bulk_create``. Either way every value goes through
``Field.pre_save`` and ``Field.get_db_prep_save`` — encryption, blind indexes, month-days, ``auto_now``
— exactly as ``save()`` would write it, and no signals are sent (callers that keep caches bump them).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections, models, router

BATCH = 2000


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
            for obj in objs:
                # JSONField's adapter (psycopg Jsonb) is written by COPY as by INSERT
                copy.write_row([f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields])
    for obj in objs:
        obj._state.adding = False
        obj._state.db = alias
