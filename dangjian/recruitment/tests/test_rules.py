"""The rule engine at its boundaries: one day short fails, exactly enough passes, per version (DOMAIN.md §1)."""

from __future__ import annotations

from datetime import date

import pytest

from dangjian.core.rules import REGISTRY, RuleViolation, Severity
from dangjian.recruitment import rules
from dangjian.recruitment.choices import BallotMethod, Decision, Outcome, Stage
from dangjian.recruitment.rules import PersonFact, StepFact, StepInput, Votes, Workdays

NO_CALENDAR = Workdays({})
TODAY = date(2030, 1, 1)
BIRTH = date(1990, 3, 1)
FULL = PersonFact(name="张伟", status="full", join_date=date(2000, 1, 1), full_date=date(2001, 1, 1))
PASSING = Votes(entitled=21, present=11, yes=11, no=0, abstain=0, method=BallotMethod.SECRET)


def history(dates: dict[int, date], **extra: dict) -> list[StepFact]:
    """Steps given as {number: date}; step 23 defaults to 按期转正."""
    out = []
    for number, on in dates.items():
        kwargs = dict(extra.get(number, {}))
        if number == 23:
            kwargs.setdefault("outcome", Outcome.ON_TIME)
        out.append(StepFact(number=number, on=on, **kwargs))
    return out


def upto(last: int, start: date = date(2020, 1, 6), *, meeting: date | None = None, full_meeting: date | None = None) -> dict[int, date]:
    """Steps 1..last (without the optional 6 and 21) on dates that satisfy every interval.

    Built around the 支部大会 date (step 15): application 2 years before, activist 14 months
    before, target steps on the meeting day, approval a day later, 转正 at probation end.
    """
    from datetime import timedelta

    from dangjian.core.dates import add_months

    meeting = meeting or add_months(start, 26)
    end = add_months(meeting, 12)
    full_meeting = full_meeting or end
    dates = {1: add_months(meeting, -24), 2: add_months(meeting, -24), 3: add_months(meeting, -14)}
    dates.update({4: dates[3], 5: dates[3]})
    dates.update(dict.fromkeys(range(7, 16), meeting))
    dates.update(dict.fromkeys(range(16, 21), meeting + timedelta(days=1)))
    dates.update({22: min(full_meeting, end - timedelta(days=10)), 23: full_meeting, 24: full_meeting, 25: full_meeting})
    return {n: d for n, d in dates.items() if n <= last}


def check(new: StepInput, dates: dict[int, date], **kwargs) -> rules.Verdict:
    return rules.check_step(new, history(dates), birth_date=BIRTH, today=TODAY, workdays=kwargs.pop("workdays", NO_CALENDAR), **kwargs)


def rule_ids(verdict: rules.Verdict) -> list[str]:
    return [v.rule_id for v in verdict.blocks]


# --- versions -----------------------------------------------------------------------------------------


def test_version_is_chosen_by_the_date_of_the_act():
    assert rules.version_on(date(2026, 5, 10)).code == "2014"
    assert rules.version_on(date(2026, 5, 11)).code == "2026"
    assert rules.version_on(date(2010, 1, 1)).code == "2014"


def test_every_versioned_rule_is_registered_with_its_article():
    rule = REGISTRY["DEV-009:2014"]
    assert "第十三条" in rule.source and "2014" in rule.source
    assert "DEV-010:2014" not in REGISTRY  # the notice does not exist before 2026
    assert REGISTRY["DEV-010:2026"].severity == Severity.WARN  # unverified: warns, never blocks


# --- DEV-001 / DEV-027 --------------------------------------------------------------------------------


def test_DEV_001_applicant_must_be_18_on_the_application_date():
    """DEV-001: one day before the 18th birthday is refused, the birthday itself passes."""
    with pytest.raises(RuleViolation) as refused:
        rules.check_age(birth_date=date(2008, 3, 1), applied_on=date(2026, 2, 28))
    assert refused.value.rule_id == "DEV-001"
    assert "17岁" in refused.value.message and "DEV-001" in refused.value.message
    rules.check_age(birth_date=date(2008, 3, 1), applied_on=date(2026, 3, 1))


def test_DEV_001_leap_day_birthday_turns_18_on_1_march():
    """DEV-001: born 29 Feb 2008, 18 on 1 Mar 2026 (28 Feb is one day short)."""
    with pytest.raises(RuleViolation):
        rules.check_age(birth_date=date(2008, 2, 29), applied_on=date(2026, 2, 28))
    rules.check_age(birth_date=date(2008, 2, 29), applied_on=date(2026, 3, 1))


def test_DEV_027_step_in_the_future_is_refused():
    """DEV-027: no future dates."""
    verdict = check(StepInput(number=2, on=date(2030, 1, 2)), {1: date(2029, 12, 20)})
    assert "DEV-027" in rule_ids(verdict)
    assert "晚于今天" in verdict.blocks[0].message


def test_DEV_027_step_dated_before_the_previous_step_is_refused():
    """DEV-027: a step dated before the previous one is refused; the same day passes."""
    verdict = check(StepInput(number=2, on=date(2020, 1, 5)), {1: date(2020, 1, 6)})
    assert rule_ids(verdict) == ["DEV-027"]
    assert "早于上一步" in verdict.blocks[0].message
    assert check(StepInput(number=2, on=date(2020, 1, 6)), {1: date(2020, 1, 6)}).blocks == []


def test_DEV_027_steps_must_follow_the_sequence():
    """DEV-027: step 4 cannot come before step 3."""
    verdict = check(StepInput(number=4, on=upto(2)[2]), upto(2))
    assert rule_ids(verdict) == ["DEV-027"]
    assert "下一步应为第3步" in verdict.blocks[0].message


# --- DEV-003 talk within one month ---------------------------------------------------------------------


def test_DEV_003_talk_one_month_after_application_is_on_time_and_a_day_later_is_flagged():
    """DEV-003: 31 Jan + 1 month = 28 Feb (month end clamped); 29 Feb... 1 Mar is late (flag, saved)."""
    on_time = check(StepInput(number=2, on=date(2023, 2, 28)), {1: date(2023, 1, 31)})
    assert on_time.blocks == [] and on_time.warnings == []
    late = check(StepInput(number=2, on=date(2023, 3, 1)), {1: date(2023, 1, 31)})
    assert late.blocks == []
    assert "DEV-003" in late.warnings[0] and "2023-02-28" in late.warnings[0]


def test_DEV_003_leap_year_month_end():
    """DEV-003: in a leap year 31 Jan + 1 month = 29 Feb."""
    assert check(StepInput(number=2, on=date(2024, 2, 29)), {1: date(2024, 1, 31)}).warnings == []
    assert check(StepInput(number=2, on=date(2024, 3, 1)), {1: date(2024, 1, 31)}).warnings


def test_DEV_003_under_the_2026_version():
    """DEV-003@2026: the same interval, cited from the 2026 version."""
    late = check(StepInput(number=2, on=date(2026, 7, 1)), {1: date(2026, 5, 31)})
    assert "2026年5月修订" in late.warnings[0]


# --- DEV-004 / DEV-006 / DEV-011 -------------------------------------------------------------------------


def test_DEV_004_activist_needs_the_recommendation_recorded():
    """DEV-004: 确定入党积极分子 without 推荐/推优 is refused."""
    dates = upto(2)
    assert rule_ids(check(StepInput(number=3, on=dates[2]), dates)) == ["DEV-004"]
    assert check(StepInput(number=3, on=dates[2], basis="党员推荐3人"), dates).blocks == []


def test_DEV_006_contacts_are_one_or_two_full_members_on_the_day():
    """DEV-006: none or three contacts refused; a probationary contact refused; one full member passes."""
    dates = upto(4, start=date(2017, 12, 1))
    on = date(2020, 2, 1)
    assert rule_ids(check(StepInput(number=5, on=on, people=[]), dates)) == ["DEV-006"]
    assert rule_ids(check(StepInput(number=5, on=on, people=[FULL, FULL, FULL]), dates)) == ["DEV-006"]
    probationary = PersonFact(name="王芳", status="probationary", join_date=date(2019, 6, 1), full_date=None)
    refused = check(StepInput(number=5, on=on, people=[probationary]), dates)
    assert "王芳在2020-02-01不是正式党员" in refused.blocks[0].message
    # full since the day after: one day short
    tomorrow = PersonFact(name="李娜", status="full", join_date=date(2019, 2, 2), full_date=date(2020, 2, 2))
    assert rule_ids(check(StepInput(number=5, on=on, people=[tomorrow]), dates)) == ["DEV-006"]
    today_full = PersonFact(name="李娜", status="full", join_date=date(2019, 2, 1), full_date=date(2020, 2, 1))
    assert check(StepInput(number=5, on=on, people=[today_full]), dates).blocks == []


def test_DEV_011_two_full_introducers():
    """DEV-011: exactly two full members on the step-9 date."""
    dates = upto(8)
    on = dates[8]
    assert rule_ids(check(StepInput(number=9, on=on, people=[FULL]), dates)) == ["DEV-011"]
    assert check(StepInput(number=9, on=on, people=[FULL, FULL]), dates).blocks == []


# --- DEV-009 one year as activist ---------------------------------------------------------------------


def test_DEV_009_one_day_short_of_a_year_is_refused_with_the_months():
    """DEV-009@2014: 2019-03-01 → 2020-02-29 is 11 months, refused; 2020-03-01 passes."""
    dates = upto(5, start=date(2019, 2, 1))
    dates[3] = date(2019, 3, 1)
    dates[4] = dates[5] = date(2019, 3, 1)
    verdict = check(StepInput(number=7, on=date(2020, 2, 29)), dates)
    assert rule_ids(verdict) == ["DEV-009"]
    message = verdict.blocks[0].message
    assert "从列为入党积极分子到确定为发展对象需满1年，该同志仅11个月" in message
    assert "第十三条" in message and "DEV-009" in message
    assert check(StepInput(number=7, on=date(2020, 3, 1)), dates).blocks == []


def test_DEV_009_leap_day_activist_counts_to_28_february():
    """DEV-009: listed 29 Feb 2024 → one year is 28 Feb 2025 (clamped), 27 Feb is short."""
    dates = {1: date(2024, 1, 2), 2: date(2024, 1, 10), 3: date(2024, 2, 29), 4: date(2024, 3, 1), 5: date(2024, 3, 1)}
    assert rule_ids(check(StepInput(number=7, on=date(2025, 2, 27)), dates)) == ["DEV-009"]
    assert check(StepInput(number=7, on=date(2025, 2, 28)), dates).blocks == []


def test_DEV_009_under_the_2026_version_cites_the_2026_text():
    """DEV-009@2026: the same year, the 2026 article; the notice (DEV-010) is then required too."""
    dates = {1: date(2025, 4, 1), 2: date(2025, 4, 10), 3: date(2025, 6, 1), 4: date(2025, 6, 2), 5: date(2025, 6, 2)}
    verdict = check(StepInput(number=7, on=date(2026, 5, 31)), dates)
    assert rule_ids(verdict) == ["DEV-009"]
    assert "2026年5月修订" in verdict.blocks[0].message
    passed = check(StepInput(number=7, on=date(2026, 6, 1)), dates)
    assert passed.blocks == []


# --- DEV-010 public notice (2026, working days) -------------------------------------------------------


CAL_2026 = Workdays(
    {
        2026: (
            {date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 5), date(2026, 10, 6), date(2026, 10, 7)},
            {date(2026, 9, 27), date(2026, 10, 10)},  # 调休 working Sunday and Saturday
        )
    }
)


def _target_dates() -> dict[int, date]:
    return {1: date(2025, 1, 2), 2: date(2025, 1, 10), 3: date(2025, 3, 1), 4: date(2025, 3, 2), 5: date(2025, 3, 2)}


def test_DEV_010_notice_of_5_working_days_passes_and_4_warns():
    """DEV-010@2026: Mon 2026-06-01..Fri 06-05 is 5 working days (passes); ..Thu 06-04 is 4 (warns, not blocks)."""
    enough = check(StepInput(number=7, on=date(2026, 6, 8), notice_from=date(2026, 6, 1), notice_to=date(2026, 6, 5)), _target_dates())
    assert enough.blocks == [] and enough.warnings == []
    assert enough.provisional  # no 2026 calendar: 暂算
    short = check(StepInput(number=7, on=date(2026, 6, 8), notice_from=date(2026, 6, 1), notice_to=date(2026, 6, 4)), _target_dates())
    assert short.blocks == []
    assert "仅4个工作日" in short.warnings[0] and "DEV-010" in short.warnings[0] and "暂算" in short.warnings[0]


def test_DEV_010_counts_working_days_with_the_holiday_calendar_and_tiaoxiu():
    """DEV-010: 国庆 2026 (10-1, 10-2, 10-5..10-7 off, Sat 10-10 worked as 调休): a notice from 10-1
    to Mon 10-12 has 4 working days (10-8, 10-9, 10-10, 10-12) and warns; to Tue 10-13 it has 5 and passes."""
    short = check(
        StepInput(number=7, on=date(2026, 10, 13), notice_from=date(2026, 10, 1), notice_to=date(2026, 10, 12)),
        _target_dates(),
        workdays=CAL_2026,
    )
    assert not short.provisional
    assert "仅4个工作日" in short.warnings[0] and "暂算" not in short.warnings[0]
    enough = check(
        StepInput(number=7, on=date(2026, 10, 13), notice_from=date(2026, 10, 1), notice_to=date(2026, 10, 13)),
        _target_dates(),
        workdays=CAL_2026,
    )
    assert enough.warnings == [] and not enough.provisional


def test_DEV_010_is_not_required_under_the_2014_version():
    """DEV-010: before 2026-05-11 no notice is asked for."""
    verdict = check(StepInput(number=7, on=date(2026, 5, 10)), _target_dates())
    assert verdict.blocks == [] and verdict.warnings == []


def test_working_days_with_tiaoxiu_weekend():
    cal = CAL_2026
    assert cal.is_working(date(2026, 9, 27)) == (True, False)  # Sunday worked (调休)
    assert cal.is_working(date(2026, 10, 1)) == (False, False)  # holiday
    assert cal.is_working(date(2026, 9, 26)) == (False, False)  # ordinary Saturday
    assert cal.is_working(date(2027, 1, 4)) == (True, True)  # 2027 has no calendar: provisional
    assert cal.add(date(2026, 9, 30), 2) == (date(2026, 10, 8), False)


# --- DEV-012 / DEV-013 / DEV-014 -----------------------------------------------------------------------


def test_DEV_012_no_committee_review_without_a_passed_political_review():
    """DEV-012: a failed political review (不合格) does not open step 12."""
    dates = upto(9)
    facts = [*history(dates), StepFact(number=10, on=dates[9], decision=Decision.REFUSED)]
    verdict = rules.check_step(StepInput(number=12, on=dates[9]), facts, birth_date=BIRTH, today=TODAY, workdays=NO_CALENDAR)
    assert rule_ids(verdict) == ["DEV-012"]


def test_DEV_013_training_of_3_days_or_24_hours():
    """DEV-013: 2 days and 23 hours refused; 3 days passes; 24 hours passes; step 12 without training refused."""
    dates = upto(10)
    on = dates[10]
    assert rule_ids(check(StepInput(number=11, on=on, training_days=2, training_hours=23), dates)) == ["DEV-013"]
    assert check(StepInput(number=11, on=on, training_days=3), dates).blocks == []
    assert check(StepInput(number=11, on=on, training_hours=24), dates).blocks == []
    assert rule_ids(check(StepInput(number=12, on=on), dates)) == ["DEV-013"]


def test_DEV_014_application_form_only_after_the_pre_review():
    """DEV-014: 入党志愿书 (step 14) before the superior's pre-review (step 13) is refused."""
    dates = upto(12)
    assert rule_ids(check(StepInput(number=14, on=dates[12]), dates)) == ["DEV-014"]


# --- DEV-015 / DEV-016 / DEV-017 -------------------------------------------------------------------------


def test_DEV_016_quorum_more_than_half_present():
    """DEV-016: 21 entitled, 10 present cannot pass; 11 present and 11 yes passes."""
    dates = upto(14)
    on = dates[14]
    verdict = check(StepInput(number=15, on=on, votes=Votes(entitled=21, present=10, yes=10, no=0, abstain=0)), dates)
    assert rule_ids(verdict) == ["DEV-016"]
    assert "实到10人未超过应到会有表决权人数21人的半数" in verdict.blocks[0].message
    assert check(StepInput(number=15, on=on, votes=PASSING), dates).blocks == []


def test_DEV_016_majority_of_entitled_not_of_present():
    """DEV-016: 21 entitled, 20 present, 10 yes (a majority of those present) still fails; written opinions count."""
    dates = upto(14)
    on = dates[14]
    verdict = check(StepInput(number=15, on=on, votes=Votes(entitled=21, present=20, yes=10, no=5, abstain=5)), dates)
    assert rule_ids(verdict) == ["DEV-016"] and "赞成10票" in verdict.blocks[0].message
    with_written = Votes(entitled=21, present=12, yes=11, no=1, abstain=0, written=1)
    assert check(StepInput(number=15, on=on, votes=with_written), dates).blocks == []


def test_DEV_016_a_failed_vote_can_be_recorded_as_not_passed():
    """DEV-016: the same failing figures recorded as 未通过 are kept; the person does not move on."""
    dates = upto(14)
    failing = Votes(entitled=21, present=10, yes=3, no=7, abstain=0)
    verdict = check(StepInput(number=15, on=dates[14], decision=Decision.REFUSED, votes=failing), dates)
    assert verdict.blocks == []
    state = rules.progress([*history(dates), StepFact(number=15, on=dates[14], decision=Decision.REFUSED)])
    assert state.expected == 15


def test_DEV_016_impossible_figures_are_refused():
    """DEV-016: more present than entitled, more votes than voters."""
    dates = upto(14)
    on = dates[14]
    assert rule_ids(check(StepInput(number=15, on=on, votes=Votes(entitled=5, present=6, yes=6, no=0, abstain=0)), dates)) == ["DEV-016"]
    assert rule_ids(check(StepInput(number=15, on=on, votes=Votes(entitled=9, present=6, yes=6, no=1, abstain=0)), dates)) == ["DEV-016"]
    assert rule_ids(check(StepInput(number=15, on=on, votes=Votes()), dates)) == ["DEV-016"]


def test_DEV_015_branch_meeting_within_a_month_of_pre_review_from_2026():
    """DEV-015@2026: pre-review 2026-05-31, meeting 06-30 passes, 07-01 warns; no such limit in 2014."""
    dates = upto(14, meeting=date(2026, 5, 31))
    ok = check(StepInput(number=15, on=date(2026, 6, 30), votes=PASSING), dates)
    assert ok.warnings == []
    late = check(StepInput(number=15, on=date(2026, 7, 1), votes=PASSING), dates)
    assert late.blocks == [] and "DEV-015" in late.warnings[0]
    old = upto(14)
    assert check(StepInput(number=15, on=date(2022, 12, 30), votes=Votes(**{**PASSING.__dict__, "method": ""})), old).warnings == []


def test_DEV_017_secret_ballot_from_2026():
    """DEV-017@2026: a show of hands warns; 2014 says nothing."""
    dates = upto(14, meeting=date(2026, 5, 20))
    on = date(2026, 6, 1)
    hands = Votes(**{**PASSING.__dict__, "method": BallotMethod.SHOW_OF_HANDS})
    verdict = check(StepInput(number=15, on=on, votes=hands), dates)
    assert verdict.blocks == [] and any("DEV-017" in w for w in verdict.warnings)
    assert not check(StepInput(number=15, on=on, votes=PASSING), dates).warnings


# --- DEV-018 / DEV-019 / DEV-020 -------------------------------------------------------------------------


def test_DEV_018_superior_talk_names_the_talker():
    """DEV-018: step 16 without the talker is refused."""
    dates = upto(15)
    assert rule_ids(check(StepInput(number=16, on=dates[15]), dates)) == ["DEV-018"]
    assert check(StepInput(number=16, on=dates[15], responsible="组织员 李明"), dates).blocks == []


def test_DEV_019_approval_flag_at_3_months_refused_after_6():
    """DEV-019: meeting 2021-01-31; 04-30 no flag, 05-01 flagged; 07-31 allowed, 08-01 refused."""
    dates = upto(16, meeting=date(2021, 1, 31))
    assert check(StepInput(number=17, on=date(2021, 4, 30)), dates).warnings == []
    flagged = check(StepInput(number=17, on=date(2021, 5, 1)), dates)
    assert flagged.blocks == [] and "DEV-019" in flagged.warnings[0]
    assert check(StepInput(number=17, on=date(2021, 7, 31)), dates).blocks == []
    refused = check(StepInput(number=17, on=date(2021, 8, 1)), dates)
    assert rule_ids(refused) == ["DEV-019"] and "区委组织部" in refused.blocks[0].message


def test_DEV_020_oath_within_a_month_of_approval_from_2026():
    """DEV-020@2026: approval 2026-06-15, oath 07-15 passes, 07-16 reminds."""
    dates = upto(19, meeting=date(2026, 6, 14))
    assert check(StepInput(number=20, on=date(2026, 7, 15)), dates).warnings == []
    assert "DEV-020" in check(StepInput(number=20, on=date(2026, 7, 16)), dates).warnings[0]


# --- probation: DEV-021 .. DEV-025 -------------------------------------------------------------------------


def test_DEV_021_probation_runs_a_year_from_the_branch_meeting():
    """DEV-021: meeting 2020-02-29 (leap day) → probation ends 2021-02-28, whatever the approval date."""
    dates = upto(17, meeting=date(2020, 2, 29))
    dates[16] = dates[17] = date(2020, 4, 20)
    state = rules.progress(history(dates))
    assert state.probation_end == date(2021, 2, 28)
    assert rules.join_date_for(history(dates)) == date(2020, 2, 29)


def test_DEV_022_timeline_reminds_a_month_before_probation_ends():
    """DEV-022: the 转正申请 window opens 30 days before the end."""
    dates = upto(20)
    windows = rules.timeline(history(dates), today=dates[20], workdays=NO_CALENDAR)
    remind = next(w for w in windows if w.rule_id == "DEV-022")
    end = rules.progress(history(dates)).probation_end
    assert remind.latest == end and (end - remind.earliest).days == 30


def test_DEV_023_full_discussion_not_before_probation_end():
    """DEV-023: the 转正 meeting one day before the end is refused; on the end day it passes."""
    dates = upto(22)
    end = rules.progress(history(dates)).probation_end
    from datetime import timedelta

    early = check(StepInput(number=23, on=end - timedelta(days=1), outcome=Outcome.ON_TIME, votes=PASSING), dates)
    assert rule_ids(early) == ["DEV-023"]
    assert check(StepInput(number=23, on=end, outcome=Outcome.ON_TIME, votes=PASSING), dates).blocks == []


def test_DEV_023_extension_between_6_and_12_months_once():
    """DEV-023: 5 and 13 months refused, 6 and 12 pass; the new end is old end + extension; only once."""
    dates = upto(22)
    end = rules.progress(history(dates)).probation_end
    for months, ok in ((5, False), (6, True), (12, True), (13, False)):
        verdict = check(StepInput(number=23, on=end, outcome=Outcome.EXTEND, extension_months=months, votes=PASSING), dates)
        assert (verdict.blocks == []) is ok, months
    facts = [*history(dates), StepFact(23, end, outcome=Outcome.EXTEND, extension_months=6), StepFact(24, end)]
    state = rules.progress(facts)
    from dangjian.core.dates import add_months

    assert state.probation_end == add_months(end, 6)
    assert state.expected == 22 and state.stage == Stage.PROBATIONARY
    facts += [StepFact(22, add_months(end, 5))]
    again = rules.check_step(
        StepInput(number=23, on=add_months(end, 6), outcome=Outcome.EXTEND, extension_months=6, votes=PASSING),
        facts,
        birth_date=BIRTH,
        today=TODAY,
        workdays=NO_CALENDAR,
    )
    assert rule_ids(again) == ["DEV-023"] and "只能延长一次" in again.blocks[0].message


def test_DEV_024_approval_of_full_membership_within_3_months():
    """DEV-024: meeting 2021-03-31 → 06-30 on time, 07-01 flagged."""
    dates = upto(23, meeting=date(2020, 3, 31), full_meeting=date(2021, 3, 31))
    assert check(StepInput(number=24, on=date(2021, 6, 30)), dates).warnings == []
    assert "DEV-024" in check(StepInput(number=24, on=date(2021, 7, 1)), dates).warnings[0]


def test_DEV_025_full_stage_after_approval_and_cancellation_ends_the_pipeline():
    """DEV-025: after 24 the person is full; a cancellation approved ends the pipeline."""
    dates = upto(24)
    assert rules.progress(history(dates)).stage == Stage.FULL
    cancelled = [StepFact(f.number, f.on, outcome=Outcome.CANCEL) if f.number == 23 else f for f in history(dates)]
    state = rules.progress(cancelled)
    assert state.stage == Stage.CANCELLED and state.expected is None


def test_DEV_030_archive_needs_every_material_approved():
    """DEV-030: step 25 with an unapproved material is refused."""
    dates = upto(24)
    verdict = check(StepInput(number=25, on=dates[24]), dates, material_problems=["第1步“入党申请书”尚未审核通过"])
    assert rule_ids(verdict) == ["DEV-030"]
    assert check(StepInput(number=25, on=dates[24]), dates).blocks == []


def test_DEV_007_timeline_asks_for_a_review_every_6_months():
    """DEV-007: activist listed 2020-01-31 → review due 2020-07-31; overdue the day after."""
    dates = {1: date(2019, 10, 1), 2: date(2019, 10, 8), 3: date(2020, 1, 31), 4: date(2020, 2, 1), 5: date(2020, 2, 1)}
    windows = rules.timeline(history(dates), today=date(2020, 7, 31), workdays=NO_CALENDAR)
    review = next(w for w in windows if w.rule_id == "DEV-007")
    assert review.latest == date(2020, 7, 31) and review.state == "due_soon"
    later = rules.timeline(history(dates), today=date(2020, 8, 1), workdays=NO_CALENDAR)
    assert next(w for w in later if w.rule_id == "DEV-007").state == "overdue"


def test_timeline_marks_a_result_depending_on_a_year_without_calendar_as_provisional():
    dates = {1: date(2025, 10, 1), 2: date(2025, 10, 8), 3: date(2026, 1, 31), 4: date(2026, 2, 1), 5: date(2026, 2, 1)}
    windows = rules.timeline(history(dates), today=date(2026, 6, 1), workdays=NO_CALENDAR)
    notice = next(w for w in windows if w.rule_id == "DEV-010")
    assert notice.provisional
    full_calendar = Workdays({2026: (set(), set()), 2027: (set(), set())})
    notice = next(w for w in rules.timeline(history(dates), today=date(2026, 6, 1), workdays=full_calendar) if w.rule_id == "DEV-010")
    assert not notice.provisional


def test_full_months_counts_completed_calendar_months():
    assert rules.full_months(date(2023, 1, 31), date(2023, 2, 28)) == 1
    assert rules.full_months(date(2023, 1, 31), date(2023, 2, 27)) == 0
    assert rules.full_months(date(2019, 3, 1), date(2020, 2, 29)) == 11


def test_DEV_009_a_future_version_is_data_in_one_place(monkeypatch):
    """DEV-009: adding a version (here a made-up 2031 text with 18 months as activist) changes the
    check for steps dated from its effective date, and only those, without touching a check."""
    from dangjian.core.rules import REGISTRY as registry

    future = rules.RuleVersion(
        code="2031",
        title=f"{rules.INSTRUMENT}（2031年修订，测试用）",
        effective_from=date(2031, 1, 1),
        verified=True,
        params={**rules._PARAMS_2026, "activist_min_months": 18},
        articles=dict(rules._ARTICLES_2026),
    )
    monkeypatch.setattr(rules, "VERSIONS", (*rules.VERSIONS, future))
    monkeypatch.setattr(rules, "RULES", dict(rules.RULES))
    rules.register_version(future)
    try:
        dates = {1: date(2029, 1, 2), 2: date(2029, 1, 9), 3: date(2030, 1, 31), 4: date(2030, 2, 1), 5: date(2030, 2, 1)}
        today = date(2032, 1, 1)
        before = rules.check_step(
            StepInput(number=7, on=date(2030, 12, 31)), history(dates), birth_date=BIRTH, today=today, workdays=NO_CALENDAR
        )
        assert rule_ids(before) == ["DEV-009"] and "需满1年" in before.blocks[0].message
        under_2031 = rules.check_step(
            StepInput(number=7, on=date(2031, 7, 30)), history(dates), birth_date=BIRTH, today=today, workdays=NO_CALENDAR
        )
        assert rule_ids(under_2031) == ["DEV-009"]
        assert "需满18个月，该同志仅17个月" in under_2031.blocks[0].message and "2031年修订" in under_2031.blocks[0].message
        enough = StepInput(number=7, on=date(2031, 7, 31), notice_from=date(2031, 7, 21), notice_to=date(2031, 7, 30))
        assert rules.check_step(enough, history(dates), birth_date=BIRTH, today=today, workdays=NO_CALENDAR).blocks == []
    finally:
        for check in rules.DEV_CHECKS:
            registry.pop(f"{check.id}:2031", None)


def test_DEV_010_step_8_is_a_consent_from_2026_and_a_filing_before():
    """DEV-010@2026: the superior's step 8 reads 同意 from 2026-05-11, 备案 before."""
    assert rules.step_label(8, date(2026, 5, 10)) == "上级党委备案（发展对象）"
    assert rules.step_label(8, date(2026, 5, 11)) == "上级党委审查同意（发展对象）"


@pytest.mark.parametrize(("meeting", "version_text"), [(date(2021, 1, 31), "2014"), (date(2027, 1, 31), "2026年5月修订")])
def test_DEV_016_DEV_019_DEV_023_DEV_024_hold_under_each_version(meeting, version_text):
    """DEV-016, DEV-019, DEV-023, DEV-024 at their boundaries for the 2014 and the 2026 version, each
    message citing the version in force on the step's date (month-end arithmetic from 31 January)."""
    from datetime import timedelta

    from dangjian.core.dates import add_months

    # DEV-016: 21 entitled, 11 yes passes, 10 fails
    dates = upto(14, meeting=meeting)
    failing = check(StepInput(number=15, on=meeting, votes=Votes(entitled=21, present=11, yes=10, no=1, abstain=0)), dates)
    assert rule_ids(failing) == ["DEV-016"] and version_text in failing.blocks[0].message
    assert check(StepInput(number=15, on=meeting, votes=PASSING), dates).blocks == []
    # DEV-019: 31 Jan + 6 months = 31 Jul allowed, 1 Aug refused; 30 Apr (3 months) without flag
    dates = upto(16, meeting=meeting)
    assert check(StepInput(number=17, on=add_months(meeting, 3)), dates).warnings == []
    assert check(StepInput(number=17, on=add_months(meeting, 6)), dates).blocks == []
    late = check(StepInput(number=17, on=add_months(meeting, 6) + timedelta(days=1)), dates)
    assert rule_ids(late) == ["DEV-019"] and version_text in late.blocks[0].message
    # DEV-023: probation ends 31 Jan next year; a day earlier is refused
    dates = upto(22, meeting=meeting)
    end = add_months(meeting, 12)
    early = check(StepInput(number=23, on=end - timedelta(days=1), outcome=Outcome.ON_TIME, votes=PASSING), dates)
    assert rule_ids(early) == ["DEV-023"] and version_text in early.blocks[0].message
    # DEV-024: approval 3 months after the 转正 meeting (31 Jan → 30 Apr) on time, 1 May flagged
    dates = upto(23, meeting=meeting)
    assert check(StepInput(number=24, on=add_months(end, 3)), dates).warnings == []
    flagged = check(StepInput(number=24, on=add_months(end, 3) + timedelta(days=1)), dates)
    assert "DEV-024" in flagged.warnings[0] and version_text in flagged.warnings[0]
