"""DEV-002, DEV-005, DEV-026 and DEV-028: the place of application, the district's optional wait,
dues from step 15, and district add-on versions that may only add or lengthen."""

from __future__ import annotations

from datetime import date

import pytest

from dangjian.core.rules import REGISTRY, RuleViolation, Severity
from dangjian.recruitment import rules
from dangjian.recruitment.choices import Decision
from dangjian.recruitment.rules import StepFact, StepInput, Workdays

NO_CALENDAR = Workdays({})
TODAY = date(2030, 1, 1)
BIRTH = date(1990, 3, 1)
WAIT_ARTICLE = "第三条"


@pytest.fixture
def district(monkeypatch):
    """Register district add-ons for one test only: the engine's lists are restored afterwards."""
    monkeypatch.setattr(rules, "DISTRICT_VERSIONS", [])
    monkeypatch.setattr(rules, "RULES", dict(rules.RULES))
    added: list[str] = []

    def register(version: rules.RuleVersion) -> rules.RuleVersion:
        rules.register_district_version(version)
        added.append(version.code)
        return version

    yield register
    for code in added:
        for check in rules.DEV_CHECKS:
            REGISTRY.pop(f"{check.id}:{code}", None)


def six_month_wait(base: rules.RuleVersion, **params) -> rules.RuleVersion:
    return rules.addon(
        code=f"{base.code}-D01",
        title="《XX区发展党员工作补充规定》（测试用）",
        base=base,
        effective_from=base.effective_from,
        params={"activist_wait_months": 6, **params},
        articles={"DEV-005": WAIT_ARTICLE},
    )


def step3(on: date, applied: date) -> rules.Verdict:
    history = [StepFact(number=1, on=applied), StepFact(number=2, on=applied)]
    return rules.check_step(StepInput(number=3, on=on, basis="党员推荐"), history, birth_date=BIRTH, today=TODAY, workdays=NO_CALENDAR)


# --- DEV-005 ------------------------------------------------------------------------------------------


def test_DEV_005_off_by_default_an_activist_the_day_after_applying_is_fine():
    """DEV-005: nationally (and with no district add-on) there is no wait from application to activist."""
    assert rules.version_on(date(2027, 1, 1)).param("activist_wait_months") is None
    assert rules.rule_for("DEV-005", rules.version_on(date(2027, 1, 1))) is None
    verdict = step3(date(2027, 1, 2), applied=date(2027, 1, 1))
    assert verdict.blocks == [] and verdict.warnings == []
    windows = rules.timeline([StepFact(1, date(2027, 1, 1)), StepFact(2, date(2027, 1, 2))], today=date(2027, 1, 5), workdays=NO_CALENDAR)
    assert all(w.rule_id != "DEV-005" for w in windows)


def test_DEV_005_six_month_wait_one_day_short_is_refused_with_the_numbers(district):
    """DEV-005: with the district's 6-month wait on, step 3 on 30 Jul after applying on 31 Jan is
    refused (5 months); 31 Jul passes. Month-end: 31 Aug + 6 months = 28 Feb."""
    district(six_month_wait(rules.VERSIONS[1]))
    short = step3(date(2027, 7, 30), applied=date(2027, 1, 31))
    assert [v.rule_id for v in short.blocks] == ["DEV-005"]
    message = short.blocks[0].message
    assert "需满6个月，该同志仅5个月" in message and "2027-07-31" in message and WAIT_ARTICLE in message and "DEV-005" in message
    assert step3(date(2027, 7, 31), applied=date(2027, 1, 31)).blocks == []
    assert [v.rule_id for v in step3(date(2028, 2, 27), applied=date(2027, 8, 31)).blocks] == ["DEV-005"]
    assert step3(date(2028, 2, 29), applied=date(2027, 8, 31)).blocks == []  # 2028 is a leap year: 29 Feb
    assert REGISTRY["DEV-005:2026-D01"].severity == Severity.BLOCK


def test_DEV_005_applies_by_the_step_date_and_shows_on_the_timeline(district):
    """DEV-005: the add-on to the 2026 version does not touch steps judged by the 2014 version; the
    timeline shows the earliest activist date while it is on."""
    district(six_month_wait(rules.VERSIONS[1]))
    assert step3(date(2026, 5, 10), applied=date(2026, 1, 5)).blocks == []  # 2014 version: no wait
    windows = rules.timeline([StepFact(1, date(2027, 1, 31)), StepFact(2, date(2027, 2, 1))], today=date(2027, 2, 2), workdays=NO_CALENDAR)
    wait = [w for w in windows if w.rule_id == "DEV-005"]
    assert wait and wait[0].step == 3 and wait[0].earliest == date(2027, 7, 31) and WAIT_ARTICLE in wait[0].source


# --- DEV-028 ------------------------------------------------------------------------------------------


def test_DEV_028_addon_that_lengthens_intervals_is_accepted_and_cites_both_texts(district):
    """DEV-028: a 7-working-day notice and 40 training hours (longer than nationally) load; national
    rules keep their national article, the add-on's own rule cites the district text."""
    version = district(six_month_wait(rules.VERSIONS[1], notice_working_days=7, training_min_hours=40, activist_min_months=12))
    assert rules.version_on(date(2027, 1, 1)) is version
    assert rules.version_on(date(2026, 5, 10)).code == "2014"
    assert rules.rule_for("DEV-009", version).source == rules.rule_for("DEV-009", rules.VERSIONS[1]).source
    assert "XX区" in rules.rule_for("DEV-005", version).source
    # a national addition that is still unverified stays a warning inside the add-on
    assert REGISTRY["DEV-010:2026-D01"].severity == Severity.WARN


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"activist_min_months": 11}, "短于全国规定的12"),
        ({"notice_working_days": 4}, "短于全国规定的5"),
        ({"training_min_hours": None}, "取消了集中培训学时"),
        ({"probation_months": 6}, "修改了全国规定的probation_months"),
    ],
)
def test_DEV_028_addon_with_a_shorter_interval_is_refused_on_load(district, params, expected):
    """DEV-028: an add-on whose interval is shorter than the national one (or drops it) is refused when
    registered, with a message naming the number; nothing is registered."""
    weaker = rules.addon(code="2026-D02", title="《XX区补充规定》", base=rules.VERSIONS[1], effective_from=date(2027, 1, 1), params=params)
    with pytest.raises(RuleViolation) as caught:
        district(weaker)
    assert caught.value.rule is rules.DEV_028 and expected in caught.value.message and "DEV-028" in caught.value.message
    assert rules.DISTRICT_VERSIONS == [] and "DEV-009:2026-D02" not in REGISTRY
    assert rules.version_on(date(2027, 6, 1)).code == "2026"


def test_DEV_028_addon_that_removes_a_step_or_a_rule_is_refused(district):
    """DEV-028: dropping step 9 (入党介绍人) or the rule DEV-013 is refused."""
    base = rules.VERSIONS[0]
    no_step = rules.RuleVersion(
        code="2014-D03",
        title="《XX区补充规定》",
        effective_from=None,
        verified=True,
        params=dict(base.params),
        articles=dict(base.articles),
        extends=base,
        steps=tuple(n for n in base.steps if n != 9),
    )
    with pytest.raises(RuleViolation, match="删去了第9步"):
        district(no_step)
    no_rule = rules.addon(code="2014-D04", title="《XX区补充规定》", base=base, effective_from=None)
    no_rule = rules.RuleVersion(**{**no_rule.__dict__, "articles": {k: v for k, v in base.articles.items() if k != "DEV-013"}})
    with pytest.raises(RuleViolation, match="删去了规则DEV-013"):
        district(no_rule)
    assert rules.DISTRICT_VERSIONS == []


def test_DEV_028_addon_must_name_a_national_version(district):
    """DEV-028: an add-on with no national base is refused."""
    orphan = rules.RuleVersion(code="X", title="《XX区补充规定》", effective_from=None, verified=True, params={}, articles={})
    with pytest.raises(RuleViolation, match="须注明所补充的全国版本"):
        district(orphan)


# --- DEV-026 ------------------------------------------------------------------------------------------


def test_DEV_026_dues_owed_from_the_month_of_step_15_including_the_31st():
    """DEV-026: once step 15 is recorded the timeline says 党费自YYYY年M月起缴纳 — the step-15 month,
    also for a meeting on the 31st; nothing before step 15, nothing for a failed vote."""
    before = [StepFact(n, date(2027, 1, 31)) for n in range(1, 15)]
    assert rules.dues_notice(before) is None
    assert rules.dues_notice([*before, StepFact(15, date(2027, 1, 31), decision=Decision.REFUSED)]) is None
    text = rules.dues_notice([*before, StepFact(15, date(2027, 1, 31))])
    assert text is not None and text.startswith("党费自2027年1月起缴纳") and "DEV-026" in text and "党费" in rules.DEV_026.source
    assert rules.dues_notice([*before, StepFact(15, date(2027, 12, 31))]).startswith("党费自2027年12月起缴纳")


# --- DEV-002 ------------------------------------------------------------------------------------------


def place(work_unit: str, *, unit_orgs=None, branch="城南社区第一党支部", path="00010001", names=("城南社区党委",)) -> str | None:
    return rules.check_application_place(
        work_unit=work_unit,
        branch_name=branch,
        branch_path=path,
        org_names=[branch, *names],
        unit_party_orgs=unit_orgs,
        applied_on=date(2027, 3, 1),
    )


def test_DEV_002_application_at_another_units_branch_is_a_warning():
    """DEV-002 (Warn): a registered unit whose party organisation is elsewhere warns and names it; its
    own branch (or one below it) does not warn; a unit without a party organisation may apply at home."""
    text = place("华光电子有限公司", unit_orgs=[("华光电子有限公司党支部", "00020003")])
    assert text is not None and "华光电子有限公司党支部" in text and "城南社区第一党支部" in text and "DEV-002" in text
    assert place("华光电子有限公司", unit_orgs=[("华光电子党委", "0001")]) is None  # receiving branch is under it
    assert place("华光电子有限公司", unit_orgs=[]) is None  # no party organisation: residence is right
    assert rules.rule_for("DEV-002", rules.version_on(date(2027, 3, 1))).severity == Severity.WARN


def test_DEV_002_unregistered_unit_compared_by_name():
    """DEV-002: an unregistered unit warns unless the receiving branch (or an organisation above it)
    carries its name; no unit given (residence application) never warns."""
    assert place("华光电子有限公司") is not None
    assert place("华光电子有限公司", branch="华光电子党支部") is None
    assert place("城南社区居委会") is None  # the community above the branch carries the name
    assert place("") is None and place("   ") is None
