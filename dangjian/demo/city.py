"""A synthetic city for benchmarks (issue 9): a district → streets → communities → branches → groups.

Deterministic: the same ``seed``, sizes and ``today`` give the same organisations and people (the
ciphertexts differ, their nonces are random). People come from the demo's ``PersonMaker`` (valid ID
numbers, dates that pass the member rules). Tree paths are precomputed (treebeard MP: steplen 4,
alphabet 0-9A-Z, with correct ``depth`` and ``numchild``). Rows are written with the model fields'
own ``pre_save`` and ``get_db_prep_save``, so encrypted values and blind indexes are exactly what
the ORM writes: through ``COPY`` on PostgreSQL (people generated and encrypted in worker processes),
through ``bulk_create`` elsewhere. Then ``VACUUM ANALYZE`` on PostgreSQL.

Only for an empty registry (no organisation, no member): it never mixes with real data.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum
from typing import Any

from django.db import connection, connections, transaction
from django.utils import timezone

from dangjian.core.counting import bump_tables
from dangjian.core.dates import add_months
from dangjian.core.fields import BlindIndexField, EncryptedTextField, MonthDayField
from dangjian.core.idnumber import make_id_number
from dangjian.members.choices import ExitReason, MemberStatus
from dangjian.members.models import Member
from dangjian.organisations.choices import OrgKind, Sector
from dangjian.organisations.models import Organisation
from dangjian.organisations.rules import term_years

from .people import Home, PersonMaker

ROOT_CODE = "CITY"
ROOT_NAME = "中共示范市城区委员会"
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
STEPLEN = 4
MIN_BRANCH, MAX_BRANCH = 10, 60
PROBATIONARY_SHARE = 0.05
LEFT_SHARE = 0.01  # records that left (transfer out, death…): kept, excluded from current lists
GENERAL_BRANCH_SHARE = 0.04  # of a community's branches, how many 党总支 there are (each with 3–5 branches)
MAX_GROUPS_PER_BRANCH = 4
CHUNK_MEMBERS = 10_000

STREET_WORDS = (
    "和平 新华 光明 幸福 青年 东风 团结 花园 人民 建设 解放 胜利 红星 春熙 锦江 望江 双林 龙泉 金沙 青龙 "
    "玉林 府南 桂溪 石羊 肖家 合作 驷马 抚琴 营门 草堂 浆洗 簇桥 双桥 沙河 东湖 西林 南苑 北辰 长顺 文殊"
).split()
COMMUNITY_WORDS = (
    "长青 翠竹 海棠 桂香 梧桐 玉兰 芙蓉 紫荆 银杏 丁香 石榴 松柏 杏林 枫林 荷塘 柳岸 清水 云影 晨光 朝阳 "
    "星辰 明月 春风 秋实 嘉禾 丰收 安居 乐业 康宁 和谐 富民 兴隆 吉祥 如意 福寿 永安 泰和 润泽 锦绣 腾飞"
).split()
GENERAL_SECTORS = ((Sector.SOE, "soe", "国企"), (Sector.SCHOOL, "school", "学校"), (Sector.NON_PUBLIC_ENTERPRISE, "two_new", "企业"))


class CityRefused(Exception):
    """The database already holds organisations or members; ``str()`` is the Chinese reason."""


@dataclass
class OrgRow:
    id: int
    path: str
    code: str
    name: str
    kind: str
    sector: str
    parent: OrgRow | None = None
    numchild: int = 0
    profile: str = ""  # who the members are (people.AGE_BANDS); branches only
    size: int = 0  # members; branches only
    home: Home | None = None
    groups: list[int] = field(default_factory=list)

    @property
    def depth(self) -> int:
        return len(self.path) // STEPLEN


@dataclass
class CityPlan:
    seed: int
    today: date
    members: int
    orgs: list[OrgRow]
    notes: list[str]

    @property
    def branches(self) -> list[OrgRow]:
        return [o for o in self.orgs if o.size]


@dataclass
class CityResult:
    organisations: int
    members: int
    seconds: float
    timings: dict[str, float]
    notes: list[str]


def step_of(number: int) -> str:
    """The treebeard path step of the ``number``-th child (1-based), e.g. 1 → "0001", 36 → "0010"."""
    text = ""
    while number:
        number, digit = divmod(number, len(ALPHABET))
        text = ALPHABET[digit] + text
    return text.rjust(STEPLEN, "0")


def _layout(members: int, orgs: int) -> tuple[int, int]:
    """Streets, and communities per street: a street holds about 100,000 members, a community 10,000."""
    streets = max(2, min(40, round(members / 100_000)))
    communities = max(2, min(30, round(members / streets / 10_000)))
    return streets, communities


def _spread(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _branch_sizes(rng: random.Random, total: int, mode: float) -> list[int]:
    """Sizes between MIN_BRANCH and MAX_BRANCH (a few more when rounding) adding up to ``total``."""
    sizes: list[int] = []
    left = total
    while left >= MIN_BRANCH * 2:
        size = min(round(rng.triangular(MIN_BRANCH, MAX_BRANCH, mode)), left - MIN_BRANCH)
        sizes.append(size)
        left -= size
    if sizes:
        for i in range(left):  # spread the rest one by one over the branches
            sizes[i % len(sizes)] += 1
    elif left:
        sizes.append(left)
    return sizes


def build_city_plan(*, members: int, orgs: int, seed: int, today: date) -> CityPlan:
    """The whole tree with branch sizes; the people are drawn later, per chunk of branches."""
    rng = random.Random(f"make_city:{seed}:tree")
    streets, per_street = _layout(members, orgs)
    communities = streets * per_street
    available = max(orgs - 1 - streets - communities, communities)
    # the mean branch size that fills ~85 % of the organisation budget with branches, within 10–60
    target = members / (0.85 * available)
    mode = min(max(3 * target - (MIN_BRANCH + MAX_BRANCH), MIN_BRANCH), MAX_BRANCH)
    rows: list[OrgRow] = []
    counter = iter(range(1, 10**9))

    def add(parent: OrgRow | None, code: str, name: str, kind: str, sector: str = Sector.COMMUNITY) -> OrgRow:
        if parent is None:
            path = step_of(1)
        else:
            parent.numchild += 1
            path = parent.path + step_of(parent.numchild)
        row = OrgRow(id=next(counter), path=path, code=code, name=name, kind=kind, sector=sector, parent=parent)
        rows.append(row)
        return row

    root = add(None, ROOT_CODE, ROOT_NAME, OrgKind.DISTRICT_COMMITTEE)
    member_split = _spread(members, communities)
    budget_split = _spread(available, communities)
    notes: list[str] = []
    index = 0
    for s in range(streets):
        word = STREET_WORDS[s % len(STREET_WORDS)] + ("" if s < len(STREET_WORDS) else str(s // len(STREET_WORDS) + 1))
        street_name = f"{word}街道"
        street = add(root, f"{ROOT_CODE}-S{s + 1:02d}", f"中共示范市城区{street_name}工作委员会", OrgKind.STREET_WORKING_COMMITTEE)
        for c in range(per_street):
            cword = COMMUNITY_WORDS[(s * per_street + c) % len(COMMUNITY_WORDS)]
            community_name = f"{word}{cword}社区"
            community = add(street, f"{street.code}-C{c + 1:02d}", f"中共{community_name}委员会", OrgKind.COMMUNITY_COMMITTEE)
            home = Home(street_name, community_name, f"{cword}小区", (f"{cword}路", f"{cword}东街", f"{word}{cword}巷"))
            _community(rng, add, community, home, member_split[index], budget_split[index], mode)
            index += 1
    made = len(rows)
    if abs(made - orgs) > max(10, orgs // 50):
        notes.append(f"组织数为 {made}（要求约 {orgs}）：按每个支部 {MIN_BRANCH}—{MAX_BRANCH} 人，{members} 名党员需要这么多支部。")
    return CityPlan(seed=seed, today=today, members=members, orgs=rows, notes=notes)


def _community(
    rng: random.Random, add: Callable[..., OrgRow], community: OrgRow, home: Home, members: int, budget: int, mode: float
) -> None:
    sizes = _branch_sizes(rng, members, mode)
    extra = max(budget - len(sizes), 0)
    generals = min(extra, round(len(sizes) * GENERAL_BRANCH_SHARE))
    groups = extra - generals
    under_general = min(len(sizes), generals * 4)
    direct = sizes[: len(sizes) - under_general]
    branches: list[OrgRow] = []
    grid = 0
    for n, size in enumerate(direct, start=1):
        roll = rng.random()
        if roll < 0.85:
            grid += 1
            kind, sector, profile, name = OrgKind.GRID_BRANCH, Sector.COMMUNITY, "community", f"第{grid}网格党支部"
        elif roll < 0.93:
            kind, sector, profile, name = OrgKind.BRANCH, Sector.OFFICE_BUILDING, "building", f"商务楼宇第{n}党支部"
        elif roll < 0.97:
            kind, sector, profile, name = OrgKind.JOINT_BRANCH, Sector.NON_PUBLIC_ENTERPRISE, "joint", f"非公企业第{n}联合党支部"
        else:
            kind, sector, profile, name = OrgKind.FUNCTIONAL_BRANCH, Sector.COMMUNITY, "functional", f"志愿服务第{n}功能型党支部"
        branch = add(community, f"{community.code}-B{n:03d}", f"{home.community}{name}", kind, sector)
        branch.profile, branch.size, branch.home = profile, size, home
        branches.append(branch)
    rest = sizes[len(direct) :]
    for g in range(generals):
        sector, profile, label = GENERAL_SECTORS[g % len(GENERAL_SECTORS)]
        general = add(
            community, f"{community.code}-Z{g + 1:02d}", f"{home.community}{label}第{g + 1}党总支", OrgKind.GENERAL_BRANCH, sector
        )
        for b, size in enumerate(rest[g::generals] if generals else [], start=1):
            branch = add(general, f"{general.code}-B{b:02d}", f"{general.name[:-3]}第{b}党支部", OrgKind.BRANCH, sector)
            branch.profile, branch.size, branch.home = profile, size, home
            branches.append(branch)
    big = [b for b in branches if b.size >= 20]
    for n in range(groups):
        if not big or n >= len(big) * MAX_GROUPS_PER_BRANCH:
            break
        branch = big[n % len(big)]
        number = len(branch.groups) + 1
        kind = OrgKind.BUILDING_GROUP if branch.kind == OrgKind.GRID_BRANCH else OrgKind.PARTY_GROUP
        label = f"第{number}楼院党小组" if kind == OrgKind.BUILDING_GROUP else f"第{number}党小组"
        group = add(branch, f"{branch.code}-G{number}", f"{branch.name}{label}", kind, branch.sector)
        branch.groups.append(group.id)


# --- rows ------------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """TextChoices members as their plain value (psycopg would dump an Enum by its name)."""
    return value.value if isinstance(value, Enum) else value


def _insert_fields(model: type[Any]) -> list[Any]:
    return list(model._meta.concrete_fields)


def db_row(instance: Any, fields: list[Any], conn: Any) -> tuple[Any, ...]:
    """The values the ORM's INSERT would send: each field's pre_save, then get_db_prep_save."""
    return tuple(_plain(f.get_db_prep_save(f.pre_save(instance, True), conn)) for f in fields)


def _org_values(row: OrgRow, rng: random.Random, today: date) -> dict[str, Any]:
    founded = date(rng.randint(1980, 2015), rng.randint(1, 12), rng.randint(1, 28))
    years = term_years(row.kind, row.sector)
    started = ends = None
    if years:
        started = max(founded, add_months(today, -rng.randint(1, 12 * years - 1)))
        ends = add_months(started, 12 * years)
    return {
        "id": row.id,
        "path": row.path,
        "depth": row.depth,
        "numchild": row.numchild,
        "name": row.name[:120],
        "code": row.code,
        "kind": row.kind,
        "sector": row.sector,
        "founded_on": founded,
        "term_started_on": started,
        "term_ends_on": ends,
        "has_approval_authority": row.kind in {OrgKind.DISTRICT_COMMITTEE, OrgKind.STREET_WORKING_COMMITTEE, OrgKind.COMMUNITY_COMMITTEE},
    }


@dataclass(frozen=True)
class Chunk:
    index: int
    first_id: int
    seed: int
    today: date
    # (branch id, member count, profile, home, group ids)
    branches: tuple[tuple[int, int, str, Home, tuple[int, ...]], ...]


def chunks_of(plan: CityPlan) -> list[Chunk]:
    chunks: list[Chunk] = []
    current: list[tuple[int, int, str, Home, tuple[int, ...]]] = []
    first_id = next_id = 1
    for branch in plan.branches:
        assert branch.home is not None
        current.append((branch.id, branch.size, branch.profile, branch.home, tuple(branch.groups)))
        next_id += branch.size
        if next_id - first_id >= CHUNK_MEMBERS:
            chunks.append(Chunk(len(chunks), first_id, plan.seed, plan.today, tuple(current)))
            current, first_id = [], next_id
    if current:
        chunks.append(Chunk(len(chunks), first_id, plan.seed, plan.today, tuple(current)))
    return chunks


def people_of(chunk: Chunk) -> Iterator[dict[str, Any]]:
    """The chunk's members as model field values, from a generator seeded by (seed, chunk)."""
    rng = random.Random(f"make_city:{chunk.seed}:people:{chunk.index}")
    maker = PersonMaker(rng=rng, today=chunk.today)
    member_id = chunk.first_id
    for branch_id, size, profile, home, groups in chunk.branches:
        for n in range(size):
            status = MemberStatus.PROBATIONARY if rng.random() < PROBATIONARY_SHARE else MemberStatus.FULL
            values = maker.person(profile, home, status=status)
            values.update(id=member_id, organisation_id=branch_id, group_id=groups[n % len(groups)] if groups else None)
            if rng.random() < LEFT_SHARE:
                days = (chunk.today - values["join_date"]).days
                values["left_on"] = values["join_date"] + timedelta(days=rng.randint(1, max(days - 1, 1)))
                values["exit_reason"] = rng.choice((ExitReason.TRANSFERRED_OUT, ExitReason.DECEASED, ExitReason.TRANSFERRED_OUT))
            member_id += 1
            yield values


def member_encoder(conn: Any) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """A function giving one member's COPY row in ``concrete_fields`` order, as the ORM would write it.

    Personal data goes through the same field code as ``save()``: ``EncryptedTextField.get_db_prep_save``
    (SM4-GCM with the column's context) and ``BlindIndexField.index_for``; the month-day is the
    ``MonthDayField`` format. Other columns are plain values (Model.__init__ for a million rows
    would double the time); ``created_at``/``updated_at`` are one timestamp per call of this function.
    """
    now = timezone.now()
    steps: list[Callable[[dict[str, Any]], Any]] = []
    for f in _insert_fields(Member):
        if isinstance(f, EncryptedTextField):
            steps.append(lambda v, f=f: f.get_db_prep_save(v.get(f.attname, ""), conn))
        elif isinstance(f, BlindIndexField):
            steps.append(lambda v, f=f: f.index_for(Member, v.get(f.source) or ""))
        elif isinstance(f, MonthDayField):
            steps.append(lambda v, f=f: f"{v[f.source]:%m-%d}")
        elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            steps.append(lambda v: now)
        else:
            default = f.get_default()
            steps.append(lambda v, name=f.attname, default=default: _plain(v.get(name, default)))
    return lambda values: tuple(step(values) for step in steps)


def _encoded_chunk(chunk: Chunk) -> list[tuple[tuple[Any, ...], str]]:
    """Worker: the chunk's members as COPY rows, each with its plain ID number (checked unique by the parent)."""
    encode = member_encoder(connection)
    return [(encode(values), values["id_number"]) for values in people_of(chunk)]


def _unique_id(values_id: str, seen: set[str]) -> str:
    """Another sequence number for an ID number already given in another chunk (same region, birth, sex)."""
    region, born = values_id[:6], date(int(values_id[6:10]), int(values_id[10:12]), int(values_id[12:14]))
    sequence = int(values_id[14:17])
    for step in range(2, 1000, 2):
        candidate = make_id_number(region, born, (sequence + step) % 1000)
        if candidate not in seen:
            return candidate
    raise RuntimeError(f"no free sequence for region {region}, birth {born}")


# --- writing ---------------------------------------------------------------------------------------


def check_empty() -> None:
    orgs, members = Organisation.objects.count(), Member.objects.count()
    if orgs or members:
        root = Organisation.objects.filter(depth=1).values_list("name", flat=True).first()
        raise CityRefused(
            f"数据库中已有 {orgs} 个组织、{members} 名党员（根组织：{root or '无'}）。make_city 只在空的登记库上生成合成城市，"
            "不会与已有数据混合，也不会删除数据：请新建一个数据库（例如 createdb dangjian_city），"
            "执行 migrate 后再运行。"
        )


def make_city(
    *, members: int, orgs: int, seed: int, today: date | None = None, workers: int | None = None, log: Callable[[str], None] = print
) -> CityResult:
    """Build the city in an empty registry; returns what was written and how long each step took."""
    started = time.perf_counter()
    today = today or timezone.localdate()
    check_empty()
    plan = build_city_plan(members=members, orgs=orgs, seed=seed, today=today)
    timings: dict[str, float] = {}
    tick = time.perf_counter()
    log(f"计划：{len(plan.orgs)} 个组织（{len(plan.branches)} 个支部），{members} 名党员。")
    if connection.vendor == "postgresql":
        _write_postgresql(plan, workers or os.cpu_count() or 1, timings, log)
    else:
        _write_orm(plan, timings, log)
    timings["write"] = time.perf_counter() - tick
    bump_tables(Organisation._meta.db_table, Member._meta.db_table)  # COPY and bulk_create send no signals (core.counting)
    if connection.vendor == "postgresql":
        tick = time.perf_counter()
        with connection.cursor() as cursor:
            # VACUUM cannot run in a transaction (a caller's, in tests): ANALYZE alone there
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
            for table in (Organisation._meta.db_table, Member._meta.db_table):
                cursor.execute(f"{command} {table}")
        timings["vacuum_analyze"] = time.perf_counter() - tick
    return CityResult(len(plan.orgs), members, time.perf_counter() - started, timings, plan.notes)


def _org_instances(plan: CityPlan) -> list[Organisation]:
    rng = random.Random(f"make_city:{plan.seed}:orgs")
    return [Organisation(**_org_values(row, rng, plan.today)) for row in plan.orgs]


def _reset_sequences() -> None:
    from django.core.management.color import no_style

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Organisation, Member]):
            cursor.execute(sql)


def _write_orm(plan: CityPlan, timings: dict[str, float], log: Callable[[str], None]) -> None:
    seen: set[str] = set()
    with transaction.atomic():
        Organisation.objects.bulk_create(_org_instances(plan), batch_size=2000)
        batch: list[Member] = []
        for chunk in chunks_of(plan):
            for values in people_of(chunk):
                if values["id_number"] in seen:
                    values["id_number"] = _unique_id(values["id_number"], seen)
                seen.add(values["id_number"])
                batch.append(Member(**values))
            Member.objects.bulk_create(batch, batch_size=2000)
            batch = []
        _reset_sequences()


class _SerialPool:
    def imap(self, func: Callable[[Any], Any], items: list[Any]) -> Iterator[Any]:
        return map(func, items)


def _write_postgresql(plan: CityPlan, workers: int, timings: dict[str, float], log: Callable[[str], None]) -> None:
    org_fields = _insert_fields(Organisation)
    member_fields = _insert_fields(Member)
    id_column = [f.attname for f in member_fields].index("id_number")
    hash_column = [f.attname for f in member_fields].index("id_number_hash")
    id_field, hash_field = Member._meta.get_field("id_number"), Member._meta.get_field("id_number_hash")
    chunks = chunks_of(plan)
    seen: set[str] = set()
    written = 0
    if connection.in_atomic_block:  # inside a caller's transaction (tests): no forking with its connection open
        pool: Any = contextlib.nullcontext(_SerialPool())
    else:
        connections.close_all()  # the workers are forked: no connection may be shared with them
        pool = multiprocessing.get_context("fork").Pool(processes=max(1, workers))
    with pool as workers_pool, transaction.atomic(), connection.cursor() as cursor:
        org_columns = ", ".join(connection.ops.quote_name(f.column) for f in org_fields)
        with cursor.cursor.copy(f"COPY {Organisation._meta.db_table} ({org_columns}) FROM STDIN") as copy:
            for org in _org_instances(plan):
                copy.write_row(db_row(org, org_fields, connection))
        member_columns = ", ".join(connection.ops.quote_name(f.column) for f in member_fields)
        with cursor.cursor.copy(f"COPY {Member._meta.db_table} ({member_columns}) FROM STDIN") as copy:
            for rows in workers_pool.imap(_encoded_chunk, chunks):
                for row, plain_id in rows:
                    if plain_id in seen:  # the same number drawn in another chunk: draw the next free one
                        plain_id = _unique_id(plain_id, seen)
                        row = list(row)
                        row[id_column] = id_field.get_db_prep_save(plain_id, connection)
                        row[hash_column] = hash_field.index_for(Member, plain_id)
                    seen.add(plain_id)
                    copy.write_row(row)
                written += len(rows)
                if written % 100_000 < CHUNK_MEMBERS:
                    log(f"  已写入 {written} 名党员")
        _reset_sequences()


def counts_match(members: int, orgs_expected: int | None = None) -> bool:
    """True when the registry is exactly a city of ``members`` members made by make_city."""
    root = Organisation.objects.filter(depth=1).values_list("code", flat=True)
    if list(root) != [ROOT_CODE]:
        return False
    if orgs_expected is not None and not math.isclose(Organisation.objects.count(), orgs_expected, rel_tol=0.05, abs_tol=10):
        return False
    return Member.objects.count() == members
