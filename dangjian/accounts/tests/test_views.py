"""Login in Chinese, lockout after repeated failures (django-axes), the large-font switch."""

from __future__ import annotations

from django.urls import reverse

from conftest import PASSWORD
from dangjian.accounts.choices import TREE_ROLES
from dangjian.audit.models import AuditAction, AuditEvent
from dangjian.organisations import permissions as org_permissions

LOGIN = reverse("accounts:login")


def _html(response) -> str:
    return response.content.decode()


def test_the_login_page_is_in_chinese(db, client):
    html = _html(client.get(LOGIN))
    assert "登录党建服务平台" in html and "用户名" in html and "密码" in html


def test_anonymous_pages_redirect_to_the_login_page(db, client):
    response = client.get(reverse("members:list"))
    assert response.status_code == 302 and response.url.startswith(LOGIN)


def test_a_wrong_password_is_answered_in_chinese_with_the_lockout_rule(world, client):
    response = client.post(LOGIN, {"username": "alice", "password": "wrong-password"})
    html = _html(response)
    assert response.status_code == 200
    assert "用户名或密码不正确" in html and "锁定" in html


def test_a_district_admin_lands_on_the_organisation_tree(world, client):
    response = client.post(LOGIN, {"username": "alice", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("organisations:tree")
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN, actor=world.alice).exists()


def test_a_member_lands_on_their_own_record(world, client):
    response = client.post(LOGIN, {"username": "dave", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("members:me")


def test_five_failures_lock_the_account_with_a_chinese_page_even_for_the_right_password(world, client):
    # given five wrong passwords for charlie
    for _ in range(5):
        last = client.post(LOGIN, {"username": "charlie", "password": "wrong-password"})
    # then the fifth answer is the locked-out page
    assert last.status_code == 429
    assert "账号已暂时锁定" in _html(last) and "30 分钟" in _html(last) and "联系所在党组织管理员" in _html(last)
    # and the right password is refused too, while locked
    response = client.post(LOGIN, {"username": "charlie", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action=AuditAction.LOCKOUT).exists()


def test_four_failures_do_not_lock(world, client):
    for _ in range(4):
        client.post(LOGIN, {"username": "charlie", "password": "wrong-password"})
    response = client.post(LOGIN, {"username": "charlie", "password": PASSWORD})
    assert response.status_code == 302


def test_large_font_mode_is_stored_on_the_user_and_stays_on(world, client):
    # given erin logged in
    client.force_login(world.erin)
    # when she switches large-font mode on
    response = client.post(reverse("accounts:large_font"), {"next": reverse("members:list")})
    # then it is kept on her account and every page carries it, also in a new session
    assert response.status_code == 302 and response.url == reverse("members:list")
    world.erin.refresh_from_db()
    assert world.erin.large_font is True
    client.logout()
    client.force_login(world.erin)
    assert 'class="large-font"' in _html(client.get(reverse("members:list")))
    # when she switches it off again
    client.post(reverse("accounts:large_font"))
    world.erin.refresh_from_db()
    assert world.erin.large_font is False
    assert 'class="large-font"' not in _html(client.get(reverse("members:list")))


def test_large_font_switch_is_post_only(world, client):
    client.force_login(world.erin)
    assert client.get(reverse("accounts:large_font")).status_code == 405


def test_the_tree_roles_in_organisations_mirror_the_accounts_roles():
    assert set(org_permissions.TREE_ROLES) == {str(r) for r in TREE_ROLES}
