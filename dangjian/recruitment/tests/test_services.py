"""The services: register, record steps with their materials, online review, the registry at 17 and 24."""

from __future__ import annotations

from datetime import date

import pytest

from dangjian.core.rules import RuleViolation
from dangjian.members.models import Member
from dangjian.recruitment import demo, services
from dangjian.recruitment.choices import MaterialKind, MaterialStatus, Outcome, Stage
from dangjian.recruitment.models import Candidate, DevelopmentStep, Material, WorkCalendar
from dangjian.recruitment.tests.factories import new_id, pdf, register, scope_of

pytestmark = pytest.mark.django_db
TODAY = date(2030, 1, 1)


def test_registering_an_applicant_records_step_1_and_the_application(world):
    candidate = register(world)
    assert candidate.stage == Stage.APPLICANT and candidate.next_step == 2
    assert candidate.steps.get().number == 1
    material = candidate.materials.get()
    assert material.kind == MaterialKind.APPLICATION and material.status == MaterialStatus.PENDING and material.file


def test_DEV_027_an_existing_member_cannot_become_an_applicant(world):
    """DEV-027: the blind index finds the member; nothing is saved."""
    member = world.a1_1_members[0]
    with pytest.raises(RuleViolation) as refused:
        register(world, id_number=member.id_number)
    assert "已经是党员的不能登记为入党申请人" in str(refused.value) and "DEV-027" in str(refused.value)
    assert "*" in str(refused.value)  # masked, never the plain number
    assert not Candidate.objects.exists()


def test_DEV_001_an_applicant_under_18_is_refused(world):
    """DEV-001: age from the ID number on the application date."""
    with pytest.raises(RuleViolation) as refused:
        register(world, id_number=new_id(date(2003, 1, 7)), applied=date(2021, 1, 6))
    assert refused.value.problems[0].rule_id == "DEV-001"
    assert not Candidate.objects.exists()
    register(world, id_number=new_id(date(2003, 1, 6)), applied=date(2021, 1, 6))


def test_one_dossier_per_person(world):
    number = new_id()
    register(world, id_number=number)
    with pytest.raises(RuleViolation, match="一人只能有一份档案"):
        register(world, id_number=number, org=world.branch_a1_2)


def test_a_step_waits_for_its_required_material_and_a_returned_one_blocks(world):
    candidate = register(world)
    charlie, bob = scope_of(world.charlie), scope_of(world.bob)
    # given no talk record uploaded yet
    with pytest.raises(RuleViolation, match="谈话记录”未上传"):
        services.record_step(
            actor=world.charlie, scope=charlie, candidate_id=candidate.pk, number=2, on=date(2020, 1, 10), values={}, today=TODAY
        )
    # when the superior returns the application
    application = candidate.materials.get()
    services.review_material(actor=world.bob, scope=bob, material_id=application.pk, approve=False, comment="缺少本人签名")
    services.add_material(
        actor=world.charlie, scope=charlie, candidate_id=candidate.pk, step_number=2, kind=MaterialKind.TALK_RECORD, upload=pdf("谈话.pdf")
    )
    # then the step is still refused, naming the returned document and the comment
    with pytest.raises(RuleViolation, match="入党申请书”被退回（缺少本人签名）"):
        services.record_step(
            actor=world.charlie, scope=charlie, candidate_id=candidate.pk, number=2, on=date(2020, 1, 10), values={}, today=TODAY
        )
    # when a new version is uploaded (the returned one stays in the dossier), the step is recorded
    services.add_material(
        actor=world.charlie, scope=charlie, candidate_id=candidate.pk, step_number=1, kind=MaterialKind.APPLICATION, upload=pdf()
    )
    step, warnings = services.record_step(
        actor=world.charlie,
        scope=charlie,
        candidate_id=candidate.pk,
        number=2,
        on=date(2020, 1, 10),
        values={"responsible": "组织委员"},
        today=TODAY,
    )
    assert step.number == 2 and warnings == []
    assert candidate.materials.filter(kind=MaterialKind.APPLICATION).count() == 2


def test_only_the_superior_reviews_and_a_second_review_is_refused(world):
    candidate = register(world)
    material = candidate.materials.get()
    with pytest.raises(RuleViolation, match="上级党委办理"):
        services.review_material(actor=world.charlie, scope=scope_of(world.charlie), material_id=material.pk, approve=True)
    services.review_material(actor=world.bob, scope=scope_of(world.bob), material_id=material.pk, approve=True)
    with pytest.raises(RuleViolation, match="已被审核"):
        services.review_material(actor=world.alice, scope=scope_of(world.alice), material_id=material.pk, approve=False, comment="再看看")
    assert Material.objects.get(pk=material.pk).status == MaterialStatus.APPROVED


def test_a_return_needs_a_comment(world):
    material = register(world).materials.get()
    with pytest.raises(RuleViolation, match="退回意见"):
        services.review_material(actor=world.bob, scope=scope_of(world.bob), material_id=material.pk, approve=False, comment="")


def test_the_branch_cannot_record_a_superior_step(world):
    candidate = demo.walk(register(world), until=3, today=TODAY)
    with pytest.raises(RuleViolation, match="上级党委办理"):
        services.record_step(
            actor=world.charlie,
            scope=scope_of(world.charlie),
            candidate_id=candidate.pk,
            number=4,
            on=date(2020, 4, 7),
            values={},
            today=TODAY,
        )


def test_a_double_submission_records_one_step(world):
    candidate = register(world)
    services.add_material(
        actor=None, scope=demo.SYSTEM, candidate_id=candidate.pk, step_number=2, kind=MaterialKind.TALK_RECORD, is_paper=True
    )
    args = {
        "actor": world.charlie,
        "scope": scope_of(world.charlie),
        "candidate_id": candidate.pk,
        "number": 2,
        "on": date(2020, 1, 10),
        "values": {},
        "today": TODAY,
    }
    services.record_step(**args)
    with pytest.raises(RuleViolation):
        services.record_step(**args)
    assert candidate.steps.filter(number=2).count() == 1


def test_DEV_008_moving_an_activist_keeps_the_cultivation_dates(world):
    """DEV-008: after a move to another branch the year as activist counts from the original date."""
    candidate = demo.walk(register(world), until=5, today=TODAY)
    listed = candidate.steps.get(number=3).on
    services.move_candidate(actor=world.bob, scope=scope_of(world.bob), candidate_id=candidate.pk, organisation=world.branch_a1_2)
    candidate.refresh_from_db()
    assert candidate.organisation == world.branch_a1_2 and candidate.steps.get(number=3).on == listed
    assert candidate.stage == Stage.ACTIVIST


def test_the_whole_path_from_application_to_full_member(world):
    """DEV-021 / DEV-025: step 17 creates the probationary member joining on the step-15 date; step 24
    makes them full on the probation end; the whole record stays with the person."""
    # given an application on 2020-01-06
    candidate = register(world, name="全程甲")
    # when every step is recorded (the superior's by an admin above the branch)
    demo.walk(candidate, until=16, today=TODAY)
    assert Candidate.objects.get(pk=candidate.pk).stage == Stage.TARGET
    assert not Member.objects.filter(name="全程甲").exists()
    demo.walk(candidate, until=17, today=TODAY)
    candidate.refresh_from_db()
    member = Member.objects.get(name="全程甲")
    dates = demo.plan_dates(date(2020, 1, 6))
    # then at approval the probationary record exists, joining on the branch-meeting date
    assert candidate.member == member and candidate.stage == Stage.PROBATIONARY
    assert member.status == "probationary" and member.join_date == dates[15] and member.organisation == world.branch_a1_1
    assert candidate.probation_end == date(dates[15].year + 1, dates[15].month, dates[15].day)
    demo.walk(candidate, until=25, today=TODAY)
    candidate.refresh_from_db()
    member.refresh_from_db()
    assert member.status == "full" and member.full_date == candidate.probation_end
    assert candidate.stage == Stage.FULL and candidate.next_step is None
    assert sorted(set(candidate.steps.values_list("number", flat=True))) == list(range(1, 26))
    assert member.events.count() == 2  # created, then made full


def test_DEV_023_extension_then_full_on_the_extended_end(world):
    """DEV-023 / DEV-025: an approved 6-month extension moves the full date by 6 months."""
    candidate = demo.walk(register(world), until=22, today=TODAY)
    end = candidate.probation_end
    bob = scope_of(world.bob)
    for kind in (MaterialKind.MINUTES,):
        services.add_material(actor=None, scope=demo.SYSTEM, candidate_id=candidate.pk, step_number=23, kind=kind, is_paper=True)
    values = demo.step_values(23, end, world.branch_a1_1) | {"outcome": Outcome.EXTEND, "extension_months": 6}
    services.record_step(
        actor=world.charlie, scope=scope_of(world.charlie), candidate_id=candidate.pk, number=23, on=end, values=values, today=TODAY
    )
    services.record_step(actor=world.bob, scope=bob, candidate_id=candidate.pk, number=24, on=end, values={}, today=TODAY)
    candidate.refresh_from_db()
    from dangjian.core.dates import add_months

    assert candidate.probation_end == add_months(end, 6) and candidate.next_step == 22
    assert candidate.member.status == "probationary"
    later = add_months(end, 6)
    services.add_material(
        actor=None, scope=demo.SYSTEM, candidate_id=candidate.pk, step_number=22, kind=MaterialKind.FULL_APPLICATION, is_paper=True
    )
    services.record_step(
        actor=world.charlie, scope=scope_of(world.charlie), candidate_id=candidate.pk, number=22, on=later, values={}, today=TODAY
    )
    services.add_material(
        actor=None, scope=demo.SYSTEM, candidate_id=candidate.pk, step_number=23, kind=MaterialKind.MINUTES, is_paper=True
    )
    services.record_step(
        actor=world.charlie,
        scope=scope_of(world.charlie),
        candidate_id=candidate.pk,
        number=23,
        on=later,
        values=demo.step_values(23, later, world.branch_a1_1),
        today=TODAY,
    )
    services.record_step(actor=world.bob, scope=bob, candidate_id=candidate.pk, number=24, on=later, values={}, today=TODAY)
    candidate.refresh_from_db()
    assert candidate.member.status == "full" and candidate.member.full_date == later


def test_stopping_an_applicant_ends_the_pipeline(world):
    candidate = register(world)
    services.stop_candidate(
        actor=world.charlie,
        scope=scope_of(world.charlie),
        candidate_id=candidate.pk,
        on=date(2020, 2, 1),
        reason="本人申请撤回",
        today=TODAY,
    )
    candidate.refresh_from_db()
    assert candidate.stage == Stage.STOPPED and candidate.next_step is None


def test_calendar_is_kept_by_the_district_admin_only(world):
    with pytest.raises(RuleViolation, match="区委组织部"):
        services.save_calendar(actor=world.bob, scope=scope_of(world.bob), year=2026, holidays="", workdays="")
    with pytest.raises(RuleViolation, match="本来就是周末"):
        services.save_calendar(actor=world.alice, scope=scope_of(world.alice), year=2026, holidays="2026-10-03", workdays="")
    with pytest.raises(RuleViolation, match="不是有效日期"):
        services.save_calendar(actor=world.alice, scope=scope_of(world.alice), year=2026, holidays="2026-13-01", workdays="")
    services.save_calendar(
        actor=world.alice, scope=scope_of(world.alice), year=2026, holidays="2026-10-01\n2026-10-02", workdays="2026-10-10"
    )
    assert WorkCalendar.objects.get(year=2026).workdays == ["2026-10-10"]


def test_a_refused_step_saves_nothing(world):
    candidate = demo.walk(register(world), until=5, today=TODAY)
    before = DevelopmentStep.objects.count()
    with pytest.raises(RuleViolation):
        services.record_step(
            actor=world.charlie,
            scope=scope_of(world.charlie),
            candidate_id=candidate.pk,
            number=7,
            on=date(2020, 6, 1),
            values={},
            today=TODAY,
        )
    assert DevelopmentStep.objects.count() == before


def test_DEV_023_an_approved_cancellation_takes_the_probationary_member_out_of_the_current_members(world):
    """DEV-023: 取消预备党员资格 approved at step 24 → the member record leaves (left_on = approval date,
    reason 取消预备党员资格); the record and its history stay."""
    from dangjian.members.choices import ExitReason
    from dangjian.members.services import AlreadyLeft, record_exit

    candidate = demo.walk(register(world), until=22, today=TODAY)
    end = candidate.probation_end
    services.add_material(
        actor=None, scope=demo.SYSTEM, candidate_id=candidate.pk, step_number=23, kind=MaterialKind.MINUTES, is_paper=True
    )
    values = demo.step_values(23, end, world.branch_a1_1) | {"outcome": Outcome.CANCEL}
    services.record_step(
        actor=world.charlie, scope=scope_of(world.charlie), candidate_id=candidate.pk, number=23, on=end, values=values, today=TODAY
    )
    services.record_step(actor=world.bob, scope=scope_of(world.bob), candidate_id=candidate.pk, number=24, on=end, values={}, today=TODAY)
    candidate.refresh_from_db()
    member = Member.objects.get(pk=candidate.member_id)
    assert member.left_on == end and member.exit_reason == ExitReason.PROBATION_CANCELLED
    assert member.status == "probationary"  # what they were when they left
    assert member.events.filter(after__exit_reason=ExitReason.PROBATION_CANCELLED).count() == 1
    # and a second exit of the same record is refused
    with pytest.raises(AlreadyLeft):
        record_exit(actor=world.alice, member_id=member.pk, on=end, reason=ExitReason.DECEASED, comment="重复")
