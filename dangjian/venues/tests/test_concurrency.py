"""Never more people than capacity in a slot, whatever the concurrency (BASE-002, ADR 0006).

50 threads compete for the last 3 places of one slot, round after round (``venues.race``). Each
thread keeps its database connection for all rounds (a barrier starts each round).

- PostgreSQL: 100 rounds in-process —
  ``DATABASE_URL=postgres://postgres@127.0.0.1:5432/dj_venues pytest dangjian/venues -m postgres``
- SQLite: the same race through ``manage.py booking_race`` on a file database with the production
  options (WAL, IMMEDIATE, timeout): the in-memory test database uses SQLite's shared cache, whose
  table locks fail at once instead of waiting, so it cannot stand for the real thing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from dangjian.venues.race import is_sound, race


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_BASE_002_fifty_threads_for_the_last_places_never_overbook_on_postgresql():
    """BASE-002 slot_full under concurrency: 50 threads × 100 rounds on PostgreSQL."""
    result = race(threads=50, rounds=100)
    assert result["crashes"] == [] and result["hung"] == 0
    assert result["overbooked_units"] == 0
    assert all(o == {"booked": 3, "BASE-002:slot_full": 47} for o in result["outcomes"]), result["outcomes"]
    assert result["people_per_slot"] == [10] * 100
    assert is_sound(result)


def _manage(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=900, check=False
    )


@pytest.mark.slow
def test_BASE_002_fifty_threads_for_the_last_places_never_overbook_on_sqlite(tmp_path: Path):
    """BASE-002 slot_full under concurrency on SQLite (file database, WAL, IMMEDIATE): 50 threads × 10 rounds."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.base", DJANGO_DEBUG="1", SQLITE_PATH=str(tmp_path / "race.sqlite3"))
    migrated = _manage(["migrate", "--verbosity", "0"], env)
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    run = _manage(["booking_race", "--threads", "50", "--rounds", "10"], env)
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout)
    assert result["database"] == "sqlite"
    assert result["overbooked_units"] == 0
    assert all(o == {"booked": 3, "BASE-002:slot_full": 47} for o in result["outcomes"]), result["outcomes"]
    assert result["people_per_slot"] == [10] * 10
