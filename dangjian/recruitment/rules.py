"""The development rule engine (DOMAIN.md §5, DEV rules): versions as data, checks as pure functions.

How it fits together (docs/recruitment.md explains how to add a rule or a version):

- ``VERSIONS`` holds every version of 《中国共产党发展党员工作细则》 as data: effective dates, whether
  the text has been verified, the numbers (``params``) and the article each rule comes from
  (``articles``). A check never hard-codes a number; it asks the version in force on the date of
  the act (``version_on(step date)``), so back-filled steps meet the rules of their time.
- ``DEV_CHECKS`` holds the message and severity of each DEV rule. For every version that has an
  article for a rule, a ``core.rules.Rule`` is registered as ``DEV-009:2014``, ``DEV-009:2026`` …
  (``rule_for(id, version)``), so every message names the rule, the version's article and the numbers.
- A rule of an unverified version (``verified=False``) warns and never blocks (DOMAIN.md §1).
- DEV-001, DEV-021 and DEV-027 are declared in members.rules (the registry shares them); they are
  raised here with the step's own wording and the same rule object.
- ``check_step`` judges one new step against the person's history; ``timeline`` computes every next
  date window with its article. Both are pure: the services fetch the data and write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from dangjian.core.dates import add_months, age_on
from dangjian.core.rules import Rule, RuleViolation, Severity
from dangjian.members.rules import DEV_001, DEV_021, DEV_027

from .choices import BallotMethod, Decision, MaterialKind, Outcome, Stage

# --- versions --------------------------------------------------------------------------------------

INSTRUMENT = "《中国共产党发展党员工作细则》"


@dataclass(frozen=True)
class RuleVersion:
    """One version of the 细则: when it applies, its numbers, and the article of each rule."""

    code: str
    title: str
    effective_from: date | None  # None: applies to every step before the next version
    verified: bool
    params: dict[str, Any]
    articles: dict[str, str]
    note: str = ""
    # a district add-on (DEV-028) names the national version it adds to; national versions: None
    extends: RuleVersion | None = None
    steps: tuple[int, ...] = tuple(range(1, 26))  # the official steps this version has

    def param(self, name: str) -> Any:
        return self.params.get(name)

    def source(self, rule_id: str) -> str:
        base = self.extends
        if base is not None and base.articles.get(rule_id) == self.articles[rule_id]:
            return base.source(rule_id)  # a national rule an add-on keeps is cited from the national text
        return f"{self.title}{self.articles[rule_id]}"


_PARAMS_2014: dict[str, Any] = {
    "min_age": 18,  # DEV-001
    "activist_wait_months": None,  # DEV-005: district option, off nationally
    "talk_within_months": 1,  # DEV-003
    "contacts_min": 1,  # DEV-006
    "contacts_max": 2,
    "review_every_months": 6,  # DEV-007
    "activist_min_months": 12,  # DEV-009
    "notice_working_days": None,  # DEV-010: no public notice before listing in 2014
    "superior_consent": False,  # DEV-010: step 8 is a filing (备案)
    "introducers": 2,  # DEV-011
    "training_min_days": 3,  # DEV-013
    "training_min_hours": 24,
    "meeting_within_months": None,  # DEV-015: no limit in 2014 (DOMAIN.md §11.1 asks)
    "vote_quorum_ratio": (1, 2),  # DEV-016: more than half present, more than half of entitled for
    "secret_ballot": False,  # DEV-017
    "approval_flag_months": 3,  # DEV-019
    "approval_max_months": 6,
    "oath_within_months": None,  # DEV-020
    "probation_months": 12,  # DEV-021
    "full_remind_days": 30,  # DEV-022
    "extension_min_months": 6,  # DEV-023
    "extension_max_months": 12,
    "full_approval_months": 3,  # DEV-024
}
_ARTICLES_2014 = {
    "DEV-001": "第五条",
    "DEV-002": "第五条、第六条",
    "DEV-003": "第七条",
    "DEV-004": "第八条",
    "DEV-006": "第九条",
    "DEV-007": "第十一条",
    "DEV-008": "第十二条",
    "DEV-009": "第十三条",
    "DEV-011": "第十四条",
    "DEV-012": "第十五条、第十六条",
    "DEV-013": "第十七条",
    "DEV-014": "第十八条",
    "DEV-016": "第十九条至第二十二条",
    "DEV-018": "第四章",
    "DEV-019": "第二十五条",
    "DEV-021": "第三十一条",
    "DEV-022": "第三十二条",
    "DEV-023": "第三十二条",
    "DEV-024": "第三十三条",
    "DEV-025": "第三十四条",
    "DEV-030": "第五章",
}

_PARAMS_2026: dict[str, Any] = {
    **_PARAMS_2014,
    "notice_working_days": 5,  # DEV-010@2026
    "superior_consent": True,
    "meeting_within_months": 1,  # DEV-015@2026
    "secret_ballot": True,  # DEV-017@2026
    "oath_within_months": 1,  # DEV-020@2026
}
_ARTICLES_2026 = {**_ARTICLES_2014, "DEV-010": "第十三条", "DEV-015": "第十九条", "DEV-017": "第十九条", "DEV-020": "第二十九条"}

VERSIONS: tuple[RuleVersion, ...] = (
    RuleVersion(
        code="2014",
        title=f"{INSTRUMENT}（中办发〔2014〕34号）",
        effective_from=None,
        verified=True,
        params=_PARAMS_2014,
        articles=_ARTICLES_2014,
        note="2014年印发；在2026年修订版施行前的步骤均适用",
    ),
    RuleVersion(
        code="2026",
        title=f"{INSTRUMENT}（2026年5月修订）",
        effective_from=date(2026, 5, 11),
        verified=False,  # DOMAIN.md §11.1: text not seen; its additions warn, never block
        params=_PARAMS_2026,
        articles=_ARTICLES_2026,
        note="暂定2026-05-11起施行，条文尚未核实：新增要求只提示、不拦截",
    ),
)


def version_on(day: date) -> RuleVersion:
    """The version in force on ``day`` (the date of the act, never today or the entry date): the
    national version, or the district add-on to it in force that day (DEV-028)."""
    current = VERSIONS[0]
    for version in VERSIONS:  # in order of effective date
        if version.effective_from is None or version.effective_from <= day:
            current = version
    addon = None
    for version in DISTRICT_VERSIONS:
        if version.extends is current and (version.effective_from is None or version.effective_from <= day):
            if addon is None or (addon.effective_from or date.min) <= (version.effective_from or date.min):
                addon = version
    return addon or current


# --- rule messages ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DevCheck:
    """A DEV rule's message and severity; its numbers and article come from each version."""

    id: str
    message: str
    severity: Severity = Severity.BLOCK


DEV_CHECKS: tuple[DevCheck, ...] = (
    DevCheck(
        "DEV-002",
        "入党申请一般应向工作、学习所在单位党组织提出，单位未建立党组织的可向居住地党组织提出；{detail}，请核实",
        Severity.WARN,
    ),
    DevCheck(
        "DEV-005",
        "本区规定从递交入党申请书到确定为入党积极分子需满{activist_wait_months}个月，该同志仅{months}个月"
        "（递交申请书：{since}，最早可于{earliest}确定为入党积极分子）",
    ),
    DevCheck(
        "DEV-003", "派人谈话应在收到入党申请书后{talk_within_months}个月内进行（收到申请书：{since}，应于{latest}前谈话）", Severity.FLAG
    ),
    DevCheck("DEV-004", "确定入党积极分子须写明党员推荐或群团组织推优情况"),
    DevCheck("DEV-006", "培养联系人须为{contacts_min}至{contacts_max}名正式党员{detail}"),
    DevCheck("DEV-007", "应每{review_every_months}个月对入党积极分子考察一次（上次：{since}，应于{due}前考察）", Severity.REMIND),
    DevCheck("DEV-008", "入党积极分子工作、学习单位变动后，原培养时间连续计算（自{since}起）", Severity.REMIND),
    DevCheck(
        "DEV-009",
        "从列为入党积极分子到确定为发展对象需满{period}，该同志仅{months}个月（列为入党积极分子：{since}，最早可于{earliest}确定为发展对象）",
    ),
    DevCheck("DEV-010", "确定发展对象前须公示，公示期不少于{notice_working_days}个工作日{detail}", Severity.WARN),
    DevCheck("DEV-011", "入党介绍人须为{introducers}名正式党员{detail}"),
    DevCheck("DEV-012", "政治审查结论为合格后才能进行第{step}步（{label}）"),
    DevCheck("DEV-013", "须完成集中培训（不少于{training_min_days}天或不少于{training_min_hours}学时）{detail}"),
    DevCheck("DEV-014", "上级党委预审同意后才能发放、填写入党志愿书"),
    DevCheck("DEV-015", "上级党委预审后应在{meeting_within_months}个月内召开支部大会讨论（预审：{since}，应于{latest}前）", Severity.WARN),
    DevCheck("DEV-016", "{detail}"),
    DevCheck("DEV-017", "支部大会表决应采用无记名投票，本次为{method}", Severity.WARN),
    DevCheck("DEV-018", "上级党委审批前须由党委委员或组织员同发展对象谈话，请填写谈话人"),
    DevCheck("DEV-019", "{detail}"),
    DevCheck(
        "DEV-020", "预备党员一般应在上级党委批准后{oath_within_months}个月内进行入党宣誓（批准：{since}，应于{latest}前）", Severity.WARN
    ),
    DevCheck("DEV-022", "预备期将于{end}期满，请提醒本人提前提出转正申请", Severity.REMIND),
    DevCheck("DEV-023", "{detail}"),
    DevCheck(
        "DEV-024", "上级党委应在支部大会讨论转正后{full_approval_months}个月内审批（支部大会：{since}，应于{latest}前）", Severity.FLAG
    ),
    DevCheck("DEV-025", "转正日期为预备期满之日{end}（含延长期），不是审批日期", Severity.COUNT),
    DevCheck("DEV-030", "材料归档前，各步骤的全部必备材料须经上级党委审核通过{detail}"),
)
RULES: dict[tuple[str, str], Rule] = {}


def _unverified(version: RuleVersion, rule_id: str) -> bool:
    """Whether the rule comes from an unverified text (a district add-on inherits its base's status)."""
    base = version.extends
    if base is not None and base.articles.get(rule_id) == version.articles.get(rule_id):
        return _unverified(base, rule_id)
    return not version.verified and rule_id not in _ARTICLES_2014


def register_version(version: RuleVersion) -> None:
    """One ``core.rules.Rule`` per DEV check the version has an article for (``DEV-009:2014`` …)."""
    for check in DEV_CHECKS:
        if check.id not in version.articles:
            continue  # the rule does not exist in this version (e.g. DEV-010 before 2026)
        severity = check.severity
        if severity == Severity.BLOCK and _unverified(version, check.id):
            severity = Severity.WARN  # an unverified addition may warn, never block
        RULES[(check.id, version.code)] = Rule(
            check.id,
            variant=version.code,
            source=version.source(check.id),
            message=check.message,
            severity=severity,
            params={k: v for k, v in version.params.items() if f"{{{k}}}" in check.message},
        )


for _version in VERSIONS:
    register_version(_version)


# --- district add-ons (DEV-028) ----------------------------------------------------------------------

DEV_028 = Rule(
    "DEV-028",
    source=f"{INSTRUMENT}（区级补充规定只能增加步骤或延长间隔）",
    message="区级补充规定“{code}”不能载入：{detail}",
)
DEV_026 = Rule(
    "DEV-026",
    source="《关于中国共产党党费收缴、使用和管理的规定》（中组发〔2008〕3号）第五条",
    message="党费自{year}年{month}月起缴纳（支部大会通过接收为预备党员：{since}）",
    severity=Severity.COUNT,
)

# Minimum intervals and requirements a district may only lengthen (or switch on where the national
# version has none): the parameter and how the message names it.
LENGTHENABLE: dict[str, str] = {
    "activist_wait_months": "递交申请书到确定为入党积极分子的最短时间（月）",
    "activist_min_months": "列为入党积极分子到确定为发展对象的最短时间（月）",
    "notice_working_days": "确定发展对象前公示的工作日数",
    "training_min_days": "集中培训天数",
    "training_min_hours": "集中培训学时",
}


def addon(
    *,
    code: str,
    title: str,
    base: RuleVersion,
    effective_from: date | None,
    params: dict[str, Any] | None = None,
    articles: dict[str, str] | None = None,
    note: str = "",
) -> RuleVersion:
    """A district add-on to a national version: only what it changes, the rest taken from ``base``."""
    return RuleVersion(
        code=code,
        title=title,
        effective_from=effective_from,
        verified=True,
        params={**base.params, **(params or {})},
        articles={**base.articles, **(articles or {})},
        note=note,
        extends=base,
        steps=base.steps,
    )


def validate_addon(version: RuleVersion) -> None:
    """DEV-028: an add-on only adds steps or lengthens intervals; anything weaker is refused."""
    base = version.extends
    problems: list[str] = []
    if base is None or base not in VERSIONS:
        problems.append("须注明所补充的全国版本")
    else:
        removed_steps = sorted(set(base.steps) - set(version.steps))
        if removed_steps:
            problems.append("删去了第" + "、".join(str(n) for n in removed_steps) + "步")
        removed_rules = sorted(set(base.articles) - set(version.articles))
        if removed_rules:
            problems.append("删去了规则" + "、".join(removed_rules))
        for name, params_label in LENGTHENABLE.items():
            national, local = base.param(name), version.param(name)
            if national is None:
                continue  # nationally off: a district may switch it on at any length
            if local is None:
                problems.append(f"取消了{params_label}（全国规定{national}）")
            elif local < national:
                problems.append(f"{params_label}为{local}，短于全国规定的{national}")
        for name, national in base.params.items():
            if name in LENGTHENABLE or national in (None, False):
                continue  # switching on a requirement the national version lacks is an addition
            if version.param(name) != national:
                problems.append(f"修改了全国规定的{name}（{national} → {version.param(name)}）")
        if version.effective_from is not None and base.effective_from is not None and version.effective_from < base.effective_from:
            problems.append(f"施行日期{version.effective_from}早于所补充的全国版本（{base.effective_from}）")
    if problems:
        raise DEV_028.violation(field="version", code=version.code, detail="；".join(problems))


DISTRICT_VERSIONS: list[RuleVersion] = []


def register_district_version(version: RuleVersion) -> None:
    """Validate (DEV-028), then register the add-on's rules; ``version_on`` picks it from its date."""
    validate_addon(version)
    if any(v.code == version.code for v in DISTRICT_VERSIONS) or any(v.code == version.code for v in VERSIONS):
        raise DEV_028.violation(field="version", code=version.code, detail="版本代码重复")
    register_version(version)
    DISTRICT_VERSIONS.append(version)


# The district's adopted add-ons (DOMAIN.md DEV-028: none adopted yet). Example, switching DEV-005 on:
#   addon(code="2026-D01", title="《XX区发展党员工作补充规定》", base=VERSIONS[1], effective_from=date(2027, 1, 1),
#         params={"activist_wait_months": 6}, articles={"DEV-005": "第三条"})
DISTRICT_ADDONS: tuple[RuleVersion, ...] = ()
for _version in DISTRICT_ADDONS:
    register_district_version(_version)


def rule_for(rule_id: str, version: RuleVersion) -> Rule | None:
    """The rule as the version states it, or None when that version has no such rule."""
    return RULES.get((rule_id, version.code))


def blocks(rule: Rule) -> bool:
    return rule.severity == Severity.BLOCK


# --- the 25 steps -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepDef:
    """One official step (DOMAIN.md §5 table)."""

    number: int
    label: str
    phase: Stage
    by_superior: bool = False
    decision: str = ""  # "", "decision", "vote", "outcome"
    repeatable: bool = False
    materials: tuple[str, ...] = ()
    people: str = ""  # "contacts" (step 5) or "introducers" (step 9): members chosen from the registry
    responsible_hint: str = ""
    rules: tuple[str, ...] = ()


M = MaterialKind
STEPS: dict[int, StepDef] = {
    s.number: s
    for s in (
        StepDef(1, "递交入党申请书", Stage.APPLICANT, materials=(M.APPLICATION,), responsible_hint="接收人", rules=("DEV-001", "DEV-002")),
        StepDef(
            2,
            "派人谈话",
            Stage.APPLICANT,
            materials=(M.TALK_RECORD,),
            responsible_hint="谈话人（书记、副书记或组织委员）",
            rules=("DEV-003",),
        ),
        StepDef(
            3, "确定入党积极分子", Stage.ACTIVIST, materials=(M.RECOMMENDATION,), responsible_hint="支委会", rules=("DEV-004", "DEV-005")
        ),
        StepDef(4, "上级党委备案（积极分子）", Stage.ACTIVIST, by_superior=True, rules=("DEV-004",)),
        StepDef(5, "指定培养联系人", Stage.ACTIVIST, people="contacts", rules=("DEV-006",)),
        StepDef(
            6, "培养教育考察（半年一次）", Stage.ACTIVIST, repeatable=True, materials=(M.THOUGHT_REPORT,), rules=("DEV-007", "DEV-008")
        ),
        StepDef(7, "确定发展对象", Stage.TARGET, responsible_hint="支委会", rules=("DEV-009", "DEV-010")),
        StepDef(8, "上级党委备案（发展对象）", Stage.TARGET, by_superior=True, rules=("DEV-010",)),
        StepDef(9, "确定入党介绍人", Stage.TARGET, people="introducers", rules=("DEV-011",)),
        StepDef(10, "政治审查", Stage.TARGET, decision="decision", materials=(M.POLITICAL_REVIEW,), rules=("DEV-012",)),
        StepDef(11, "集中培训", Stage.TARGET, materials=(M.TRAINING_CERTIFICATE,), rules=("DEV-013",)),
        StepDef(
            12, "支部委员会审查", Stage.TARGET, decision="decision", responsible_hint="支委会", rules=("DEV-012", "DEV-013", "DEV-014")
        ),
        StepDef(13, "上级党委预审", Stage.TARGET, by_superior=True, decision="decision", rules=("DEV-014",)),
        StepDef(14, "填写入党志愿书", Stage.TARGET, materials=(M.APPLICATION_FORM,), rules=("DEV-014",)),
        StepDef(
            15,
            "支部大会讨论接收预备党员",
            Stage.TARGET,
            decision="vote",
            materials=(M.MINUTES,),
            rules=("DEV-015", "DEV-016", "DEV-017", "DEV-026"),
        ),
        StepDef(16, "上级党委派人谈话", Stage.TARGET, by_superior=True, responsible_hint="谈话人（党委委员或组织员）", rules=("DEV-018",)),
        StepDef(17, "上级党委审批", Stage.PROBATIONARY, by_superior=True, decision="decision", rules=("DEV-019",)),
        StepDef(18, "再上一级党委组织部门备案", Stage.PROBATIONARY, by_superior=True),
        StepDef(19, "编入党支部和党小组", Stage.PROBATIONARY),
        StepDef(20, "入党宣誓", Stage.PROBATIONARY, materials=(M.OATH_RECORD,), rules=("DEV-020",)),
        StepDef(21, "继续教育考察", Stage.PROBATIONARY, repeatable=True, rules=("DEV-021",)),
        StepDef(22, "提出转正申请", Stage.PROBATIONARY, materials=(M.FULL_APPLICATION,), rules=("DEV-022",)),
        StepDef(23, "支部大会讨论转正", Stage.PROBATIONARY, decision="outcome", materials=(M.MINUTES,), rules=("DEV-016", "DEV-023")),
        StepDef(24, "上级党委审批转正", Stage.PROBATIONARY, by_superior=True, decision="decision", rules=("DEV-024", "DEV-025")),
        StepDef(25, "材料归档", Stage.FULL, rules=("DEV-030",)),
    )
}
LAST_STEP = 25


def step_label(number: int, on: date | None = None) -> str:
    """Step 8 is a filing in 2014 and a consent (同意) from 2026 (DEV-010)."""
    if number == 8 and on is not None and version_on(on).param("superior_consent"):
        return "上级党委审查同意（发展对象）"
    return STEPS[number].label


# --- facts the checks work on -----------------------------------------------------------------------


@dataclass(frozen=True)
class StepFact:
    """A recorded step as the rules see it."""

    number: int
    on: date
    decision: str = Decision.AGREED
    outcome: str = ""
    extension_months: int = 0

    @property
    def counts(self) -> bool:
        """A refused decision or a failed vote is kept in the record but does not move the person on."""
        return self.decision != Decision.REFUSED


@dataclass(frozen=True)
class PersonFact:
    """A contact or introducer chosen from the registry (DEV-006, DEV-011)."""

    name: str
    status: str  # members.MemberStatus value
    join_date: date
    full_date: date | None
    left_on: date | None = None

    def is_full_on(self, day: date) -> bool:
        if self.left_on is not None and self.left_on <= day:
            return False
        if self.status != "full":
            return False
        return self.full_date is None or self.full_date <= day


@dataclass
class Votes:
    """DEV-016: the figures of a 支部大会 vote."""

    entitled: int | None = None  # 应到会有表决权人数
    present: int | None = None  # 实到
    yes: int | None = None  # 赞成 (absent voters' written opinions for included)
    no: int | None = None
    abstain: int | None = None
    written: int = 0  # 书面意见 from absent voters (included in yes/no/abstain)
    method: str = ""


@dataclass
class StepInput:
    number: int
    on: date
    decision: str = Decision.AGREED
    outcome: str = ""
    extension_months: int | None = None
    responsible: str = ""
    basis: str = ""
    people: list[PersonFact] = field(default_factory=list)
    votes: Votes = field(default_factory=Votes)
    training_days: int | None = None
    training_hours: int | None = None
    notice_from: date | None = None
    notice_to: date | None = None


@dataclass
class Verdict:
    """What the rules say about a new step: blocks (nothing saved), warnings (saved, reason kept)."""

    version: RuleVersion
    blocks: list[RuleViolation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    provisional: bool = False

    def add(self, rule: Rule | None, field_name: str | None = None, **context: Any) -> None:
        if rule is None:
            return
        if blocks(rule):
            self.blocks.append(rule.violation(field=field_name, **context))
        else:
            self.warnings.append(rule.format(**context))


# --- progress through the steps ----------------------------------------------------------------------


@dataclass
class Progress:
    """Where a person stands: the steps done (latest of each), what may come next, probation end."""

    done: dict[int, StepFact]
    expected: int | None  # the next step in the sequence (None: finished or cancelled)
    allowed: tuple[int, ...]
    stage: Stage
    last: StepFact | None
    extension_months: int = 0
    probation_end: date | None = None
    outcome: str = ""


def progress(history: list[StepFact], *, stopped: bool = False) -> Progress:
    """Walk the recorded steps in order. Steps 6 and 21 repeat and do not move the sequence; after an
    approved extension (DEV-023) the probation steps 21–24 come round again."""
    done: dict[int, StepFact] = {}
    expected: int | None = 1
    extension = 0
    outcome = ""
    cancelled = finished = False
    extension_pending = 0
    for fact in history:
        if not fact.counts:
            continue
        done[fact.number] = fact
        if fact.number == 23:
            outcome = fact.outcome
            if fact.outcome == Outcome.EXTEND:
                extension_pending = fact.extension_months
        if fact.number == 24:
            if outcome == Outcome.EXTEND:
                extension += extension_pending
                expected = 22
                outcome = ""
                continue
            if outcome == Outcome.CANCEL:
                cancelled = True
                expected = None
                continue
            expected = 25
            continue
        if STEPS[fact.number].repeatable:
            continue
        if fact.number == LAST_STEP:
            finished = True
            expected = None
            continue
        expected = fact.number + 1
        if expected in (6, 21):
            expected += 1  # the review step is optional and repeatable; the sequence goes on
    allowed: list[int] = []
    if expected is not None and not stopped:
        allowed.append(expected)
        if expected in (7, 22) and (expected - 1) not in allowed:
            allowed.insert(0, expected - 1)
    probation_end = None
    if 15 in done and 17 in done:
        probation_end = add_months(add_months(done[15].on, version_on(done[15].on).param("probation_months")), extension)
    stage = _stage(done, cancelled=cancelled, finished=finished, stopped=stopped)
    return Progress(
        done=done,
        expected=expected if not stopped else None,
        allowed=tuple(allowed),
        stage=stage,
        last=history[-1] if history else None,
        extension_months=extension,
        probation_end=probation_end,
        outcome=outcome,
    )


def _stage(done: dict[int, StepFact], *, cancelled: bool, finished: bool, stopped: bool) -> Stage:
    if cancelled:
        return Stage.CANCELLED
    if stopped:
        return Stage.STOPPED
    if finished or (24 in done and 23 in done and done[23].outcome == Outcome.ON_TIME and done[24].on >= done[23].on):
        return Stage.FULL
    if 17 in done:
        return Stage.PROBATIONARY
    if 7 in done:
        return Stage.TARGET
    if 3 in done:
        return Stage.ACTIVIST
    return Stage.APPLICANT


def _period(months: int) -> str:
    """12 → "1年", 18 → "18个月"."""
    return f"{months // 12}年" if months % 12 == 0 else f"{months}个月"


def full_months(start: date, end: date) -> int:
    """Completed calendar months from ``start`` to ``end`` (31 Jan → 28 Feb is one month)."""
    months = (end.year - start.year) * 12 + (end.month - start.month)
    while months > 0 and add_months(start, months) > end:
        months -= 1
    return max(months, 0)


# --- the checks ---------------------------------------------------------------------------------------


def check_step(
    new: StepInput,
    history: list[StepFact],
    *,
    birth_date: date,
    today: date,
    workdays: Workdays,
    stopped: bool = False,
    material_problems: list[str] | None = None,
) -> Verdict:
    """Every rule the new step breaks or warns about, judged by the version in force on its date."""
    version = version_on(new.on)
    verdict = Verdict(version=version)
    state = progress(history, stopped=stopped)
    n = new.number
    if n not in STEPS:
        verdict.blocks.append(RuleViolation(None, f"没有第{n}步；发展党员共{LAST_STEP}个步骤", field="number"))
        return verdict
    # DEV-027: no future dates, steps in order, none before the previous one
    if new.on > today:
        verdict.blocks.append(DEV_027.violation(field="on", label=f"第{n}步日期", value=new.on, today=today))
    specific = _sequence_specific(n, state, version)
    if specific is not None:
        verdict.blocks.append(specific)
    elif n not in state.allowed:
        verdict.blocks.append(_order_violation(n, state))
    if state.last is not None and new.on < state.last.on:
        verdict.blocks.append(
            RuleViolation(
                DEV_027,
                f"第{n}步日期{new.on}早于上一步（第{state.last.number}步，{state.last.on}），步骤须按时间顺序记录"
                f"（依据{DEV_027.source}，{DEV_027.id}）",
                field="on",
            )
        )
    if verdict.blocks:
        return verdict
    _CHECKERS.get(n, _no_check)(new, state, verdict, birth_date=birth_date, workdays=workdays)
    if material_problems:
        if n == LAST_STEP:
            verdict.add(rule_for("DEV-030", version), "on", detail="：" + "；".join(material_problems))
        else:
            verdict.blocks.append(
                RuleViolation(None, "以下必备材料缺少或被退回，补齐后才能记录本步骤：" + "；".join(material_problems), field="materials")
            )
    return verdict


def _sequence_specific(n: int, state: Progress, version: RuleVersion) -> RuleViolation | None:
    """A named rule for the steps whose order the rules themselves state (DEV-012, DEV-013, DEV-014)."""
    if n not in state.allowed and state.expected is not None and n > state.expected:
        if n >= 12 and state.expected <= 11:
            if 10 not in state.done:
                rule = rule_for("DEV-012", version)
                return rule.violation(field="number", step=n, label=STEPS[n].label) if rule else None
            if 11 not in state.done:
                rule = rule_for("DEV-013", version)
                return rule.violation(field="number", detail=f"，然后才能进行第{n}步") if rule else None
        if n == 14 and 13 not in state.done:
            rule = rule_for("DEV-014", version)
            return rule.violation(field="number") if rule else None
    return None


def _order_violation(n: int, state: Progress) -> RuleViolation:
    if state.expected is None:
        what = {Stage.FULL: "发展程序已全部完成", Stage.CANCELLED: "已取消预备党员资格", Stage.STOPPED: "已终止培养"}.get(
            state.stage, "发展程序已结束"
        )
        text = f"{what}，不能再记录第{n}步"
    else:
        names = "或".join(f"第{a}步（{STEPS[a].label}）" for a in state.allowed)
        text = f"步骤须按顺序进行：下一步应为{names}，不能记录第{n}步（{STEPS[n].label}）"
    return RuleViolation(DEV_027, f"{text}（依据{DEV_027.source}，{DEV_027.id}）", field="number")


def _no_check(*args: Any, **kwargs: Any) -> None:
    return None


def _check_1(new: StepInput, state: Progress, verdict: Verdict, *, birth_date: date, **_: Any) -> None:
    check_age(birth_date=birth_date, applied_on=new.on)


def check_age(*, birth_date: date, applied_on: date) -> None:
    """DEV-001: 18 on the application date, age from the ID number; Block."""
    minimum = version_on(applied_on).param("min_age")
    age = age_on(birth_date, applied_on)
    if age < minimum:
        raise RuleViolation(
            DEV_001,
            f"递交入党申请书日期{applied_on}时年龄为{age}岁（按公民身份号码出生日期{birth_date}计算），未满{minimum}周岁"
            f"（依据{DEV_001.source}，{DEV_001.id}）",
            field="applied_on",
        )


def _check_2(new: StepInput, state: Progress, verdict: Verdict, **_: Any) -> None:
    applied = state.done[1].on
    months = verdict.version.param("talk_within_months")
    latest = add_months(applied, months)
    if new.on > latest:
        verdict.add(rule_for("DEV-003", verdict.version), "on", since=applied, latest=latest)


def _check_3(new: StepInput, state: Progress, verdict: Verdict, **_: Any) -> None:
    if not new.basis.strip():
        verdict.add(rule_for("DEV-004", verdict.version), "basis")
    # DEV-005: the district's optional wait from application to activist (off unless an add-on sets it)
    wait = verdict.version.param("activist_wait_months")
    if wait and 1 in state.done:
        since = state.done[1].on
        earliest = add_months(since, wait)
        if new.on < earliest:
            verdict.add(rule_for("DEV-005", verdict.version), "on", months=full_months(since, new.on), since=since, earliest=earliest)


def check_application_place(
    *,
    work_unit: str,
    branch_name: str,
    branch_path: str,
    org_names: list[str],
    unit_party_orgs: list[tuple[str, str]] | None,
    applied_on: date,
) -> str | None:
    """DEV-002 (Warn): the application should be received by the party organisation of the applicant's
    work/study unit (else of the residence). ``unit_party_orgs``: (name, path) of the party organisations
    of registered units with that name — None when the unit is not registered, [] when it has none.
    ``org_names``: the receiving branch and the organisations above it. Returns the warning, or None."""
    rule = rule_for("DEV-002", version_on(applied_on))
    unit = " ".join(work_unit.split())
    if rule is None or not unit:
        return None  # nothing to compare (no unit given: residence application)
    if unit_party_orgs is not None:
        if not unit_party_orgs:
            return None  # the unit has no party organisation: applying at the residence is right
        if any(branch_path.startswith(path) for _, path in unit_party_orgs):
            return None
        names = "、".join(sorted({name for name, _ in unit_party_orgs}))
        return rule.format(detail=f"申请人单位“{unit}”的党组织是“{names}”，本申请由“{branch_name}”接收")
    for name in org_names:
        core = name.removeprefix("中共").strip()
        for suffix in ("党总支部委员会", "党支部委员会", "党总支部", "党总支", "党支部", "支部", "党委员会", "委员会", "党委"):
            core = core.removesuffix(suffix)
        if len(core) >= 2 and (core in unit or unit in core):
            return None
    return rule.format(detail=f"申请人单位为“{unit}”，本申请由“{branch_name}”接收，看不出二者的隶属关系")


def dues_notice(history: list[StepFact]) -> str | None:
    """DEV-026 (the dues rule of §7): dues are owed from the month of the step-15 meeting — derived, never typed."""
    state = progress(history)
    meeting = state.done.get(15)
    if meeting is None:
        return None
    return DEV_026.format(year=meeting.on.year, month=meeting.on.month, since=meeting.on)


def _check_people(new: StepInput, verdict: Verdict, *, rule_id: str, minimum: int, maximum: int, field_name: str) -> None:
    problems: list[str] = []
    if not minimum <= len(new.people) <= maximum:
        problems.append(f"，本次选了{len(new.people)}名")
    for person in new.people:
        if not person.is_full_on(new.on):
            problems.append(f"，{person.name}在{new.on}不是正式党员")
    if problems:
        verdict.add(rule_for(rule_id, verdict.version), field_name, detail="".join(problems))


def _check_5(new: StepInput, state: Progress, verdict: Verdict, **_: Any) -> None:
    v = verdict.version
    _check_people(new, verdict, rule_id="DEV-006", minimum=v.param("contacts_min"), maximum=v.param("contacts_max"), field_name="people")


def _check_7(new: StepInput, state: Progress, verdict: Verdict, *, workdays: Workdays, **_: Any) -> None:
    v = verdict.version
    since = state.done[3].on
    earliest = add_months(since, v.param("activist_min_months"))
    if new.on < earliest:
        verdict.add(
            rule_for("DEV-009", v),
            "on",
            period=_period(v.param("activist_min_months")),
            months=full_months(since, new.on),
            since=since,
            earliest=earliest,
        )
    check_notice(new, verdict, workdays=workdays)


def check_notice(new: StepInput, verdict: Verdict, *, workdays: Workdays) -> None:
    """DEV-010@2026: public notice of at least N working days, ended by the listing date."""
    v = verdict.version
    needed = v.param("notice_working_days")
    rule = rule_for("DEV-010", v)
    if not needed or rule is None:
        return
    if new.notice_from is None or new.notice_to is None:
        verdict.add(rule, "notice_from", detail="，请填写公示起止日期")
        return
    if new.notice_to < new.notice_from or new.notice_to > new.on:
        verdict.add(rule, "notice_to", detail=f"，公示应在确定发展对象（{new.on}）之前结束")
        return
    count, provisional = workdays.count(new.notice_from, new.notice_to)
    verdict.provisional = verdict.provisional or provisional
    if count < needed:
        mark = "（暂算：该年度工作日历未维护）" if provisional else ""
        verdict.add(rule, "notice_to", detail=f"，本次公示{new.notice_from}至{new.notice_to}仅{count}个工作日{mark}")


def _check_9(new: StepInput, state: Progress, verdict: Verdict, **_: Any) -> None:
    count = verdict.version.param("introducers")
    _check_people(new, verdict, rule_id="DEV-011", minimum=count, maximum=count, field_name="people")


def _check_11(new: StepInput, state: Progress, verdict: Verdict, **_: Any) -> None:
    v = verdict.version
    days, hours = new.training_days or 0, new.training_hours or 0
    if days < v.param("training_min_days") and hours < v.param("training_min_hours"):
        verdict.add(rule_for("DEV-013", v), "training_days", detail=f"，本次为{days}天、{hours}学时")


def _check_15(new: StepInput, state: Progress, verdict: Verdict, **_: Any) -> None:
    v = verdict.version
    check_votes(new.votes, decision=new.decision, verdict=verdict)
    within = v.param("meeting_within_months")
    if within and 13 in state.done:
        latest = add_months(state.done[13].on, within)
        if new.on > latest:
            verdict.add(rule_for("DEV-015", v), "on", since=state.done[13].on, latest=latest)
    if v.param("secret_ballot") and new.votes.method != BallotMethod.SECRET:
        method = BallotMethod(new.votes.method).label if new.votes.method in BallotMethod.values else "未填写表决方式"
        verdict.add(rule_for("DEV-017", v), "ballot_method", method=method)


def check_votes(votes: Votes, *, decision: str, verdict: Verdict) -> None:
    """DEV-016: valid if present > half of entitled; passed if yes > half of entitled; Block a failing “passed”."""
    rule = rule_for("DEV-016", verdict.version)
    figures = (votes.entitled, votes.present, votes.yes, votes.no, votes.abstain)
    if any(f is None for f in figures):
        verdict.add(rule, "entitled", detail="支部大会表决须填写应到会有表决权人数、实到人数、赞成、反对、弃权票数")
        return
    entitled, present, yes, no, abstain = (int(f) for f in figures)  # type: ignore[arg-type]
    if min(entitled, present, yes, no, abstain, votes.written) < 0:
        verdict.add(rule, "entitled", detail="人数和票数不能为负数")
        return
    if present > entitled:
        verdict.add(rule, "present", detail=f"实到人数{present}不能多于应到会有表决权人数{entitled}")
        return
    absent = entitled - present
    if votes.written > absent:
        verdict.add(rule, "written", detail=f"书面意见{votes.written}份多于未到会的有表决权党员{absent}人")
        return
    if yes + no + abstain > present + votes.written:
        verdict.add(
            rule,
            "yes",
            detail=f"赞成、反对、弃权合计{yes + no + abstain}票，多于实到人数{present}加书面意见{votes.written}份；一人只能投一票",
        )
        return
    if decision != Decision.AGREED:
        return
    if present * 2 <= entitled:
        verdict.add(
            rule,
            "present",
            detail=f"实到{present}人未超过应到会有表决权人数{entitled}人的半数，会议不能进行表决，不能记为通过（须至少{entitled // 2 + 1}人到会）",
        )
    elif yes * 2 <= entitled:
        verdict.add(
            rule,
            "yes",
            detail=f"赞成{yes}票未超过应到会有表决权人数{entitled}人的半数，不能记为通过（须至少{entitled // 2 + 1}票赞成，含书面意见）",
        )


def _check_16(new: StepInput, state: Progress, verdict: Verdict, **_: Any) -> None:
    if not new.responsible.strip():
        verdict.add(rule_for("DEV-018", verdict.version), "responsible")


def _check_17(new: StepInput, state: Progress, verdict: Verdict, **_: Any) -> None:
    v = verdict.version
    meeting = state.done[15].on
    latest = add_months(meeting, v.param("approval_max_months"))
    flag = add_months(meeting, v.param("approval_flag_months"))
    rule = rule_for("DEV-019", v)
    if rule is None:
        return
    if new.on > latest:
        verdict.blocks.append(
            rule.violation(
                field="on",
                detail=f"上级党委审批距支部大会（{meeting}）已超过{v.param('approval_max_months')}个月（最迟{latest}），"
                "不能在平台上记为审批，请报区委组织部处理",
            )
        )
    elif new.on > flag:
        verdict.warnings.append(
            rule.format(detail=f"上级党委审批距支部大会（{meeting}）已超过{v.param('approval_flag_months')}个月（应于{flag}前审批）")
        )


def _check_20(new: StepInput, state: Progress, verdict: Verdict, **_: Any) -> None:
    v = verdict.version
    within = v.param("oath_within_months")
    if within and 17 in state.done:
        latest = add_months(state.done[17].on, within)
        if new.on > latest:
            verdict.add(rule_for("DEV-020", v), "on", since=state.done[17].on, latest=latest)


def _check_23(new: StepInput, state: Progress, verdict: Verdict, **_: Any) -> None:
    v = verdict.version
    rule = rule_for("DEV-023", v)
    end = state.probation_end
    if rule is None or end is None:
        return
    if new.on < end:
        verdict.add(rule, "on", detail=f"预备期{end}才满，支部大会须在预备期满后讨论转正（本次{new.on}）")
        return
    if new.outcome not in Outcome.values:
        verdict.add(rule, "outcome", detail="请选择讨论结果：按期转正、延长预备期或取消预备党员资格")
        return
    if new.outcome == Outcome.EXTEND:
        low, high = v.param("extension_min_months"), v.param("extension_max_months")
        months = new.extension_months or 0
        if state.extension_months:
            verdict.add(rule, "extension_months", detail=f"预备期已延长{state.extension_months}个月，只能延长一次")
        elif not low <= months <= high:
            verdict.add(rule, "extension_months", detail=f"延长预备期须不少于{low}个月、不超过{high}个月（本次{months}个月）")
    check_votes(new.votes, decision=Decision.AGREED if new.decision == Decision.AGREED else new.decision, verdict=verdict)


def _check_24(new: StepInput, state: Progress, verdict: Verdict, **_: Any) -> None:
    v = verdict.version
    meeting = state.done[23].on
    latest = add_months(meeting, v.param("full_approval_months"))
    if new.on > latest:
        verdict.add(rule_for("DEV-024", v), "on", since=meeting, latest=latest)


_CHECKERS = {
    1: _check_1,
    2: _check_2,
    3: _check_3,
    5: _check_5,
    7: _check_7,
    9: _check_9,
    11: _check_11,
    15: _check_15,
    16: _check_16,
    17: _check_17,
    20: _check_20,
    23: _check_23,
    24: _check_24,
}


def probation_end(progress_: Progress) -> date | None:
    """DEV-021 / DEV-025: probation runs from step 15, plus any approved extension."""
    return progress_.probation_end


def join_date_for(history: list[StepFact]) -> date:
    """DEV-021 (and NOTIF-001's political birthday): the member record joins on the step-15 date."""
    state = progress(history)
    if 15 not in state.done:
        raise RuleViolation(DEV_021, f"尚无支部大会通过的记录，无法确定入党日期（依据{DEV_021.source}，{DEV_021.id}）")
    return state.done[15].on


# --- working days ---------------------------------------------------------------------------------------


class Workdays:
    """Working days from the district's yearly calendar (holidays, 调休 working weekends).

    A year without a calendar counts Monday–Friday and marks the result provisional (暂算).
    """

    def __init__(self, years: dict[int, tuple[set[date], set[date]]]) -> None:
        self.years = years

    def is_working(self, day: date) -> tuple[bool, bool]:
        """(is a working day, provisional)."""
        calendar = self.years.get(day.year)
        if calendar is None:
            return day.weekday() < 5, True
        holidays, workdays = calendar
        if day in workdays:
            return True, False
        if day in holidays:
            return False, False
        return day.weekday() < 5, False

    def count(self, start: date, end: date) -> tuple[int, bool]:
        """Working days from ``start`` to ``end`` inclusive, and whether any year lacked a calendar."""
        total, provisional, day = 0, False, start
        while day <= end:
            working, guess = self.is_working(day)
            total += working
            provisional = provisional or guess
            day += timedelta(days=1)
        return total, provisional

    def add(self, start: date, days: int) -> tuple[date, bool]:
        """The ``days``-th working day on or after ``start``."""
        found, provisional, day = 0, False, start
        while True:
            working, guess = self.is_working(day)
            provisional = provisional or guess
            if working:
                found += 1
                if found == days:
                    return day, provisional
            day += timedelta(days=1)


# --- the timeline -----------------------------------------------------------------------------------------


@dataclass
class Window:
    """A date window for a coming step (or a reminder), with the rule and article it comes from."""

    step: int
    label: str
    rule_id: str
    source: str
    earliest: date | None = None
    flag_at: date | None = None
    latest: date | None = None
    note: str = ""
    provisional: bool = False
    state: str = "upcoming"  # upcoming | open | due_soon | overdue

    @property
    def due(self) -> date | None:
        return self.latest or self.flag_at


DUE_SOON_DAYS = 14


def timeline(history: list[StepFact], *, today: date, workdays: Workdays, stopped: bool = False) -> list[Window]:
    """Every next date window from the rules in force: what is due when, and on which article."""
    state = progress(history, stopped=stopped)
    windows: list[Window] = []
    done = state.done
    expected = state.expected
    if expected is None:
        return windows

    def add(step: int, rule_id: str, ref: date, **dates: Any) -> None:
        version = version_on(max(ref, today))
        rule = rule_for(rule_id, version) if rule_id not in ("DEV-021",) else DEV_021
        if rule is None:
            return
        windows.append(Window(step=step, label=step_label(step, max(ref, today)), rule_id=rule_id, source=rule.source, **dates))

    if expected == 2 and 1 in done:
        v = version_on(max(done[1].on, today))
        add(2, "DEV-003", done[1].on, latest=add_months(done[1].on, v.param("talk_within_months")))
    if expected == 3 and 1 in done:
        wait = version_on(max(done[1].on, today)).param("activist_wait_months")
        if wait:
            add(3, "DEV-005", done[1].on, earliest=add_months(done[1].on, wait), note=f"本区规定递交申请书满{wait}个月方可确定")
    if expected == 7 and 3 in done:
        v = version_on(max(done[3].on, today))
        last_review = done[6].on if 6 in done else done[3].on
        add(6, "DEV-007", last_review, latest=add_months(last_review, v.param("review_every_months")), note="半年一次")
        earliest = add_months(done[3].on, v.param("activist_min_months"))
        add(7, "DEV-009", done[3].on, earliest=earliest, note="满1年方可确定为发展对象")
        needed = version_on(max(earliest, today)).param("notice_working_days")
        if needed:
            start, provisional = workdays.add(max(today, done[3].on), 1)
            ends, provisional2 = workdays.add(start, needed)
            add(
                7,
                "DEV-010",
                earliest,
                earliest=max(earliest, ends),
                note=f"确定前须公示不少于{needed}个工作日（今天起公示最早{ends}期满）",
                provisional=provisional or provisional2,
            )
    if expected == 15 and 13 in done:
        within = version_on(max(done[13].on, today)).param("meeting_within_months")
        if within:
            add(15, "DEV-015", done[13].on, latest=add_months(done[13].on, within))
    if expected == 17 and 15 in done:
        v = version_on(max(done[15].on, today))
        add(
            17,
            "DEV-019",
            done[15].on,
            flag_at=add_months(done[15].on, v.param("approval_flag_months")),
            latest=add_months(done[15].on, v.param("approval_max_months")),
            note="一般3个月内审批，最长不超过6个月",
        )
    if expected in (19, 20) and 17 in done:
        within = version_on(max(done[17].on, today)).param("oath_within_months")
        if within:
            add(20, "DEV-020", done[17].on, latest=add_months(done[17].on, within))
    end = state.probation_end
    if end is not None and expected in (19, 20, 22, 23):
        v = version_on(max(done[15].on, today))
        add(22, "DEV-022", done[15].on, earliest=end - timedelta(days=v.param("full_remind_days")), latest=end, note=f"预备期{end}期满")
        add(23, "DEV-023", done[15].on, earliest=end, note="预备期满后支部大会讨论转正")
    if expected == 24 and 23 in done:
        v = version_on(max(done[23].on, today))
        add(24, "DEV-024", done[23].on, latest=add_months(done[23].on, v.param("full_approval_months")))
    for window in windows:
        window.state = _window_state(window, today)
    return windows


def _window_state(window: Window, today: date) -> str:
    due = window.due
    if due is not None and today > due:
        return "overdue"
    if window.earliest is not None and today < window.earliest:
        return "upcoming"
    if due is not None and (due - today).days <= DUE_SOON_DAYS:
        return "due_soon"
    return "open"


def next_due(windows: list[Window]) -> Window | None:
    """The most pressing window (earliest due date) — what the pipeline lists and the daily job warns of."""
    dated = [w for w in windows if w.due is not None]
    return min(dated, key=lambda w: w.due) if dated else None  # type: ignore[arg-type,return-value]
