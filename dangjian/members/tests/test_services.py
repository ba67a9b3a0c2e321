"""Member services: validation per rule, one person = one record, masked history, unmask audit."""

import json
from datetime import date

import pytest
from django.db import connection

from dangjian.accounts.scopes import build_scope
from dangjian.audit.models import AuditAction, AuditEvent
from dangjian.core.masking import mask_id_number
from dangjian.core.rules import RuleViolation
from dangjian.members.models import Member, MemberEvent
from dangjian.members.selectors import members_visible_to
from dangjian.members.services import MemberInvalid, create_member, unmask_member, update_member
from dangjian.members.tests.factories import make_member, valid_id
from dangjian.organisations.choices import OrgKind
from dangjian.organisations.tests.factories import make_org

TODAY = date(2026, 11, 28)


def _values(world, **extra):
    born = date(1985, 3, 9)
    return {
        "name": "新党员",
        "id_number": valid_id(born, male=True),
        "join_date": date(2010, 7, 1),
        "full_date": date(2011, 7, 1),
        "status": "full",
        "organisation": world.branch_a1_1,
        "phone": "13912345678",
        "address": "北京市东城区和平里街道和平社区5号楼",
        **extra,
    }


def test_created_member_fills_birth_and_sex_from_the_id_number(world):
    member = create_member(actor=world.charlie, values=_values(world), today=TODAY)
    assert member.birth_date == date(1985, 3, 9)
    assert member.gender == "male"


def test_PII_001_personal_data_is_not_stored_in_plaintext(world):
    # given a member created through the service
    values = _values(world)
    member = create_member(actor=world.charlie, values=values, today=TODAY)
    # when the row is read with raw SQL
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone, address FROM members_member WHERE id = %s", [member.pk])
        raw = cursor.fetchone()
    # then none of the three values appears in clear
    assert values["id_number"] not in raw[0]
    assert "13912345678" not in raw[1]
    assert "和平社区" not in raw[2]


def test_PII_006_a_second_record_with_the_same_id_number_is_refused(world):
    values = _values(world)
    create_member(actor=world.charlie, values=values, today=TODAY)
    with pytest.raises(RuleViolation) as exc:
        create_member(actor=world.charlie, values={**values, "name": "重复"}, today=TODAY)
    assert "一人只能有一条党员记录" in exc.value.message
    assert "PII-006" in exc.value.message


def test_unmask_writes_exactly_one_audit_row(world):
    member = create_member(actor=world.charlie, values=_values(world), today=TODAY)
    before = AuditEvent.objects.filter(action=AuditAction.UNMASK).count()
    plain = unmask_member(actor=world.charlie, member=member, reason="核对身份办理转接")
    assert plain["phone"] == "13912345678"
    assert AuditEvent.objects.filter(action=AuditAction.UNMASK).count() == before + 1


def test_scope_of_a_branch_secretary_excludes_the_neighbouring_branch(world):
    visible = set(members_visible_to(build_scope(world.charlie)).values_list("pk", flat=True))
    assert {m.pk for m in world.a1_1_members} <= visible
    assert not visible & {m.pk for m in world.a1_2_members + world.b1_1_members}


# --- validation through the service -----------------------------------------------------------------

BORN = date(1985, 3, 9)


def _create(world, **extra):
    return create_member(actor=world.charlie, values=_values(world, **extra), today=TODAY)


def _refused(world, **extra):
    with pytest.raises(MemberInvalid) as exc:
        _create(world, **extra)
    return exc.value


def test_DEV_001_service_accepts_joining_on_the_18th_birthday_and_refuses_the_day_before(world):
    # given a person born 1985-03-09
    # when registered with a join date of 2003-03-08 (17) it is refused
    problem = _refused(world, join_date=date(2003, 3, 8), full_date=date(2004, 3, 8))
    assert [p.rule_id for p in problem.problems] == ["DEV-001"]
    assert not Member.objects.filter(name="新党员").exists()
    # and with 2003-03-09 (18 that day) it is accepted
    assert _create(world, join_date=date(2003, 3, 9), full_date=date(2004, 3, 9)).pk


def test_DEV_021_service_refuses_full_membership_before_12_months_and_accepts_exactly(world):
    problem = _refused(world, join_date=date(2010, 7, 1), full_date=date(2011, 6, 30))
    assert [p.rule_id for p in problem.problems] == ["DEV-021"]
    assert _create(world, join_date=date(2010, 7, 1), full_date=date(2011, 7, 1)).full_date == date(2011, 7, 1)


def test_DEV_027_service_refuses_a_future_join_date(world):
    problem = _refused(world, join_date=date(2026, 11, 29), full_date=None, status="probationary")
    assert [p.rule_id for p in problem.problems] == ["DEV-027"]
    assert _create(world, join_date=TODAY, full_date=None, status="probationary").join_date == TODAY


def test_service_refuses_probationary_with_full_date_bad_phone_flowing_and_exempt_without_details(world):
    # given one record breaking four non-ID rules
    problem = _refused(world, status="probationary", phone="1391234", is_flowing=True, is_exempt=True)
    # then all four are reported, each on its field, in one error
    assert sorted(p.field for p in problem.problems) == ["exemption_reason", "full_date", "phone", "whereabouts"]
    assert "；" in problem.message


def test_PII_005_service_refuses_a_bad_checksum(world):
    good = valid_id(BORN, male=True)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    problem = _refused(world, id_number=bad)
    assert [p.rule_id for p in problem.problems] == ["PII-005"]


def test_PII_006_service_refuses_a_sex_field_contradicting_the_number(world):
    problem = _refused(world, gender="female")
    assert [p.rule_id for p in problem.problems] == ["PII-006"]
    assert problem.problems[0].field == "gender"


def test_PII_006_service_refuses_a_birth_date_contradicting_the_number(world):
    problem = _refused(world, birth_date=date(1985, 3, 10))
    assert [p.rule_id for p in problem.problems] == ["PII-006"]
    assert problem.problems[0].field == "birth_date"


@pytest.mark.parametrize("attr", ["community_a1", "street_a", "district"])
def test_ORG_017_a_member_cannot_be_placed_in_a_committee(world, attr):
    problem = _refused(world, organisation=getattr(world, attr))
    assert [p.rule_id for p in problem.problems] == ["ORG-017"]
    assert problem.problems[0].field == "organisation"


@pytest.mark.parametrize("kind", [OrgKind.GENERAL_BRANCH, OrgKind.PARTY_GROUP])
def test_ORG_017_a_member_cannot_be_placed_in_a_general_branch_or_a_party_group(world, kind):
    parent = world.community_a1 if kind == OrgKind.GENERAL_BRANCH else world.branch_a1_1
    org = make_org(parent, "不持有组织关系的组织", kind)
    problem = _refused(world, organisation=org)
    assert [p.rule_id for p in problem.problems] == ["ORG-017"]
    assert f"为{OrgKind(kind).label}，不能直接管理党员组织关系" in problem.message


def test_a_member_may_be_in_a_party_group_of_their_own_branch_only(world):
    group = make_org(world.branch_a1_1, "1号楼党小组", OrgKind.BUILDING_GROUP)
    other_group = make_org(world.branch_a1_2, "2号楼党小组", OrgKind.BUILDING_GROUP)
    assert _create(world, group=group).group == group
    problem = _refused(world, group=other_group, id_number=valid_id(BORN, male=True))
    assert [p.field for p in problem.problems] == ["group"]


def test_a_dissolved_branch_takes_no_members(world):
    empty = make_org(world.community_a1, "已撤销支部", OrgKind.GRID_BRANCH, dissolved_on=date(2026, 1, 1))
    problem = _refused(world, organisation=empty)
    assert "已撤销，不能接收党员" in problem.message


# --- one person, one record (PII-006) ---------------------------------------------------------------


def test_PII_006_the_same_number_typed_differently_is_still_the_same_person(world):
    values = _values(world)
    create_member(actor=world.charlie, values=values, today=TODAY)
    spaced = f" {values['id_number'][:6]} {values['id_number'][6:].lower()} "
    with pytest.raises(RuleViolation) as exc:
        create_member(actor=world.charlie, values={**values, "id_number": spaced}, today=TODAY)
    assert exc.value.rule_id == "PII-006"
    assert Member.objects.filter(name="新党员").count() == 1


def test_PII_006_the_refusal_names_the_holder_masked(world):
    holder = world.b1_1_members[0]
    with pytest.raises(RuleViolation) as exc:
        _create(world, id_number=holder.id_number, birth_date=holder.birth_date, gender=holder.gender)
    assert f"已登记在“{world.branch_b1_1.name}”的党员{holder.name}名下" in exc.value.message
    assert holder.id_number not in exc.value.message
    assert mask_id_number(holder.id_number) in exc.value.message


def test_PII_006_update_keeping_its_own_number_is_fine(world):
    member = _create(world)
    updated = update_member(actor=world.charlie, member_id=member.pk, values={"id_number": member.id_number, "name": "改名"}, today=TODAY)
    assert updated.name == "改名"


def test_PII_006_update_to_another_persons_number_is_refused(world):
    # given another person born well before the member's join date (so no age rule fires first)
    member = _create(world)
    other = make_member(world.branch_a1_2, birth_date=date(1970, 5, 4))
    with pytest.raises(RuleViolation) as exc:
        update_member(
            actor=world.charlie,
            member_id=member.pk,
            values={"id_number": other.id_number, "birth_date": other.birth_date, "gender": other.gender},
            today=TODAY,
        )
    assert exc.value.rule_id == "PII-006"
    assert Member.objects.get(pk=member.pk).id_number != other.id_number


def test_PII_006_a_concurrent_duplicate_caught_by_the_unique_index_is_reported_like_a_checked_one(world, monkeypatch):
    # given the check is bypassed, as when two requests pass it at the same moment
    from dangjian.members import services

    monkeypatch.setattr(services, "_validate", lambda values, **kw: None)
    values = _values(world)
    first = create_member(actor=world.charlie, values=values, today=TODAY)
    # when the same number is inserted again
    with pytest.raises(RuleViolation) as exc:
        create_member(actor=world.charlie, values={**values, "name": "另一人"}, today=TODAY)
    # then the unique index refuses it, and the error names the record that won, not a crash
    assert exc.value.rule_id == "PII-006"
    assert f"党员{first.name}名下" in exc.value.message
    assert Member.objects.filter(id_number_hash=first.id_number_hash).count() == 1


def test_an_integrity_error_that_is_not_a_duplicate_is_not_disguised_as_one(world, monkeypatch):
    # given the checks bypassed and a full-membership date before the join date (a CHECK constraint)
    from django.db import IntegrityError

    from dangjian.members import services

    monkeypatch.setattr(services, "_validate", lambda values, **kw: None)
    # then the database error surfaces as what it is
    with pytest.raises(IntegrityError):
        _create(world, join_date=date(2010, 7, 1), full_date=date(2009, 7, 1))


# --- history ------------------------------------------------------------------------------------------


def test_history_keeps_before_and_after_masked(world):
    # given a member
    member = _create(world)
    old_id = member.id_number
    # when phone, address and ID number change
    new_id = valid_id(BORN, male=True)
    update_member(
        actor=world.charlie,
        member_id=member.pk,
        values={"phone": "13700001111", "address": "北京市东城区安定门街道交道口社区9号", "id_number": new_id},
        comment="本人申请更正",
        today=TODAY,
    )
    # then the member history holds only what changed, masked
    event = MemberEvent.objects.get(member=member, action=AuditAction.UPDATE)
    assert set(event.before) == set(event.after) == {"id_number", "phone", "address"}
    assert event.before["phone"] == "139****5678" and event.after["phone"] == "137****1111"
    assert event.after["address"] == "北京市东城区安定门街道交道口社区****"
    assert event.after["id_number"] == mask_id_number(new_id)
    assert event.comment == "本人申请更正" and event.actor == world.charlie
    # and no plaintext is in the history or the audit log
    audit = AuditEvent.objects.get(action=AuditAction.UPDATE, object_id=str(member.pk))
    stored = json.dumps([event.before, event.after, audit.before, audit.after], ensure_ascii=False)
    for plain in (old_id, new_id, "13912345678", "13700001111", "交道口社区9号"):
        assert plain not in stored


def test_create_history_is_masked_too(world):
    member = _create(world)
    event = MemberEvent.objects.get(member=member, action=AuditAction.CREATE)
    assert event.after["id_number"] == mask_id_number(member.id_number)
    assert event.after["phone"] == "139****5678"
    audit = AuditEvent.objects.get(action=AuditAction.CREATE, object_id=str(member.pk))
    assert member.id_number not in json.dumps(audit.after, ensure_ascii=False)


def test_an_update_that_changes_nothing_writes_no_history(world):
    member = _create(world)
    update_member(actor=world.charlie, member_id=member.pk, values={"name": "新党员"}, today=TODAY)
    assert not MemberEvent.objects.filter(member=member, action=AuditAction.UPDATE).exists()


def test_a_refused_update_changes_nothing(world):
    member = _create(world)
    with pytest.raises(MemberInvalid):
        update_member(actor=world.charlie, member_id=member.pk, values={"name": "改名", "phone": "123"}, today=TODAY)
    assert Member.objects.get(pk=member.pk).name == "新党员"


def test_values_are_trimmed_and_normalised(world):
    member = _create(world, name="\u3000新党员 ", phone="+86 139-1234-5678")
    assert member.name == "新党员"
    assert member.phone == "13912345678"


# --- unmask -------------------------------------------------------------------------------------------


def test_PII_001_unmask_row_holds_who_why_which_fields_and_no_plaintext(world):
    # given a member
    member = _create(world)
    # when charlie unmasks the ID number and phone with a reason
    plain = unmask_member(actor=world.charlie, member=member, reason="核对身份办理转接", fields=("id_number", "phone"), ip="10.0.0.7")
    # then the plain values come back, and exactly one audit row names actor, reason, fields, object and IP
    assert plain == {"id_number": member.id_number, "phone": "13912345678"}
    row = AuditEvent.objects.get(action=AuditAction.UNMASK)
    assert (row.actor, row.reason, row.detail, row.object_id, row.ip) == (
        world.charlie,
        "核对身份办理转接",
        {"fields": ["id_number", "phone"]},
        str(member.pk),
        "10.0.0.7",
    )
    assert row.org_path == world.branch_a1_1.path
    stored = json.dumps([row.before, row.after, row.detail, row.reason, row.object_repr], ensure_ascii=False)
    assert member.id_number not in stored and "13912345678" not in stored and "和平社区5号楼" not in stored


def test_PII_001_unmask_without_a_reason_is_refused_and_not_audited(world):
    member = _create(world)
    with pytest.raises(RuleViolation, match="须说明事由"):
        unmask_member(actor=world.charlie, member=member, reason=" ")
    assert not AuditEvent.objects.filter(action=AuditAction.UNMASK).exists()


def test_PII_001_unmask_ignores_fields_that_are_not_personal_data(world):
    member = _create(world)
    plain = unmask_member(actor=world.charlie, member=member, reason="核对", fields=("name", "address"))
    assert plain == {"address": "北京市东城区和平里街道和平社区5号楼"}


def test_STAT_004_an_exit_keeps_the_record_with_its_reason_and_leaves_the_current_members(world):
    """STAT-004: members are only reduced with a reason, never deleted — record_exit sets the date and
    reason under a lock, writes one history row and one audit event, and refuses a second exit."""
    from dangjian.members.choices import ExitReason
    from dangjian.members.services import AlreadyLeft, record_exit

    member = world.a1_1_members[0]
    audits = AuditEvent.objects.count()
    # when the member dies and the branch records it
    record_exit(actor=world.charlie, member_id=member.pk, on=date(2026, 11, 1), reason=ExitReason.DECEASED, comment="病故")
    member.refresh_from_db()
    # then the record is kept, out of the current members, with its reason and history
    assert member.left_on == date(2026, 11, 1) and member.exit_reason == ExitReason.DECEASED
    assert not members_visible_to(build_scope(world.charlie)).filter(pk=member.pk, left_on__isnull=True).exists()
    assert MemberEvent.objects.filter(member=member, comment="病故").count() == 1
    assert AuditEvent.objects.count() == audits + 1
    # and it cannot leave twice, nor for a reason that does not exist
    with pytest.raises(AlreadyLeft):
        record_exit(actor=world.charlie, member_id=member.pk, on=date(2026, 11, 2), reason=ExitReason.LAPSED, comment="重复")
    with pytest.raises(ValueError):
        record_exit(actor=world.charlie, member_id=world.a1_1_members[1].pk, on=date(2026, 11, 2), reason="vanished", comment="")
