"""SM4-GCM field encryption and the HMAC-SM3 blind index (PII-001), without the database."""

import base64

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from dangjian.core import crypto

K1 = base64.b64encode(b"0123456789abcdef").decode()
K2 = base64.b64encode(b"fedcba9876543210").decode()
CONTEXT = "members.Member.id_number"


@pytest.fixture(autouse=True)
def _fresh_keys():
    crypto.clear_key_cache()
    yield
    crypto.clear_key_cache()


def test_PII_001_round_trip_gives_the_plaintext_back_and_never_stores_it():
    # given a value
    # when encrypted and decrypted in the same context
    stored = crypto.encrypt("11010519491231002X", context=CONTEXT)
    # then the stored form is "<key id>$<base64>" without the plaintext, and decrypts back
    assert stored.startswith("1$")
    assert "11010519491231002X" not in stored
    assert b"11010519491231002X" not in base64.b64decode(stored.split("$", 1)[1])
    assert crypto.decrypt(stored, context=CONTEXT) == "11010519491231002X"


def test_PII_001_the_same_value_encrypts_differently_each_time():
    # given one value encrypted twice
    first = crypto.encrypt("13812341234", context=CONTEXT)
    second = crypto.encrypt("13812341234", context=CONTEXT)
    # then the ciphertexts differ (random nonce), so equal values cannot be spotted in the table
    assert first != second


def test_PII_001_chinese_text_round_trips():
    address = "北京市东城区和平里街道和平社区3号楼2单元101"
    assert crypto.decrypt(crypto.encrypt(address, context="members.Member.address"), context="members.Member.address") == address


def test_PII_001_ciphertext_from_another_column_fails_to_decrypt():
    # given an ID number encrypted for the id_number column
    stored = crypto.encrypt("11010519491231002X", context="members.Member.id_number")
    # when it is read as if it belonged to another column or model (associated data differs)
    # then decryption fails
    for other in ("members.Member.phone", "members.Member.address", "members.Applicant.id_number"):
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt(stored, context=other)


@pytest.mark.parametrize("position", [0, 5, 12, 20, -1])
def test_PII_001_a_flipped_bit_anywhere_is_detected(position):
    # given a stored value with one bit flipped in the nonce, the body or the tag
    stored = crypto.encrypt("11010519491231002X", context=CONTEXT)
    key_id, b64 = stored.split("$", 1)
    blob = bytearray(base64.b64decode(b64))
    blob[position] ^= 0x01
    tampered = f"{key_id}${base64.b64encode(bytes(blob)).decode()}"
    # when decrypted
    # then it is refused, never returned altered
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(tampered, context=CONTEXT)


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "no-dollar-sign",
        "1$not base64!!",
        "x$" + base64.b64encode(b"0" * 40).decode(),
        "9$" + base64.b64encode(b"0" * 40).decode(),  # unknown key id
        "1$" + base64.b64encode(b"short").decode(),  # shorter than nonce + tag
        "1$",
    ],
)
def test_PII_001_malformed_or_truncated_ciphertext_raises_decryption_error(stored):
    # given a stored value that is not a well-formed ciphertext
    # then DecryptionError, never another exception type or garbage
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(stored, context=CONTEXT)


def test_PII_001_key_rotation_encrypts_with_the_newest_key_and_still_reads_old_values():
    # given a value written while only key 1 existed
    with override_settings(FIELD_KEYS=f"1:{K1}"):
        crypto.clear_key_cache()
        old = crypto.encrypt("13812341234", context=CONTEXT)
    # when key 2 is added
    with override_settings(FIELD_KEYS=f"1:{K1},2:{K2}"):
        crypto.clear_key_cache()
        new = crypto.encrypt("13812341234", context=CONTEXT)
        # then new writes use key 2 and the old value still decrypts
        assert crypto.key_id_of(old) == 1
        assert crypto.key_id_of(new) == 2
        assert crypto.decrypt(old, context=CONTEXT) == "13812341234"
        assert crypto.decrypt(new, context=CONTEXT) == "13812341234"
    # and once key 1 is retired, values not yet re-encrypted can no longer be read
    with override_settings(FIELD_KEYS=f"2:{K2}"):
        crypto.clear_key_cache()
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt(old, context=CONTEXT)


def test_PII_001_a_value_under_the_right_key_id_but_the_wrong_key_fails():
    # given a value encrypted with key 1 = K1
    with override_settings(FIELD_KEYS=f"1:{K1}"):
        crypto.clear_key_cache()
        stored = crypto.encrypt("13812341234", context=CONTEXT)
    # when key id 1 is configured with other key bytes
    with override_settings(FIELD_KEYS=f"1:{K2}"):
        crypto.clear_key_cache()
        # then the tag check fails
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt(stored, context=CONTEXT)


@pytest.mark.parametrize(
    "spec",
    ["", "1", "1:not-base64!", f"x:{K1}", "1:" + base64.b64encode(b"too short").decode()],
)
def test_PII_001_bad_field_keys_stop_with_a_configuration_error(spec):
    with override_settings(FIELD_KEYS=spec):
        crypto.clear_key_cache()
        with pytest.raises(ImproperlyConfigured):
            crypto.encrypt("x", context=CONTEXT)


def test_PII_001_blind_index_is_deterministic_keyed_and_separated_by_context():
    # given the same normalised value
    a = crypto.blind_index("11010519491231002X", context="members.Member.id_number")
    b = crypto.blind_index("11010519491231002X", context="members.Member.id_number")
    # then equal inputs give equal digests (exact-match search) of 64 hex characters (SM3)
    assert a == b and len(a) == 64 and int(a, 16) >= 0
    # and another value, another column or another key gives another digest
    assert crypto.blind_index("11010519491231003X", context="members.Member.id_number") != a
    assert crypto.blind_index("11010519491231002X", context="members.Member.phone") != a
    with override_settings(BLIND_INDEX_KEY=base64.b64encode(b"another-blind-index-key").decode()):
        crypto.clear_key_cache()
        assert crypto.blind_index("11010519491231002X", context="members.Member.id_number") != a


def test_PII_001_blind_index_key_shorter_than_16_bytes_is_refused():
    with override_settings(BLIND_INDEX_KEY=base64.b64encode(b"short").decode()):
        crypto.clear_key_cache()
        with pytest.raises(ImproperlyConfigured):
            crypto.blind_index("x", context=CONTEXT)
