"""The world: 区 → streets A and B → community A1 → branches A1-1, A1-2; personas (STYLE.md §6)."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from typing import Any

import pytest

from dangjian.accounts.choices import Role
from dangjian.accounts.models import RoleGrant, User
from dangjian.members.models import Member
from dangjian.members.tests.factories import make_member
from dangjian.organisations.choices import OrgKind
from dangjian.organisations.models import Organisation
from dangjian.organisations.tests.factories import make_org

PASSWORD = "Dangjian!2026"


@dataclass
class World:
    district: Organisation
    street_a: Organisation
    street_b: Organisation
    community_a1: Organisation
    community_b1: Organisation
    branch_a1_1: Organisation
    branch_a1_2: Organisation
    branch_b1_1: Organisation
    alice: User  # district admin
    bob: User  # street A org admin
    charlie: User  # branch A1-1 secretary
    dave: User  # A1-1 member
    erin: User  # A1-2 secretary (outsider to A1-1)
    frank: User  # street B admin
    grace: User  # base keeper
    heidi: User  # unit liaison
    ivan: User  # resident
    dave_member: Member
    a1_1_members: list[Member]
    a1_2_members: list[Member]
    b1_1_members: list[Member]

    def persona(self, name: str) -> User:
        return getattr(self, name)


def _user(username: str, display: str, *grants: tuple[str, Organisation]) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, display_name=display)
    for role, org in grants:
        RoleGrant.objects.create(user=user, role=role, organisation=org)
    return user


def build_world() -> World:
    district = make_org(None, "测试区委", OrgKind.DISTRICT_COMMITTEE, code="D0")
    street_a = make_org(district, "甲街道党工委", OrgKind.STREET_WORKING_COMMITTEE, code="SA")
    street_b = make_org(district, "乙街道党工委", OrgKind.STREET_WORKING_COMMITTEE, code="SB")
    community_a1 = make_org(street_a, "甲一社区党委", OrgKind.COMMUNITY_COMMITTEE, code="CA1")
    community_b1 = make_org(street_b, "乙一社区党委", OrgKind.COMMUNITY_COMMITTEE, code="CB1")
    branch_a1_1 = make_org(community_a1, "甲一社区第一网格党支部", OrgKind.GRID_BRANCH, code="BA11")
    branch_a1_2 = make_org(community_a1, "甲一社区第二网格党支部", OrgKind.GRID_BRANCH, code="BA12")
    branch_b1_1 = make_org(community_b1, "乙一社区第一网格党支部", OrgKind.GRID_BRANCH, code="BB11")
    a1_1 = [make_member(branch_a1_1) for _ in range(3)]
    a1_2 = [make_member(branch_a1_2) for _ in range(3)]
    b1_1 = [make_member(branch_b1_1) for _ in range(3)]
    dave_member = make_member(branch_a1_1, "戴维")
    dave = _user("dave", "戴维", (Role.MEMBER, branch_a1_1))
    dave_member.user = dave
    dave_member.save()
    return World(
        district=district,
        street_a=street_a,
        street_b=street_b,
        community_a1=community_a1,
        community_b1=community_b1,
        branch_a1_1=branch_a1_1,
        branch_a1_2=branch_a1_2,
        branch_b1_1=branch_b1_1,
        alice=_user("alice", "艾丽斯", (Role.DISTRICT_ADMIN, district)),
        bob=_user("bob", "鲍勃", (Role.ORG_ADMIN, street_a)),
        charlie=_user("charlie", "查理", (Role.BRANCH_SECRETARY, branch_a1_1)),
        dave=dave,
        erin=_user("erin", "艾琳", (Role.BRANCH_SECRETARY, branch_a1_2)),
        frank=_user("frank", "弗兰克", (Role.ORG_ADMIN, street_b)),
        grace=_user("grace", "格蕾丝", (Role.BASE_KEEPER, community_a1)),
        heidi=_user("heidi", "海蒂", (Role.UNIT_LIAISON, community_a1)),
        ivan=_user("ivan", "伊万", (Role.RESIDENT, community_a1)),
        dave_member=dave_member,
        a1_1_members=[*a1_1, dave_member],
        a1_2_members=a1_2,
        b1_1_members=b1_1,
    )


@pytest.fixture
def world(db: Any) -> World:
    return build_world()


@pytest.fixture
def login(client: Any) -> Any:
    """login("alice") logs the test client in as a persona (of the world fixture)."""

    def _login(user: User) -> Any:
        client.force_login(user)
        return client

    return _login


def _postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://...")
    skip_redis = pytest.mark.skip(reason="needs Redis: set REDIS_URL=redis://...")
    skip_browser = pytest.mark.skip(reason="needs Debian chromium on PATH (apt-get install chromium fonts-noto-cjk)")
    for item in items:
        if "postgres" in item.keywords and not _postgres():
            item.add_marker(skip_pg)
        if "redis" in item.keywords and not os.environ.get("REDIS_URL"):
            item.add_marker(skip_redis)
        if "browser" in item.keywords and not shutil.which("chromium"):
            item.add_marker(skip_browser)
