"""seed_demo: deterministic, idempotent, valid members, one account per role, the health story."""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.management import CommandError, call_command
from django.db import connection

from dangjian.accounts.choices import Role
from dangjian.accounts.models import RoleGrant, User
from dangjian.audit.models import AuditEvent
from dangjian.core.dates import add_months, age_on
from dangjian.core.idnumber import parse_id_number
from dangjian.demo.names import REGION_CODES
from dangjian.demo.plan import (
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    ROOT_CODE,
    SECRETARY_BRANCH,
    UNMET_UNIT,
    build_plan,
    health_story,
)
from dangjian.demo.seeding import DemoDataInvalid, id_hash, seed_district
from dangjian.members.choices import ExemptionReason, MemberStatus
from dangjian.members.models import Member
from dangjian.members.rules import check_phone, member_violations
from dangjian.members.services import MEMBER_FIELDS
from dangjian.members.tests.factories import make_member
from dangjian.organisations.choices import MEMBER_HOLDING_KINDS, CommitteePost, OrgKind
from dangjian.organisations.health import health_findings, health_for_many
from dangjian.organisations.models import CommitteeSeat, Organisation, OrganisationEvent, Unit
from dangjian.organisations.tests.factories import make_org

TODAY = date(2026, 11, 28)
SMALL = 300  # the smallest district the command accepts: keeps these tests around a second each


def seed(members: int = SMALL, **options: Any) -> str:
    out = io.StringIO()
    call_command("seed_demo", members=members, today=TODAY, force=True, stdout=out, **options)
    return out.getvalue()


def registry_members() -> Any:
    """The members seed_demo's plan writes (the workflow apps' demos add applicants who reached 预备
    and arrivals registered with a paper letter)."""
    return Member.objects.filter(development__isnull=True, arrivals__isnull=True)


def database_state() -> dict[str, Any]:
    return {
        "organisations": Organisation.objects.count(),
        "units": Unit.objects.count(),
        "members": Member.objects.count(),
        "seats": CommitteeSeat.objects.count(),
        "users": User.objects.count(),
        "grants": RoleGrant.objects.count(),
        "org_events": OrganisationEvent.objects.count(),
        "audit": AuditEvent.objects.count(),
        "people": sorted(Member.objects.values_list("name", "id_number_hash")),
    }


# --- idempotent and deterministic ----------------------------------------------------------


@pytest.mark.django_db
def test_seeding_twice_changes_nothing_the_second_time():
    # given a seeded demo district
    seed()
    first = database_state()
    # when the command runs again
    output = seed()
    # then no row was added, and the same people are there
    assert database_state() == first
    assert "未做任何改动" in output


def test_the_plan_is_the_same_for_the_same_seed_and_day():
    # given two plans built with the same arguments, and one with another seed
    a = build_plan(today=TODAY, members=SMALL)
    b = build_plan(today=TODAY, members=SMALL)
    other = build_plan(today=TODAY, members=SMALL, seed=7)
    # then the first two are equal and the third differs
    assert [m.values for m in a.members] == [m.values for m in b.members]
    assert (a.orgs, a.seats, a.units) == (b.orgs, b.seats, b.units)
    assert [m.id_number for m in other.members] != [m.id_number for m in a.members]


@pytest.mark.django_db
def test_the_seeded_members_are_exactly_the_planned_ones():
    # given the plan for the day
    plan = build_plan(today=TODAY, members=SMALL)
    # when seeding
    seed()
    # then the names and ID blind indexes of the registry are the plan's
    expected = sorted((m.values["name"], id_hash(m.id_number)) for m in plan.members)
    assert sorted(registry_members().values_list("name", "id_number_hash")) == expected
    # and the only other member records are the workflow apps' own: applicants who reached 预备 and
    # members who arrived with a paper letter (each one linked from the record that made it)
    made_by_workflows = Member.objects.exclude(pk__in=registry_members().values("pk"))
    assert made_by_workflows.exists()
    assert all(m.arrivals.exists() or getattr(m, "development", None) is not None for m in made_by_workflows)


@pytest.mark.django_db
def test_a_run_on_another_day_adds_no_second_set_of_members():
    # given a district seeded a year ago (its dates, and so its ID numbers, differ from today's plan)
    out = io.StringIO()
    call_command("seed_demo", members=SMALL, today=date(2025, 11, 28), force=True, stdout=out)
    before = database_state()
    # when seeding today
    seed()
    # then the populated branches got no new members and nothing else was added
    assert database_state() == before


@pytest.mark.django_db
def test_a_second_run_keeps_what_users_added_or_changed():
    # given a seeded district where a user added a member and renamed another
    seed()
    branch = Organisation.objects.get(code=SECRETARY_BRANCH)
    added = make_member(branch, "新登记党员")
    renamed = Member.objects.filter(organisation=branch).exclude(pk=added.pk).first()
    Member.objects.filter(pk=renamed.pk).update(name="改名后的党员")
    before = Member.objects.count()
    # when seeding again
    seed()
    # then both changes survive and nothing was added
    assert Member.objects.filter(pk=added.pk).exists()
    assert Member.objects.get(pk=renamed.pk).name == "改名后的党员"
    assert Member.objects.count() == before


@pytest.mark.django_db
def test_a_second_run_restores_a_missing_grant_but_keeps_a_changed_password():
    # given a demo user who changed the password and lost the grant
    seed()
    user = User.objects.get(username="quwei")
    user.set_password("Changed#2026x")
    user.save()
    RoleGrant.objects.filter(user=user).delete()
    # when seeding again
    seed()
    # then the grant is back and the password is the user's own
    user.refresh_from_db()
    assert user.check_password("Changed#2026x")
    assert RoleGrant.objects.filter(user=user, role=Role.DISTRICT_ADMIN, organisation__code=ROOT_CODE).exists()


@pytest.mark.django_db
def test_refuses_a_database_that_already_has_another_district():
    # given a platform already set up with its own 区委
    make_org(None, "真实区委", OrgKind.DISTRICT_COMMITTEE, code="X01")
    # when seeding, then the command refuses and names the existing district
    with pytest.raises(CommandError, match="已有顶层组织“真实区委”"):
        seed()
    assert Member.objects.count() == 0


@pytest.mark.django_db
def test_refuses_to_run_with_debug_off_unless_forced():
    # given production-like settings (pytest runs with DEBUG off)
    assert not settings.DEBUG
    # when seeding without --force, then it refuses with the reason
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo", members=SMALL, today=TODAY, stdout=io.StringIO())
    assert Organisation.objects.count() == 0


# --- valid data --------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_demo_member_passes_the_member_rules():
    # given a seeded district
    seed()
    # then every member, read back and decrypted, passes the registry rules in a branch kind
    members = list(Member.objects.select_related("organisation"))
    assert registry_members().count() == SMALL
    for member in members:  # the workflow apps' members too
        values = {f: getattr(member, f) for f in MEMBER_FIELDS}
        assert member_violations(values, today=TODAY) == [], member.name
        assert member.organisation.kind in MEMBER_HOLDING_KINDS


@pytest.mark.django_db
def test_the_generator_writes_nothing_when_one_planned_member_breaks_a_rule():
    # given a plan where one member joined as a baby (DEV-001)
    plan = build_plan(today=TODAY, members=SMALL)
    plan.members[5].values["join_date"] = plan.members[5].values["birth_date"]
    # when seeding it, then it refuses, names the rule, and nothing is written
    with pytest.raises(DemoDataInvalid, match="DEV-001"):
        seed_district(plan, admin_password=None)
    assert Organisation.objects.count() == 0
    assert Member.objects.count() == 0


@pytest.mark.django_db
def test_personal_data_is_encrypted_at_rest_and_indexed_after_bulk_create():
    # given a seeded district
    plan = build_plan(today=TODAY, members=SMALL)
    seed()
    by_hash = {id_hash(m.id_number): m for m in plan.members}
    # when reading the raw columns
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone, address, id_number_hash, phone_hash, join_month_day FROM members_member")
        rows = cursor.fetchall()
    # then no plaintext is stored, and the blind indexes and month-day were filled
    assert not [r for r in rows if re.fullmatch(r"\d{17}[\dX]", r[0]) or re.fullmatch(r"1\d{10}", r[1])]
    planned_rows = [r for r in rows if r[3] in by_hash]
    assert len(planned_rows) == SMALL
    for id_number, phone, address, id_digest, phone_digest, month_day in planned_rows:
        planned = by_hash[id_digest]
        assert planned.id_number not in id_number and planned.values["phone"] not in phone
        assert "示范区" not in address
        assert len(phone_digest) == 64
        assert month_day == f"{planned.values['join_date']:%m-%d}"


# --- accounts ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_role_has_a_demo_account_with_its_grant():
    # given a seeded district
    seed()
    # then every role but 群众 has an account with the documented password and its grant
    assert {a.role for a in DEMO_ACCOUNTS} == set(Role) - {Role.RESIDENT}
    for account in DEMO_ACCOUNTS:
        user = User.objects.get(username=account.username)
        assert user.check_password(DEMO_PASSWORD)
        assert user.display_name == account.display_name
        assert RoleGrant.objects.filter(user=user, role=account.role, organisation__code=account.org_code).exists()


@pytest.mark.django_db
def test_the_member_and_secretary_accounts_are_linked_to_their_records():
    # given a seeded district
    seed()
    # then 王志强 logs in to his own record, and 李红梅 holds the 书记 seat of the same branch
    member = Member.objects.select_related("organisation").get(user__username="dangyuan")
    assert (member.name, member.organisation.code) == ("王志强", SECRETARY_BRANCH)
    seat = CommitteeSeat.objects.get(organisation__code=SECRETARY_BRANCH, post=CommitteePost.SECRETARY, ended_on__isnull=True)
    assert seat.member.name == "李红梅"
    assert seat.member.user.username == "shuji"


def test_the_demo_password_passes_the_password_validators():
    validate_password(DEMO_PASSWORD)  # raises ValidationError when too short, numeric or common


@pytest.mark.django_db
def test_superuser_password_comes_from_the_environment(monkeypatch):
    # given DJANGO_SUPERUSER_PASSWORD
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Env#Secret2026")
    # when seeding
    seed()
    # then admin is a superuser with that password
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.check_password("Env#Secret2026")


@pytest.mark.django_db
def test_with_debug_off_and_no_variable_no_superuser_is_made(monkeypatch):
    # given no DJANGO_SUPERUSER_PASSWORD and DEBUG off (the demo password is for DEBUG only)
    monkeypatch.delenv("DJANGO_SUPERUSER_PASSWORD", raising=False)
    # when seeding
    output = seed()
    # then no admin exists, and the output says why
    assert not User.objects.filter(username="admin").exists()
    assert "DJANGO_SUPERUSER_PASSWORD" in output


def test_the_readme_account_table_matches_seed_demo():
    # given the README and the demo accounts
    readme = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    plan = build_plan(today=TODAY, members=SMALL)
    # then each account appears as one table row, exactly as seed_demo creates it
    for account in DEMO_ACCOUNTS:
        org = plan.by_code[account.org_code].name
        row = f"| `{account.username}` | `{DEMO_PASSWORD}` | {Role(account.role).label} | {org} | {account.display_name} |"
        assert row in readme, row
    assert f"| `admin` | `{DEMO_PASSWORD}`" in readme


# --- the health story --------------------------------------------------------------------


@pytest.mark.django_db
def test_demo_district_shows_exactly_the_health_findings_it_was_built_with():
    # given a seeded district
    seed()
    orgs = list(Organisation.objects.order_by("path"))
    # when checking the health of every organisation
    findings = health_for_many(orgs, on=TODAY)
    shown = {o.code: sorted(f.rule_id for f in findings[o.pk]) for o in orgs if findings[o.pk]}
    # then ORG-001/005/009/010/014 show where the story put them, and nowhere else
    assert shown == {code: sorted(ids) for code, ids in health_story().items()}
    assert {"ORG-001", "ORG-005", "ORG-009", "ORG-010", "ORG-014"} <= {i for ids in shown.values() for i in ids}
    variants = {f.rule.variant for fs in findings.values() for f in fs if f.rule_id == "ORG-014"}
    assert variants == {"", "overdue"}  # one term due within 6 months, one overdue


@pytest.mark.django_db
def test_demo_district_shows_ORG_002_for_the_two_new_unit_without_organisation():
    # given a seeded district
    seed()
    root = Organisation.objects.get(code=ROOT_CODE)
    # when checking the district with its units
    must_establish = [f for f in health_findings(root, on=TODAY) if f.rule_id == "ORG-002"]
    # then exactly the 云帆 company is named (the 2-member shop is below the threshold)
    assert len(must_establish) == 1
    assert UNMET_UNIT in must_establish[0].message


@pytest.mark.django_db
def test_committee_terms_follow_ORG_011():
    # given a seeded district
    from dangjian.organisations.rules import legal_term_end

    seed()
    # then every term ends on its legal end date
    for org in Organisation.objects.filter(term_started_on__isnull=False):
        assert org.term_ends_on == legal_term_end(kind=org.kind, sector=org.sector, started_on=org.term_started_on), org.code


# --- a realistic roster (the default size, no database needed) ----------------------------


@pytest.fixture(scope="module")
def default_plan():
    return build_plan(today=TODAY)


def test_the_default_district_has_the_documented_shape(default_plan):
    kinds = Counter(o.kind for o in default_plan.orgs)
    holders = [o for o in default_plan.orgs if o.holds_members]
    assert kinds[OrgKind.DISTRICT_COMMITTEE] == 1
    assert kinds[OrgKind.STREET_WORKING_COMMITTEE] == 2
    assert kinds[OrgKind.COMMUNITY_COMMITTEE] == 8
    assert 38 <= len(holders) <= 42
    assert kinds[OrgKind.GRID_BRANCH] > len(holders) / 2  # mostly 网格党支部
    for kind in (OrgKind.GENERAL_BRANCH, OrgKind.JOINT_BRANCH, OrgKind.FUNCTIONAL_BRANCH, OrgKind.BUILDING_GROUP):
        assert kinds[kind] >= 1, kind
    assert {o.sector for o in holders} >= {"organ", "school", "soe", "non_public_enterprise", "office_building"}
    assert any(o.affinity for o in holders if o.kind == OrgKind.FUNCTIONAL_BRANCH)
    assert len(default_plan.members) == 1500


def test_the_default_roster_has_valid_consistent_identities(default_plan):
    regions = {code for code, _ in REGION_CODES} | {"510102", "510103"}
    numbers = [m.id_number for m in default_plan.members]
    assert len(set(numbers)) == len(numbers)
    for member in default_plan.members:
        parsed = parse_id_number(member.id_number, today=TODAY)
        assert parsed.birth_date == member.values["birth_date"]
        assert parsed.gender == member.values["gender"]
        assert member.id_number[:6] in regions
        assert check_phone(member.values["phone"]) is None


def test_the_default_roster_has_realistic_names_ages_and_dates(default_plan):
    members = [m.values for m in default_plan.members]
    ages = [age_on(v["birth_date"], TODAY) for v in members]
    assert min(ages) >= 18 and max(ages) <= 95
    assert sum(a >= 60 for a in ages) / len(ages) > 0.3  # communities hold many retired members
    lengths = Counter(len(v["name"]) for v in members)
    assert lengths[2] > 100 and lengths[3] > 700
    assert sum(v["name"][:2] in {"欧阳", "司马", "上官", "诸葛", "皇甫", "令狐"} for v in members) >= 2
    assert sum(v["ethnicity"] != "汉族" for v in members) >= 20
    probationary = [v for v in members if v["status"] == MemberStatus.PROBATIONARY]
    assert 0.03 <= len(probationary) / len(members) <= 0.08
    for v in probationary:
        assert v["full_date"] is None and (TODAY - v["join_date"]).days < 366
    for v in members:
        if v["status"] == MemberStatus.FULL:
            assert v["full_date"] == add_months(v["join_date"], 12)
    birthdays = [v for v in members if (v["join_date"].month, v["join_date"].day) == (TODAY.month, TODAY.day)]
    assert len(birthdays) >= 10  # political birthdays today


def test_the_default_roster_carries_every_flag(default_plan):
    members = [m.values for m in default_plan.members]
    assert all(v["employer"] for v in members if v["is_in_service"])
    assert sum(v["is_in_service"] for v in members) > 300
    assert all(v["whereabouts"] for v in members if v["is_flowing"]) and sum(v["is_flowing"] for v in members) >= 5
    assert sum(v["lost_contact_since"] is not None for v in members) >= 2
    assert sum(v["is_party_rep"] for v in members) >= 5
    assert sum(v["is_part_time_committee"] for v in members) >= 1
    aged = [v for v in members if v["is_exempt"] and v["exemption_reason"] == ExemptionReason.AGE]
    assert len(aged) >= 10 and all(age_on(v["birth_date"], TODAY) >= 80 for v in aged)


def test_community_members_live_in_their_community(default_plan):
    for member in default_plan.members:
        org = default_plan.by_code[member.org_code]
        if org.profile == "community":
            assert org.home is not None and org.home.community in member.values["address"]
            assert re.search(r"\d+栋\d+单元\d+室$", member.values["address"])


# --- the default size, timed --------------------------------------------------------------


@pytest.mark.django_db
def test_the_default_demo_district_is_complete():
    # when seeding the README's default district (its time is printed, not asserted: benchmarks are not tests)
    out = io.StringIO()
    call_command("seed_demo", today=TODAY, force=True, stdout=out)
    # then it is complete
    assert registry_members().count() == 1500
    assert Organisation.objects.count() == len(build_plan(today=TODAY).orgs)
    assert "演示数据已生成" in out.getvalue()
