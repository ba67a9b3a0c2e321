"""SM4-GCM field encryption and HMAC-SM3 blind index (ADR 0007, PII-001).

Stored form: ``<key id>$<base64(nonce 12 | ciphertext | tag 16)>``. The associated data is
``"app.Model.field"`` so a value copied to another column fails to decrypt. Keys come from
settings (``FIELD_KEYS``, ``BLIND_INDEX_KEY``); the highest key id encrypts, every id decrypts, so
rotation is "add a key, re-save".
"""

from __future__ import annotations

import base64
import binascii
import hmac as std_hmac
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class DecryptionError(Exception):
    """A stored value could not be decrypted (wrong key, wrong column, tampered)."""


NONCE_BYTES = 12
TAG_BYTES = 16


@lru_cache(maxsize=4)
def _parse_keys(spec: str) -> dict[int, bytes]:
    keys: dict[int, bytes] = {}
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            key_id, b64 = part.split(":", 1)
            key = base64.b64decode(b64, validate=True)
            keys[int(key_id)] = key
        except (ValueError, binascii.Error) as exc:
            raise ImproperlyConfigured("FIELD_KEYS must look like '1:<base64>,2:<base64>'") from exc
        if len(key) != 16:
            raise ImproperlyConfigured(f"FIELD_KEYS key {key_id} must be 16 bytes (SM4), got {len(key)}")
    if not keys:
        raise ImproperlyConfigured("FIELD_KEYS holds no key")
    return keys


@lru_cache(maxsize=4)
def _blind_key(spec: str) -> bytes:
    try:
        key = base64.b64decode(spec, validate=True)
    except binascii.Error as exc:
        raise ImproperlyConfigured("BLIND_INDEX_KEY must be base64") from exc
    if len(key) < 16:
        raise ImproperlyConfigured("BLIND_INDEX_KEY must be at least 16 bytes")
    return key


def encrypt(plaintext: str, *, context: str) -> str:
    keys = _parse_keys(settings.FIELD_KEYS)
    key_id = max(keys)
    nonce = os.urandom(NONCE_BYTES)
    encryptor = Cipher(algorithms.SM4(keys[key_id]), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(context.encode())
    body = encryptor.update(plaintext.encode("utf-8")) + encryptor.finalize()
    blob = nonce + body + encryptor.tag
    return f"{key_id}${base64.b64encode(blob).decode('ascii')}"


def decrypt(stored: str, *, context: str) -> str:
    """Plaintext of ``stored``; DecryptionError when it is malformed, truncated, tampered or from another context."""
    try:
        key_id_text, b64 = stored.split("$", 1)
        blob = base64.b64decode(b64, validate=True)
        key = _parse_keys(settings.FIELD_KEYS)[int(key_id_text)]
    except (ValueError, KeyError, binascii.Error, AttributeError) as exc:
        raise DecryptionError("malformed ciphertext or unknown key id") from exc
    if len(blob) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionError("ciphertext too short")
    nonce, body, tag = blob[:NONCE_BYTES], blob[NONCE_BYTES:-TAG_BYTES], blob[-TAG_BYTES:]
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(context.encode())
    try:
        return (decryptor.update(body) + decryptor.finalize()).decode("utf-8")
    except InvalidTag as exc:
        raise DecryptionError("authentication failed") from exc


def key_id_of(stored: str) -> int:
    """The id of the key that encrypted ``stored`` (re-encrypt rows whose id is below the newest)."""
    try:
        return int(stored.split("$", 1)[0])
    except ValueError as exc:
        raise DecryptionError("malformed ciphertext") from exc


def clear_key_cache() -> None:
    """Forget parsed keys (after FIELD_KEYS/BLIND_INDEX_KEY change, e.g. in tests with override_settings)."""
    _parse_keys.cache_clear()
    _blind_key.cache_clear()


def blind_index(normalised: str, *, context: str) -> str:
    """Keyed HMAC-SM3 of an already normalised value, hex; equal inputs give equal digests."""
    mac = hmac.HMAC(_blind_key(settings.BLIND_INDEX_KEY), hashes.SM3())
    mac.update(context.encode() + b"\x00" + normalised.encode("utf-8"))
    return mac.finalize().hex()


def constant_time_equal(a: str, b: str) -> bool:
    return std_hmac.compare_digest(a.encode(), b.encode())
