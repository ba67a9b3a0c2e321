"""The audit log page: district admins only, filterable, readable before → after (PII-007)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dangjian.audit.models import AuditAction, AuditEvent
from dangjian.audit.services import record_event

URL = reverse("audit:list")


def _html(response) -> str:
    return response.content.decode()


def _unmask(world, member, *, actor=None, reason="核对身份", ip="10.0.0.8"):
    return record_event(
        actor=actor or world.charlie,
        action=AuditAction.UNMASK,
        obj=member,
        org_path=member.organisation.path,
        reason=reason,
        detail={"fields": ["id_number", "phone"]},
        ip=ip,
    )


def test_the_district_admin_sees_who_when_what_object_reason_and_ip(world, login):
    # given one unmask by charlie
    _unmask(world, world.a1_1_members[0], reason="办理组织关系转接核对身份")
    # when alice opens the audit log
    response = login(world.alice).get(URL)
    html = _html(response)
    # then the row names all of it in Chinese
    assert response.status_code == 200
    assert "查理" in html and "查看完整个人信息" in html and "党员" in html and world.a1_1_members[0].name in html
    assert "办理组织关系转接核对身份" in html and "10.0.0.8" in html
    assert "公民身份号码、联系电话" in html


def test_before_and_after_read_with_chinese_field_labels(world, login):
    member = world.a1_1_members[0]
    record_event(
        actor=world.charlie,
        action=AuditAction.UPDATE,
        obj=member,
        org_path=member.organisation.path,
        before={"status": "probationary", "phone": "139****0001"},
        after={"status": "full", "phone": "138****1111"},
    )
    html = _html(login(world.alice).get(URL))
    assert "党员状态" in html and "预备党员" in html and "正式党员" in html
    assert "联系电话" in html and "138****1111" in html


@pytest.mark.parametrize("persona", ["bob", "charlie", "dave", "frank", "ivan"])
def test_everyone_but_the_district_admin_is_refused_with_a_reason(world, login, persona):
    response = login(world.persona(persona)).get(URL)
    assert response.status_code == 403
    assert "审计日志仅供区委组织部管理员查看" in _html(response)


def test_filter_by_action_actor_and_object_type(world, login):
    # given an unmask by charlie and one by erin, and a login
    _unmask(world, world.a1_1_members[0])
    _unmask(world, world.a1_2_members[0], actor=world.erin)
    record_event(actor=world.bob, action=AuditAction.LOGIN, obj=world.bob)
    client = login(world.alice)
    # when alice filters unmasks by 艾琳
    page = client.get(URL, {"action": "unmask", "actor": "艾琳", "object_type": "members.Member"}).context["page"]
    # then only erin's row is left
    assert [e.actor_id for e in page] == [world.erin.pk]


def test_filter_by_organisation_subtree(world, login):
    _unmask(world, world.a1_1_members[0])
    _unmask(world, world.b1_1_members[0], actor=world.frank)
    page = login(world.alice).get(URL, {"org": world.street_b.pk}).context["page"]
    assert [e.object_id for e in page] == [str(world.b1_1_members[0].pk)]


def test_filter_by_date_range(world, login):
    # given an unmask today (audit rows are append-only, so their time cannot be back-dated)
    event = _unmask(world, world.a1_1_members[0])
    today = timezone.localdate()
    client = login(world.alice)
    # then a range ending yesterday or starting tomorrow leaves it out, one covering today keeps it
    yesterday, tomorrow = (today - timedelta(days=1)).isoformat(), (today + timedelta(days=1)).isoformat()
    assert event not in client.get(URL, {"until": yesterday}).context["page"].object_list
    assert event not in client.get(URL, {"since": tomorrow}).context["page"].object_list
    assert event in client.get(URL, {"since": today.isoformat(), "until": today.isoformat()}).context["page"].object_list


def test_a_reversed_date_range_is_explained_not_an_error_page(world, login):
    response = login(world.alice).get(URL, {"since": "2026-05-01", "until": "2026-04-01"})
    assert response.status_code == 200
    assert "早于起始日期" in _html(response)


AUDIT_QUERIES = 8  # incl. the header's unread 站内信 count


def test_the_audit_log_runs_the_same_number_of_queries_for_1_and_50_rows(world, login, django_assert_max_num_queries):
    client = login(world.alice)
    base = AuditEvent.objects.count()
    _unmask(world, world.a1_1_members[0])
    with django_assert_max_num_queries(AUDIT_QUERIES) as one:
        assert len(client.get(URL, {"action": "unmask"}).context["page"].object_list) == 1
    for i in range(49):
        _unmask(world, world.a1_1_members[i % 4], actor=[world.charlie, world.erin][i % 2])
    with django_assert_max_num_queries(AUDIT_QUERIES) as fifty:
        assert len(client.get(URL, {"action": "unmask"}).context["page"].object_list) == 50
    assert len(one.captured_queries) == len(fifty.captured_queries)
    assert AuditEvent.objects.count() == base + 50
