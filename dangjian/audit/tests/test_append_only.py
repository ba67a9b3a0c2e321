"""The audit log is append-only (PII-007): no path through the ORM changes or removes an event."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from dangjian.audit.models import AppendOnlyError, AuditAction, AuditEvent
from dangjian.audit.selectors import audit_events_visible_to, filter_audit_events
from dangjian.audit.services import client_ip, record_event
from dangjian.core.scope import Scope


@pytest.fixture
def event(db):
    return record_event(actor=None, action=AuditAction.EXPORT, object_type="members.Member", org_path="00010001", reason="年报")


def test_PII_007_a_recorded_event_cannot_be_saved_again(event):
    event.reason = "改过的事由"
    with pytest.raises(AppendOnlyError):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).reason == "年报"


def test_PII_007_a_recorded_event_cannot_be_deleted(event):
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_PII_007_bulk_update_and_delete_through_the_queryset_are_refused(event):
    # given an event
    # when changed or removed in bulk (the paths that bypass save() and delete())
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(reason="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.bulk_update([event], ["reason"])
    # then the event is unchanged
    assert AuditEvent.objects.get(pk=event.pk).reason == "年报"


def test_PII_007_a_loaded_event_cannot_be_resaved_under_a_new_pk(event):
    loaded = AuditEvent.objects.get(pk=event.pk)
    loaded.pk = None
    loaded.id = None
    with pytest.raises(AppendOnlyError):
        loaded.save()


def test_record_event_names_the_actor_or_system(event, django_user_model):
    # given an event without actor and one with
    user = django_user_model.objects.create_user(username="u1", password="x" * 12, display_name="查理")
    with_actor = record_event(actor=user, action=AuditAction.LOGIN)
    # then the actor name is kept as text (it survives renames)
    assert event.actor_name == "系统" and event.actor is None
    assert with_actor.actor_name == "查理" and with_actor.actor == user


def test_only_district_admins_browse_the_audit_log(event):
    assert list(audit_events_visible_to(Scope(user_id=1, roles={"district_admin": ("0001",)}))) == [event]
    assert not audit_events_visible_to(Scope(user_id=2, roles={"org_admin": ("00010001",)})).exists()


def test_audit_filter_by_subtree_action_and_dates(event):
    other = record_event(actor=None, action=AuditAction.UNMASK, org_path="00010002", reason="核对")
    events = AuditEvent.objects.all()
    today = timezone.localdate()
    assert list(filter_audit_events(events, org_path="00010001")) == [event]
    assert list(filter_audit_events(events, action=AuditAction.UNMASK)) == [other]
    assert filter_audit_events(events, since=today, until=today).count() == 2
    assert not filter_audit_events(events, since=today + timedelta(days=1)).exists()
    assert not filter_audit_events(events, until=date(2000, 1, 1)).exists()


def test_client_ip_ignores_a_forwarded_header_when_no_proxy_is_trusted(rf, settings):
    # given no trusted proxy (the default) and a client that sends its own X-Forwarded-For
    settings.TRUSTED_PROXY_COUNT = 0
    request = rf.get("/", HTTP_X_FORWARDED_FOR="1.2.3.4", REMOTE_ADDR="192.168.1.2")
    # then the audit log records the real peer, not the forged address
    assert client_ip(request) == "192.168.1.2"
    assert client_ip(None) is None


def test_client_ip_behind_one_proxy_takes_the_address_the_proxy_appended(rf, settings):
    # given nginx in front, which appends the peer it saw to whatever the client sent
    settings.TRUSTED_PROXY_COUNT = 1
    request = rf.get("/", HTTP_X_FORWARDED_FOR="1.2.3.4, 10.0.0.7", REMOTE_ADDR="127.0.0.1")
    # then the right-most entry is the client; the client-written left part is ignored
    assert client_ip(request) == "10.0.0.7"


def test_client_ip_never_returns_something_that_is_not_an_address(rf, settings):
    # given a garbage forwarded value (it would make the audit insert fail on PostgreSQL's inet)
    settings.TRUSTED_PROXY_COUNT = 1
    request = rf.get("/", HTTP_X_FORWARDED_FOR="<script>", REMOTE_ADDR="127.0.0.1")
    # then the peer address is used instead
    assert client_ip(request) == "127.0.0.1"
    assert client_ip(rf.get("/", REMOTE_ADDR="")) is None
