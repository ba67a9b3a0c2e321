"""Uploads held between an import's preview and its confirmation (nothing is written before).

The bytes wait under ``MEDIA_ROOT/import_staging/`` in a file named by kind, user and a random
token, so a token is useless to anyone but the user who uploaded it. A staged upload is read once
(and deleted) on confirmation; stale ones are swept at the next upload.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

MAX_AGE_SECONDS = 2 * 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


@dataclass(frozen=True)
class StagedUpload:
    data: bytes
    filename: str
    meta: dict[str, Any]


def _folder() -> Path:
    folder = Path(settings.MEDIA_ROOT) / "import_staging"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _paths(kind: str, user_id: int, token: str) -> tuple[Path, Path]:
    stem = f"{kind}-{int(user_id)}-{token}"
    return _folder() / f"{stem}.bin", _folder() / f"{stem}.json"


def stage_upload(*, kind: str, user_id: int, data: bytes, filename: str, meta: dict[str, Any] | None = None) -> str:
    """Keep an upload for later confirmation; returns the token the confirmation form posts back."""
    _sweep()
    token = secrets.token_urlsafe(24)
    data_path, meta_path = _paths(kind, user_id, token)
    data_path.write_bytes(data)
    meta_path.write_text(json.dumps({"filename": filename, "meta": meta or {}}, ensure_ascii=False), encoding="utf-8")
    return token


def take_upload(*, kind: str, user_id: int, token: str) -> StagedUpload | None:
    """The staged upload for this user and token, removed from staging; None when unknown or expired."""
    if not _TOKEN.match(token or ""):
        return None
    data_path, meta_path = _paths(kind, user_id, token)
    if not data_path.exists() or not meta_path.exists():
        return None
    try:
        fresh = time.time() - data_path.stat().st_mtime <= MAX_AGE_SECONDS
        data = data_path.read_bytes()
        info = json.loads(meta_path.read_text(encoding="utf-8"))
    finally:
        data_path.unlink(missing_ok=True)
        meta_path.unlink(missing_ok=True)
    if not fresh:
        return None
    return StagedUpload(data=data, filename=info.get("filename", ""), meta=info.get("meta", {}))


def discard_upload(*, kind: str, user_id: int, token: str) -> None:
    if _TOKEN.match(token or ""):
        for path in _paths(kind, user_id, token):
            path.unlink(missing_ok=True)


def _sweep() -> None:
    cutoff = time.time() - MAX_AGE_SECONDS
    for path in _folder().iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        except OSError:  # swept by a concurrent request
            continue
