"""Rule machinery: IDs, registry, messages naming rule and basis; calendar arithmetic of DOMAIN.md §1."""

from datetime import date

import pytest

from dangjian.core import rules as core_rules
from dangjian.core.dates import add_months, age_on
from dangjian.core.rules import Finding, Rule, RuleViolation, Severity


@pytest.fixture
def registry(monkeypatch):
    """An empty registry for rules declared inside a test, so the real catalogue stays clean."""
    fresh: dict[str, Rule] = {}
    monkeypatch.setattr(core_rules, "REGISTRY", fresh)
    return fresh


def test_rule_message_names_its_basis_and_id(registry):
    # given a rule with a parameter
    rule = Rule("ORG-001", source="《支部工作条例》第四条", message="正式党员{full}人，少于{minimum}人", params={"minimum": 3})
    # when formatted with context
    text = rule.format(full=2)
    # then the message has the numbers, the basis and the rule ID at the end
    assert text == "正式党员2人，少于3人（依据《支部工作条例》第四条，ORG-001）"


def test_rule_violation_and_finding_carry_the_rule(registry):
    rule = Rule("ORG-010", source="条例", message="未配备书记", severity=Severity.FLAG)
    violation = rule.violation(field="secretary")
    finding = rule.finding()
    assert isinstance(violation, RuleViolation)
    assert (violation.rule_id, violation.field) == ("ORG-010", "secretary")
    assert str(violation) == violation.message == "未配备书记（依据条例，ORG-010）"
    assert isinstance(finding, Finding)
    assert (finding.rule_id, finding.severity) == ("ORG-010", "flag")


def test_a_violation_without_rule_has_an_empty_rule_id():
    assert RuleViolation(None, "请填写组织名称。").rule_id == ""


def test_rules_register_under_their_id_and_variant(registry):
    # given one DOMAIN.md rule with two checks
    due = Rule("ORG-014", source="s", message="将届满")
    overdue = Rule("ORG-014", variant="overdue", source="s", message="已逾期")
    # then both are in the catalogue, apart
    assert registry == {"ORG-014": due, "ORG-014:overdue": overdue}
    assert overdue.key == "ORG-014:overdue"


def test_a_second_declaration_with_other_content_is_refused(registry):
    # given a rule in the catalogue
    Rule("DEV-001", source="党章", message="未满18周岁")
    # when the same id is declared again with another message
    # then it is refused instead of silently replacing the first
    with pytest.raises(ValueError, match="declared twice"):
        Rule("DEV-001", source="党章", message="另一条消息")
    # and an identical re-declaration (a module reload) is harmless
    Rule("DEV-001", source="党章", message="未满18周岁")


@pytest.mark.parametrize("bad_id", ["ORG-1", "org-001", "ORG001", "ORGANISATION-001", "ORG-0001", "O-001"])
def test_a_rule_id_that_is_not_a_domain_id_is_refused(registry, bad_id):
    with pytest.raises(ValueError, match=r"not a DOMAIN\.md id"):
        Rule(bad_id, source="s", message="m")


def test_rules_hash_by_identity_so_findings_can_be_collected_in_sets(registry):
    # given a rule and two equal findings of it
    rule = Rule("ORG-005", source="s", message="超大支部")
    # then they collapse in a set (hashing a rule must not fail on its params dict)
    assert len({rule.finding(), rule.finding()}) == 1
    assert {rule: 1}[rule] == 1


# --- dates (DOMAIN.md §1) --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),  # clamped to month end
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2026, 11, 28), 6, date(2027, 5, 28)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),  # year roll-over
        (date(2026, 3, 31), -1, date(2026, 2, 28)),  # backwards
        (date(2026, 1, 15), -13, date(2024, 12, 15)),
        (date(2021, 7, 1), 60, date(2026, 7, 1)),
    ],
)
def test_add_months_counts_calendar_months_clamped_to_month_end(day, months, expected):
    assert add_months(day, months) == expected


def test_age_on_counts_completed_years_with_the_birthday_itself_counting():
    born = date(2000, 5, 20)
    assert age_on(born, date(2018, 5, 19)) == 17
    assert age_on(born, date(2018, 5, 20)) == 18
    # born on 29 February: the birthday in a common year is 1 March
    leap = date(2004, 2, 29)
    assert age_on(leap, date(2022, 2, 28)) == 17
    assert age_on(leap, date(2022, 3, 1)) == 18
