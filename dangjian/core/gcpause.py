"""``paused_gc()``: no cyclic garbage collection while a bulk computation builds many objects.

A city-wide compliance sheet builds some 300,000 small objects that all stay alive until it is done;
CPython's collector, triggered by allocation counts, walks every live object again and again on the
way (about a fifth of the sheet's time, measured in issue 5's benchmark). Reference counting still
frees everything as usual; cycles made meanwhile are collected after the block. Re-entrant, and it
leaves the collector as it found it (off stays off).
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
