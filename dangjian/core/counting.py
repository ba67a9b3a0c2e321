"""Totals of large scoped lists without a full count on every page (issue 9, ADR 0013).

``count(*)`` over a street subtree of ~100,000 members costs ~90 ms on PostgreSQL — ten times the
page itself. A page's total is therefore:

1. exact and free when the page is the last one (``offset + len(rows)`` with a short page);
2. otherwise the exact ``count(*)``, cached under a key made of the query's SQL and parameters and the
   *generation* of every table the query reads. Any save or delete through the ORM bumps the
   generation of its table (signals on the registries' models, connected in ``CoreConfig.ready``); bulk paths that bypass
   signals (``bulk_create``, ``QuerySet.update`` on rows that move between lists, imports) call
   ``bump_tables`` themselves. Only lists whose rows change through the ORM or those bulk paths opt in
   (``ScopedPagination(cached_total=True)``: the member and organisation registries). A cached total also expires after ``COUNT_CACHE_SECONDS`` as a bound on
   anything missed.

Counts computed inside an open transaction are not cached (they may include rows that roll back).
The cache is Django's default cache: Redis in production (shared by all workers), process memory in
the embedded install (one process).
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.cache import cache
from django.db import connections, models, transaction
from django.db.models import QuerySet

COUNT_CACHE_SECONDS = 60
_GENERATION = "tablegen:{}"


def generation(table: str) -> int:
    return int(cache.get(_GENERATION.format(table)) or 0)


def bump_tables(*tables: str, using: str = "default") -> None:
    """Invalidate every cached count that reads one of ``tables`` (db_table names) — when the
    transaction commits: until then other connections count the old rows anyway, and a count taken
    in between must not be cached under the new generation."""
    if connections[using].in_atomic_block:
        transaction.on_commit(lambda: _incr(tables), using=using)
    else:
        _incr(tables)


def _incr(tables: tuple[str, ...]) -> None:
    for table in tables:
        key = _GENERATION.format(table)
        try:
            cache.incr(key)
        except ValueError:  # not there yet (or evicted): start above any generation a count saw
            cache.set(key, generation(table) + 1, timeout=None)


def bump_model(sender: type[models.Model], using: str = "default", **kwargs: Any) -> None:
    """post_save / post_delete receiver: the sender's table changed."""
    bump_tables(sender._meta.db_table, using=using)


def _tables(queryset: QuerySet[Any]) -> list[str]:
    query = queryset.query
    names = {query.get_meta().db_table}
    for alias in query.alias_map.values():
        names.add(alias.table_name)
    return sorted(names)


def cached_count(queryset: QuerySet[Any]) -> int:
    """``queryset.count()``, cached per query and table generations (see the module docstring)."""
    if connections[queryset.db].in_atomic_block:
        return queryset.count()
    # alias_map is filled when the SQL is compiled
    sql, params = queryset.query.sql_with_params()
    tables = _tables(queryset)
    # one cache round trip for all the generations
    found_generations = cache.get_many([_GENERATION.format(t) for t in tables])
    stamp = ",".join(f"{t}:{int(found_generations.get(_GENERATION.format(t)) or 0)}" for t in tables)
    digest = hashlib.sha256(repr((queryset.db, sql, params, stamp)).encode()).hexdigest()
    key = f"count:{digest}"
    found = cache.get(key)
    if found is not None:
        return int(found)
    total = queryset.count()
    cache.set(key, total, timeout=COUNT_CACHE_SECONDS)
    return total


def page_total(queryset: QuerySet[Any], *, offset: int, limit: int, rows: int, cached: bool = False) -> int:
    """The list's total for a page of ``rows`` rows at ``offset``: exact without a query when the
    page is short (the last page), else ``cached_count`` (``cached``) or ``count()``."""
    if rows < limit and (rows > 0 or offset == 0):
        return offset + rows
    return cached_count(queryset) if cached else queryset.count()
