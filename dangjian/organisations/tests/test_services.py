"""Writes to the organisation tree: create, update, move, dissolve, committee seats; each one audited."""

from datetime import date

import pytest
from django.apps import apps

from dangjian.audit.models import AuditAction, AuditEvent
from dangjian.core.rules import RuleViolation
from dangjian.core.scope import Scope, subtree_q
from dangjian.organisations import services
from dangjian.organisations.choices import CommitteePost, OrgKind, Sector
from dangjian.organisations.models import CommitteeSeat, Organisation, OrganisationEvent
from dangjian.organisations.selectors import direct_member_counts, tree_rows
from dangjian.organisations.tests.factories import make_org
from dangjian.organisations.tests.helpers import add_member

TODAY = date(2026, 11, 28)


def _create(world, parent, **values):
    base = {"name": "新组织", "code": "NEW1", "kind": OrgKind.GRID_BRANCH, "sector": Sector.COMMUNITY}
    return services.create_organisation(actor=world.alice, parent_id=parent.pk if parent else None, values={**base, **values}, today=TODAY)


def _assert_tree_sound():
    assert Organisation.objects.find_problems() == ([], [], [], [], [])


# --- create ---------------------------------------------------------------------------------------


def test_create_adds_a_child_under_the_parent_with_history_and_audit(world):
    # given the community A1
    # when a grid branch is created under it
    org = _create(world, world.community_a1, name="甲一社区第三网格党支部", code="BA13")
    # then it sits under A1, and both the org history and the audit log have a create event
    assert org.path.startswith(world.community_a1.path) and org.depth == world.community_a1.depth + 1
    event = OrganisationEvent.objects.get(organisation=org)
    assert event.action == AuditAction.CREATE and event.actor == world.alice
    assert event.before is None and event.after["code"] == "BA13" and event.after["parent_code"] == "CA1"
    audit = AuditEvent.objects.get(object_type="organisations.Organisation", object_id=str(org.pk))
    assert audit.action == AuditAction.CREATE and audit.org_path == org.path
    _assert_tree_sound()


def test_create_refuses_a_code_already_in_use_naming_the_code(world):
    # given branch A1-1 with code BA11
    # when another organisation is created with BA11 (even typed with spaces around it)
    with pytest.raises(RuleViolation) as exc:
        _create(world, world.community_b1, code=" BA11 ")
    # then a Chinese error names the code, on the code field, and nothing is written
    assert "组织代码“BA11”已被其他组织使用" in exc.value.message
    assert exc.value.field == "code"
    assert Organisation.objects.filter(code="BA11").count() == 1


def test_create_requires_name_code_and_kind(world):
    for missing in ("name", "code", "kind"):
        with pytest.raises(RuleViolation) as exc:
            _create(world, world.community_a1, **{missing: ""})
        assert exc.value.field == missing
        assert exc.value.message.startswith(("请填写", "请选择")) or "不能为空" in exc.value.message


def test_ORG_019_create_refuses_a_kind_that_cannot_sit_under_the_parent(world):
    # given grid branch A1-1
    # when a community committee is created under it
    with pytest.raises(RuleViolation) as exc:
        _create(world, world.branch_a1_1, kind=OrgKind.COMMUNITY_COMMITTEE)
    # then ORG-019 refuses, naming both kinds
    assert exc.value.rule_id == "ORG-019"
    assert "社区党委不能设在网格党支部之下" in exc.value.message
    assert not Organisation.objects.filter(code="NEW1").exists()


def test_ORG_019_a_building_group_goes_under_a_grid_branch(world):
    group = _create(world, world.branch_a1_1, kind=OrgKind.BUILDING_GROUP, name="1号楼党小组")
    assert group.depth == world.branch_a1_1.depth + 1


def test_create_refuses_an_unknown_kind_listing_the_kinds(world):
    with pytest.raises(RuleViolation) as exc:
        _create(world, world.community_a1, kind="committee")
    assert exc.value.field == "kind"
    assert "组织类别“committee”无效" in exc.value.message and "网格党支部" in exc.value.message


def test_create_refuses_a_second_root(world):
    with pytest.raises(RuleViolation, match="只能有一个顶层组织"):
        _create(world, None, kind=OrgKind.DISTRICT_COMMITTEE)


def test_create_refuses_a_dissolved_parent(world):
    empty = make_org(world.community_a1, "空支部", OrgKind.GRID_BRANCH)
    services.dissolve_organisation(actor=world.alice, organisation_id=empty.pk, comment="合并", on=TODAY)
    with pytest.raises(RuleViolation, match="已撤销"):
        _create(world, empty, kind=OrgKind.BUILDING_GROUP)


def test_create_refuses_a_founding_date_in_the_future(world):
    with pytest.raises(RuleViolation) as exc:
        _create(world, world.community_a1, founded_on=date(2026, 11, 29))
    assert exc.value.field == "founded_on"


def test_ORG_011_community_branch_term_defaults_to_5_years(world):
    # given a community grid branch with only a term start
    # when created
    org = _create(world, world.community_a1, term_started_on=date(2024, 3, 15))
    # then the term end is add_months(start, 60)
    assert org.term_ends_on == date(2029, 3, 15)


def test_ORG_011_school_branch_term_defaults_to_3_years(world):
    # given a school party committee and a branch of the school field under it
    school = _create(world, world.district, name="区第一中学党委", code="SCH", kind=OrgKind.BASIC_COMMITTEE, sector=Sector.SCHOOL)
    # when the branch is created with only a term start
    branch = _create(
        world, school, name="教工第一党支部", code="SCH1", kind=OrgKind.BRANCH, sector=Sector.SCHOOL, term_started_on=date(2024, 9, 1)
    )
    # then the term end is add_months(start, 36)
    assert branch.term_ends_on == date(2027, 9, 1)


def test_ORG_013_create_refuses_a_term_end_more_than_one_year_off(world):
    # given a community branch term starting 2024-03-15 (legal end 2029-03-15)
    # when the term end is given as one year and one day later
    with pytest.raises(RuleViolation) as exc:
        _create(world, world.community_a1, term_started_on=date(2024, 3, 15), term_ends_on=date(2030, 3, 16))
    # then ORG-013 refuses
    assert exc.value.rule_id == "ORG-013"


def test_ORG_013_create_accepts_a_term_end_exactly_one_year_off(world):
    org = _create(world, world.community_a1, term_started_on=date(2024, 3, 15), term_ends_on=date(2030, 3, 15))
    assert org.term_ends_on == date(2030, 3, 15)


def test_create_refuses_a_term_ending_before_it_starts(world):
    with pytest.raises(RuleViolation, match="任期届满日期应晚于任期开始日期"):
        _create(world, world.community_a1, term_started_on=date(2024, 3, 15), term_ends_on=date(2024, 3, 15))


# --- update ---------------------------------------------------------------------------------------


def test_update_writes_only_the_changed_fields_before_and_after(world):
    # given branch A1-1
    org = world.branch_a1_1
    old_name = org.name
    # when its name and address change (and its code is sent unchanged)
    services.update_organisation(
        actor=world.alice,
        organisation_id=org.pk,
        values={"name": "和平社区第一网格党支部", "address": "和平里3号", "code": "BA11"},
        today=TODAY,
    )
    # then one history event holds exactly those two fields, before and after
    event = OrganisationEvent.objects.get(organisation=org, action=AuditAction.UPDATE)
    assert event.before == {"name": old_name, "address": ""}
    assert event.after == {"name": "和平社区第一网格党支部", "address": "和平里3号"}
    assert event.actor == world.alice
    # and the audit log has the same before/after
    audit = AuditEvent.objects.get(action=AuditAction.UPDATE, object_id=str(org.pk))
    assert (audit.before, audit.after) == (event.before, event.after)


def test_update_without_a_change_writes_no_history(world):
    services.update_organisation(
        actor=world.alice, organisation_id=world.branch_a1_1.pk, values={"name": world.branch_a1_1.name}, today=TODAY
    )
    assert not OrganisationEvent.objects.filter(organisation=world.branch_a1_1).exists()
    assert not AuditEvent.objects.filter(action=AuditAction.UPDATE).exists()


def test_update_refuses_a_code_of_another_organisation(world):
    with pytest.raises(RuleViolation, match="组织代码“BA12”已被其他组织使用"):
        services.update_organisation(actor=world.alice, organisation_id=world.branch_a1_1.pk, values={"code": "BA12"}, today=TODAY)


def test_update_never_touches_the_tree_fields(world):
    # given community A1's tree fields
    before = Organisation.objects.values("path", "depth", "numchild").get(pk=world.community_a1.pk)
    # when it is renamed
    services.update_organisation(actor=world.alice, organisation_id=world.community_a1.pk, values={"name": "改名社区党委"}, today=TODAY)
    # then path, depth and numchild are as they were
    assert Organisation.objects.values("path", "depth", "numchild").get(pk=world.community_a1.pk) == before
    _assert_tree_sound()


def test_ORG_017_a_branch_holding_members_cannot_become_a_general_branch(world):
    with pytest.raises(RuleViolation) as exc:
        services.update_organisation(
            actor=world.alice, organisation_id=world.branch_a1_1.pk, values={"kind": OrgKind.GENERAL_BRANCH}, today=TODAY
        )
    assert exc.value.rule_id == "ORG-017"
    assert Organisation.objects.get(pk=world.branch_a1_1.pk).kind == OrgKind.GRID_BRANCH


def test_ORG_019_a_kind_change_must_fit_its_parent_and_children(world):
    # a community committee with branches below cannot become a grid branch (its children would sit under a branch)
    with pytest.raises(RuleViolation) as exc:
        services.update_organisation(
            actor=world.alice, organisation_id=world.community_a1.pk, values={"kind": OrgKind.GRID_BRANCH}, today=TODAY
        )
    assert exc.value.rule_id == "ORG-019"


def test_ORG_013_update_of_the_term_is_checked_but_a_rename_is_not(world):
    # given a branch whose (imported) term end is far off the legal one
    org = world.branch_a1_2
    Organisation.objects.filter(pk=org.pk).update(term_started_on=date(2020, 1, 1), term_ends_on=date(2030, 1, 1))
    # when only the name changes, the old term is left alone
    services.update_organisation(actor=world.alice, organisation_id=org.pk, values={"name": "改名支部"}, today=TODAY)
    # but changing the term end keeps ORG-013
    with pytest.raises(RuleViolation, match="ORG-013"):
        services.update_organisation(actor=world.alice, organisation_id=org.pk, values={"term_ends_on": date(2029, 1, 1)}, today=TODAY)
    services.update_organisation(actor=world.alice, organisation_id=org.pk, values={"term_ends_on": date(2026, 1, 1)}, today=TODAY)


def test_ORG_011_update_of_the_term_start_recomputes_the_end(world):
    org = services.update_organisation(
        actor=world.alice, organisation_id=world.branch_a1_1.pk, values={"term_started_on": date(2025, 7, 1)}, today=TODAY
    )
    assert org.term_ends_on == date(2030, 7, 1)


def test_update_of_a_dissolved_organisation_is_refused(world):
    empty = make_org(world.community_a1, "空支部", OrgKind.GRID_BRANCH)
    services.dissolve_organisation(actor=world.alice, organisation_id=empty.pk, comment="合并", on=TODAY)
    with pytest.raises(RuleViolation, match="已撤销，不能修改"):
        services.update_organisation(actor=world.alice, organisation_id=empty.pk, values={"name": "x"}, today=TODAY)


# --- move -----------------------------------------------------------------------------------------


def test_move_takes_the_whole_subtree_and_its_members(world):
    # given community A1 (two branches, seven members) under street A
    community = world.community_a1
    old_path = community.path
    descendants = list(Organisation.objects.filter(path__startswith=old_path).exclude(pk=community.pk).values_list("pk", flat=True))
    # when it moves under street B
    moved = services.move_organisation(actor=world.alice, organisation_id=community.pk, new_parent_id=world.street_b.pk, comment="区划调整")
    # then it and every descendant now carry paths under street B
    street_b = Organisation.objects.get(pk=world.street_b.pk)
    assert moved.path.startswith(street_b.path) and moved.depth == street_b.depth + 1
    for org in Organisation.objects.filter(pk__in=descendants):
        assert org.path.startswith(moved.path) and not org.path.startswith(old_path)
        assert org.depth == len(org.path) // Organisation.steplen
    # and the members follow: they are in street B's subtree, none is left in street A's
    member_model = apps.get_model("members", "Member")
    member_ids = {m.pk for m in world.a1_1_members + world.a1_2_members}
    in_b = set(member_model.objects.filter(subtree_q([street_b.path], prefix="organisation__")).values_list("pk", flat=True))
    assert member_ids <= in_b
    assert not member_model.objects.filter(subtree_q([world.street_a.path], prefix="organisation__")).exists()
    rows = {o.pk: o for o in tree_rows(Scope(user_id=1, roles={"org_admin": (street_b.path,)}))}
    assert rows[world.branch_a1_1.pk].member_total == 4
    assert direct_member_counts([world.branch_a1_2.pk]) == {world.branch_a1_2.pk: (3, 3)}
    # and numchild of both parents is right, with history of the move
    assert Organisation.objects.get(pk=world.street_a.pk).numchild == 0
    assert street_b.numchild == 2
    event = OrganisationEvent.objects.get(organisation=community, action=AuditAction.MOVE)
    assert (event.before, event.after, event.comment) == ({"parent_code": "SA"}, {"parent_code": "SB"}, "区划调整")
    assert AuditEvent.objects.filter(action=AuditAction.MOVE, object_id=str(community.pk)).count() == 1
    _assert_tree_sound()


def test_move_refuses_a_target_inside_its_own_subtree(world):
    # given street A and its grid branch A1-1
    # when street A is moved under A1-1, or under itself
    for target in (world.branch_a1_1, world.street_a):
        with pytest.raises(RuleViolation) as exc:
            services.move_organisation(actor=world.alice, organisation_id=world.street_a.pk, new_parent_id=target.pk)
        # then it is refused and nothing moved
        assert "不能把“甲街道党工委”移动到它自己或其下级组织之下" in exc.value.message
    assert Organisation.objects.get(pk=world.street_a.pk).path == world.street_a.path
    _assert_tree_sound()


def test_ORG_019_move_refuses_a_target_of_the_wrong_kind(world):
    # when community A1 is moved under grid branch B1-1
    with pytest.raises(RuleViolation) as exc:
        services.move_organisation(actor=world.alice, organisation_id=world.community_a1.pk, new_parent_id=world.branch_b1_1.pk)
    # then ORG-019 refuses
    assert exc.value.rule_id == "ORG-019"
    assert Organisation.objects.get(pk=world.community_a1.pk).path == world.community_a1.path


def test_move_refuses_the_root_and_the_current_parent(world):
    with pytest.raises(RuleViolation, match="顶层组织"):
        services.move_organisation(actor=world.alice, organisation_id=world.district.pk, new_parent_id=world.street_a.pk)
    with pytest.raises(RuleViolation, match="已在"):
        services.move_organisation(actor=world.alice, organisation_id=world.community_a1.pk, new_parent_id=world.street_a.pk)


def test_move_of_a_branch_between_communities_keeps_siblings_sound(world):
    # given a second community under street A with one branch
    community_a2 = make_org(world.street_a, "甲二社区党委", OrgKind.COMMUNITY_COMMITTEE, code="CA2")
    make_org(community_a2, "甲二第一支部", OrgKind.GRID_BRANCH, code="BA21")
    # when branch A1-2 moves to it, then back
    services.move_organisation(actor=world.alice, organisation_id=world.branch_a1_2.pk, new_parent_id=community_a2.pk)
    services.move_organisation(actor=world.alice, organisation_id=world.branch_a1_2.pk, new_parent_id=world.community_a1.pk)
    # then the tree is sound and the branch is under A1 again
    assert Organisation.objects.get(pk=world.branch_a1_2.pk).path.startswith(world.community_a1.path)
    _assert_tree_sound()


# --- dissolve -------------------------------------------------------------------------------------


def test_dissolve_is_refused_while_members_are_held(world):
    with pytest.raises(RuleViolation) as exc:
        services.dissolve_organisation(actor=world.alice, organisation_id=world.branch_a1_1.pk, comment="合并", on=TODAY)
    assert "仍有4名党员" in exc.value.message
    assert Organisation.objects.get(pk=world.branch_a1_1.pk).dissolved_on is None


def test_dissolve_is_refused_while_live_children_exist_and_allowed_after(world):
    # given an empty community with one empty branch
    community = make_org(world.street_b, "乙二社区党委", OrgKind.COMMUNITY_COMMITTEE, code="CB2")
    branch = make_org(community, "乙二第一支部", OrgKind.GRID_BRANCH, code="BB21")
    # when the community is dissolved first
    with pytest.raises(RuleViolation, match="还有1个未撤销的下级组织"):
        services.dissolve_organisation(actor=world.alice, organisation_id=community.pk, comment="合并", on=TODAY)
    # then after its branch is dissolved, the community can be
    services.dissolve_organisation(actor=world.alice, organisation_id=branch.pk, comment="合并", on=TODAY)
    dissolved = services.dissolve_organisation(actor=world.alice, organisation_id=community.pk, comment="区委批复〔2026〕5号", on=TODAY)
    # and the record and its history are kept
    assert dissolved.dissolved_on == TODAY
    assert Organisation.objects.filter(pk__in=[community.pk, branch.pk], dissolved_on=TODAY).count() == 2
    event = OrganisationEvent.objects.get(organisation=community, action=AuditAction.DISSOLVE)
    assert event.after == {"dissolved_on": "2026-11-28"} and event.comment == "区委批复〔2026〕5号"
    assert AuditEvent.objects.filter(action=AuditAction.DISSOLVE).count() == 2


def test_dissolve_requires_a_reason_and_happens_once(world):
    empty = make_org(world.community_a1, "空支部", OrgKind.GRID_BRANCH)
    with pytest.raises(RuleViolation, match="请填写撤销原因"):
        services.dissolve_organisation(actor=world.alice, organisation_id=empty.pk, comment="  ", on=TODAY)
    services.dissolve_organisation(actor=world.alice, organisation_id=empty.pk, comment="合并", on=TODAY)
    with pytest.raises(RuleViolation, match="已于2026-11-28撤销"):
        services.dissolve_organisation(actor=world.alice, organisation_id=empty.pk, comment="合并", on=TODAY)


def test_the_root_cannot_be_dissolved(world):
    with pytest.raises(RuleViolation, match="顶层组织（区委）不能撤销"):
        services.dissolve_organisation(actor=world.alice, organisation_id=world.district.pk, comment="x", on=TODAY)


# --- committee seats ------------------------------------------------------------------------------


def test_a_new_secretary_ends_the_previous_one(world):
    # given member 1 of A1-1 as secretary since 2024
    first, second = world.a1_1_members[:2]
    old = services.appoint_seat(
        actor=world.alice,
        organisation_id=world.branch_a1_1.pk,
        post=CommitteePost.SECRETARY,
        member_id=first.pk,
        started_on=date(2024, 1, 1),
    )
    # when member 2 is appointed secretary
    new = services.appoint_seat(
        actor=world.alice, organisation_id=world.branch_a1_1.pk, post=CommitteePost.SECRETARY, member_id=second.pk, started_on=TODAY
    )
    # then the first seat ended that day and there is one current secretary
    old.refresh_from_db()
    assert old.ended_on == TODAY
    current = CommitteeSeat.objects.filter(organisation=world.branch_a1_1, post=CommitteePost.SECRETARY, ended_on__isnull=True)
    assert list(current) == [new]
    # and the history names who left and who came
    event = OrganisationEvent.objects.filter(organisation=world.branch_a1_1).order_by("id").last()
    assert event.before == {"committee": [first.name]}
    assert event.after == {"committee": f"书记：{second.name}"}


def test_a_secretary_cannot_be_replaced_with_an_earlier_start(world):
    first, second = world.a1_1_members[:2]
    services.appoint_seat(actor=world.alice, organisation_id=world.branch_a1_1.pk, post="secretary", member_id=first.pk, started_on=TODAY)
    with pytest.raises(RuleViolation, match="早于现任书记"):
        services.appoint_seat(
            actor=world.alice, organisation_id=world.branch_a1_1.pk, post="secretary", member_id=second.pk, started_on=date(2026, 1, 1)
        )


def test_ORG_021_a_member_from_outside_sits_only_as_part_time(world):
    # given a member of branch B1-1
    outsider = world.b1_1_members[0]
    # when appointed to community A1's committee as a full member
    with pytest.raises(RuleViolation) as exc:
        services.appoint_seat(
            actor=world.alice, organisation_id=world.community_a1.pk, post=CommitteePost.COMMITTEE_MEMBER, member_id=outsider.pk
        )
    # then ORG-021 refuses; as a part-time member it is accepted
    assert exc.value.rule_id == "ORG-021"
    assert outsider.name in exc.value.message
    seat = services.appoint_seat(
        actor=world.alice,
        organisation_id=world.community_a1.pk,
        post=CommitteePost.COMMITTEE_MEMBER,
        member_id=outsider.pk,
        is_part_time=True,
    )
    assert seat.is_part_time


def test_ORG_021_a_named_person_without_a_member_record_sits_only_as_part_time(world):
    # given a person from a resident unit, named but not in the registry
    with pytest.raises(RuleViolation) as exc:
        services.appoint_seat(
            actor=world.alice, organisation_id=world.community_a1.pk, post=CommitteePost.COMMITTEE_MEMBER, person_name="王主任"
        )
    assert exc.value.rule_id == "ORG-021"
    seat = services.appoint_seat(
        actor=world.alice,
        organisation_id=world.community_a1.pk,
        post=CommitteePost.COMMITTEE_MEMBER,
        person_name=" 王主任 ",
        is_part_time=True,
    )
    assert (seat.holder_name, seat.member_id, seat.is_part_time) == ("王主任", None, True)


def test_a_member_of_a_branch_below_sits_on_the_community_committee_in_full(world):
    member = world.a1_2_members[0]
    seat = services.appoint_seat(
        actor=world.alice, organisation_id=world.community_a1.pk, post=CommitteePost.SECRETARY, member_id=member.pk
    )
    assert seat.member == member and not seat.is_part_time


def test_ORG_012_a_member_of_the_branch_leads_its_party_group(world):
    """ORG-012: a group holds no 组织关系; its leader is a member of the branch above."""
    # given a 党小组 under branch A1-1, whose members belong to the branch, not the group
    group = make_org(world.branch_a1_1, "第一党小组", OrgKind.PARTY_GROUP)
    member = world.a1_1_members[0]
    # when a member of A1-1 is appointed group leader
    seat = services.appoint_seat(actor=world.alice, organisation_id=group.pk, post=CommitteePost.GROUP_LEADER, member_id=member.pk)
    # then it is a full (not part-time) seat; a member of the neighbouring branch is only part-time
    assert seat.member == member and not seat.is_part_time
    with pytest.raises(RuleViolation) as exc:
        services.appoint_seat(
            actor=world.alice, organisation_id=group.pk, post=CommitteePost.GROUP_LEADER, member_id=world.a1_2_members[0].pk
        )
    assert exc.value.rule_id == "ORG-021"


def test_appoint_needs_a_holder_and_a_known_post(world):
    with pytest.raises(RuleViolation, match="请选择党员或填写姓名"):
        services.appoint_seat(actor=world.alice, organisation_id=world.branch_a1_1.pk, post=CommitteePost.SECRETARY)
    with pytest.raises(RuleViolation, match="职务“chairman”无效"):
        services.appoint_seat(actor=world.alice, organisation_id=world.branch_a1_1.pk, post="chairman", person_name="x", is_part_time=True)


def test_end_seat_records_the_end_once(world):
    member = world.a1_1_members[0]
    seat = services.appoint_seat(
        actor=world.alice,
        organisation_id=world.branch_a1_1.pk,
        post=CommitteePost.PUBLICITY_MEMBER,
        member_id=member.pk,
        started_on=date(2025, 1, 1),
    )
    with pytest.raises(RuleViolation, match="离任日期不能早于任职日期"):
        services.end_seat(actor=world.alice, seat_id=seat.pk, on=date(2024, 12, 31))
    ended = services.end_seat(actor=world.alice, seat_id=seat.pk, on=TODAY)
    assert ended.ended_on == TODAY
    with pytest.raises(RuleViolation, match="已于2026-11-28离任"):
        services.end_seat(actor=world.alice, seat_id=seat.pk, on=TODAY)
    event = OrganisationEvent.objects.filter(organisation=world.branch_a1_1, comment="委员离任").get()
    assert event.before == {"committee": f"宣传委员：{member.name}"}


def test_ORG_023_approval_authority_is_kept_in_the_history(world):
    # given community A1 without 审批预备党员权限 (ORG-023)
    assert not world.community_a1.has_approval_authority
    # when the district grants it
    services.update_organisation(
        actor=world.alice, organisation_id=world.community_a1.pk, values={"has_approval_authority": True}, today=TODAY
    )
    # then the flag is set and the change is in the history
    event = OrganisationEvent.objects.get(organisation=world.community_a1)
    assert (event.before, event.after) == ({"has_approval_authority": False}, {"has_approval_authority": True})


def test_members_created_in_a_moved_subtree_count_where_they_are(world):
    # a member added after a move lands in the moved branch and counts there
    services.move_organisation(actor=world.alice, organisation_id=world.community_a1.pk, new_parent_id=world.street_b.pk)
    add_member(Organisation.objects.get(pk=world.branch_a1_1.pk))
    assert direct_member_counts([world.branch_a1_1.pk])[world.branch_a1_1.pk][0] == 5
