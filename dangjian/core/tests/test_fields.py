"""Encrypted fields at rest, checked with raw SQL on the members table (PII-001).

core sits below members (import-linter layers): the model comes from the app registry and the data
from the root ``world`` fixture, never from an import of a higher app.
"""

import base64
import itertools
from datetime import date

import pytest
from django.apps import apps
from django.core.exceptions import FieldError
from django.db import connection
from django.test import override_settings

from dangjian.core import crypto
from dangjian.core.idnumber import make_id_number, normalise_id_number

K1 = base64.b64encode(b"0123456789abcdef").decode()
K2 = base64.b64encode(b"fedcba9876543210").decode()
PHONE = "13912345678"
ADDRESS = "北京市东城区和平里街道和平社区5号楼3单元402"


_seq = itertools.count(501, 2)  # odd sequence numbers (male), region 110101: apart from the world


def _model():
    return apps.get_model("members", "Member")


def valid_id(born: date, *, male: bool = True) -> str:
    return make_id_number("110101", born, next(_seq) + (0 if male else 1))


def make_member(org, **values):
    born = values.pop("birth_date", date(1985, 3, 9))
    defaults = {
        "name": "测试党员",
        "gender": "male",
        "id_number": values.pop("id_number", None) or valid_id(born),
        "birth_date": born,
        "join_date": date(2010, 7, 1),
        "full_date": date(2011, 7, 1),
        "status": "full",
        "organisation": org,
        "phone": "13900000000",
        "address": "北京市东城区和平里街道和平社区1号楼",
    }
    return _model().objects.create(**{**defaults, **values})


def _by_hash(field: str, raw: str):
    member_model = _model()
    digest = member_model._meta.get_field(f"{field}_hash").index_for(member_model, raw)
    return member_model.objects.filter(**{f"{field}_hash": digest}) if digest else member_model.objects.none()


def member_by_id_number(raw: str):
    return _by_hash("id_number", normalise_id_number(raw)).first()


@pytest.fixture
def branch(world):
    return world.branch_a1_1


def _raw(member_pk, *columns):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM members_member WHERE id = %s", [member_pk])
        return cursor.fetchone()


def _raw_table_text():
    """Every column of every member row as one string (what a database dump would show)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM members_member")
        return " ".join(str(value) for row in cursor.fetchall() for value in row)


def test_PII_001_no_plaintext_id_phone_or_address_anywhere_in_the_members_table(branch, world):
    # given the world's members and one with a known ID number, phone and address
    id_number = valid_id(date(1985, 3, 9), male=True)
    member = make_member(branch, id_number=id_number, phone=PHONE, address=ADDRESS)
    # when the whole table is read with raw SQL
    dump = _raw_table_text()
    # then none of the three values appears in clear (nor the birth-date digits of the ID with its region)
    assert id_number not in dump
    assert PHONE not in dump
    assert "和平社区" not in dump and "5号楼" not in dump
    for other in world.a1_1_members + world.b1_1_members:
        assert other.id_number not in dump and other.phone not in dump
    # and each column holds the key id and a ciphertext
    raw_id, raw_phone, raw_address = _raw(member.pk, "id_number", "phone", "address")
    for raw in (raw_id, raw_phone, raw_address):
        assert raw.startswith("1$")


def test_PII_001_the_model_reads_plaintext_back(branch):
    # given a stored member
    id_number = valid_id(date(1985, 3, 9), male=True)
    member = make_member(branch, id_number=id_number, phone=PHONE, address=ADDRESS)
    # when loaded again
    again = _model().objects.get(pk=member.pk)
    # then Python sees plaintext
    assert (again.id_number, again.phone, again.address) == (id_number, PHONE, ADDRESS)


def test_PII_001_empty_phone_and_address_are_stored_empty_not_encrypted(branch):
    member = make_member(branch, phone="", address="")
    raw_phone, raw_address, raw_hash = _raw(member.pk, "phone", "address", "phone_hash")
    assert (raw_phone, raw_address, raw_hash) == ("", "", None)


def test_PII_001_blind_index_finds_exact_matches_only(branch):
    # given two members
    id_number = valid_id(date(1985, 3, 9), male=True)
    member = make_member(branch, id_number=id_number, phone=PHONE)
    make_member(branch)
    # when searched through the blind index
    # then the exact number finds the one record, also typed with spaces or lower-case x
    assert member_by_id_number(id_number) == member
    assert member_by_id_number(f" {id_number[:6]} {id_number[6:]} ".lower()) == member
    assert list(_by_hash("phone", PHONE)) == [member]
    assert list(_by_hash("phone", "139 1234 5678")) == [member]  # normalised before hashing
    # and a prefix, a suffix or a one-digit change finds nothing
    assert member_by_id_number(id_number[:17]) is None
    assert not _by_hash("id_number", id_number[:6]).exists()
    assert not _by_hash("phone", PHONE[:-1] + "9").exists()
    assert not _by_hash("phone", PHONE[-4:]).exists()


def test_PII_001_the_stored_hash_is_the_keyed_digest_not_the_value(branch):
    member = make_member(branch, phone=PHONE)
    raw_hash = _raw(member.pk, "phone_hash")[0]
    assert raw_hash == crypto.blind_index(PHONE, context="members.Member.phone")
    assert PHONE not in raw_hash


def test_PII_001_ciphertext_copied_to_another_column_fails_to_decrypt(branch):
    # given a member whose encrypted ID number is copied into the phone column with raw SQL
    member = make_member(branch)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE members_member SET phone = id_number WHERE id = %s", [member.pk])
    # when the row is loaded
    # then the phone cannot be decrypted (its associated data names another column)
    with pytest.raises(crypto.DecryptionError):
        _model().objects.get(pk=member.pk)


def test_PII_001_tampered_ciphertext_in_the_table_fails_to_load(branch):
    # given a member whose stored ID ciphertext is altered by one character
    member = make_member(branch)
    raw = _raw(member.pk, "id_number")[0]
    key_id, b64 = raw.split("$", 1)
    blob = bytearray(base64.b64decode(b64))
    blob[15] ^= 0x80
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE members_member SET id_number = %s WHERE id = %s",
            [f"{key_id}${base64.b64encode(bytes(blob)).decode()}", member.pk],
        )
    # then loading it raises DecryptionError instead of returning a wrong number
    with pytest.raises(crypto.DecryptionError):
        _model().objects.get(pk=member.pk)


def test_PII_001_key_rotation_new_rows_use_key_2_and_old_rows_still_decrypt(branch):
    # given a member written under key 1 only
    with override_settings(FIELD_KEYS=f"1:{K1}"):
        crypto.clear_key_cache()
        old = make_member(branch, phone=PHONE)
        old_id_number = old.id_number
    try:
        # when key 2 is added and a new member is written
        with override_settings(FIELD_KEYS=f"1:{K1},2:{K2}"):
            crypto.clear_key_cache()
            new = make_member(branch, phone="13700000000")
            # then the new row is encrypted with key 2, the old one keeps key 1
            assert _raw(new.pk, "phone")[0].startswith("2$")
            assert _raw(old.pk, "phone")[0].startswith("1$")
            # and both decrypt
            assert _model().objects.get(pk=old.pk).phone == PHONE
            assert _model().objects.get(pk=old.pk).id_number == old_id_number
            assert _model().objects.get(pk=new.pk).phone == "13700000000"
            # and re-saving the old row re-encrypts it with key 2 (rotation = add a key, re-save)
            reloaded = _model().objects.get(pk=old.pk)
            reloaded.save()
            assert _raw(old.pk, "phone")[0].startswith("2$")
            assert crypto.key_id_of(_raw(old.pk, "id_number")[0]) == 2
    finally:
        crypto.clear_key_cache()


def test_PII_001_filtering_an_encrypted_field_by_value_is_refused(branch):
    # given members
    make_member(branch, phone=PHONE)
    # when filtered on the ciphertext column by value
    # then the ORM refuses instead of silently matching nothing
    with pytest.raises(FieldError, match="BlindIndexField"):
        list(_model().objects.filter(phone=PHONE))
    with pytest.raises(FieldError):
        list(_model().objects.filter(id_number__startswith="110105"))


def test_PII_001_blank_and_null_checks_on_encrypted_fields_still_work(branch):
    # given one member with a phone and one without
    with_phone = make_member(branch, phone=PHONE)
    without = make_member(branch, phone="")
    # then blank and isnull lookups are allowed (no value is compared)
    assert list(_model().objects.filter(phone="")) == [without]
    assert with_phone in set(_model().objects.exclude(phone=""))
    assert _model().objects.filter(phone__isnull=True).count() == 0


def test_month_day_field_keeps_the_join_anniversary(branch):
    # given a member who joined on 1 July
    member = make_member(branch, join_date=date(2001, 7, 1))
    # then the indexed month-day is "07-01" and follows a change of join date
    assert _raw(member.pk, "join_month_day")[0] == "07-01"
    member.join_date = date(2001, 12, 31)
    member.full_date = date(2002, 12, 31)
    member.save()
    assert _raw(member.pk, "join_month_day")[0] == "12-31"


def test_month_day_field_accepts_a_date_given_as_text(branch):
    # given a join date passed as ISO text (as a raw import might)
    member = make_member(branch, join_date="2001-07-01", full_date="2002-07-01")
    # then the anniversary is filled like for a date object
    assert _raw(member.pk, "join_month_day")[0] == "07-01"
