"""推送党建学习专题: publishing to the current members of a subtree, opening once, per-branch counts
only (LIFE-020, LIFE-023), attachment checks and the pages."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.audit.models import AuditEvent
from dangjian.core.rules import RuleViolation
from dangjian.core.scope import Scope
from dangjian.members import study
from dangjian.members.models import Member
from dangjian.members.tests.factories import make_member
from dangjian.notifications.attachments import MAX_BYTES, check_attachment
from dangjian.notifications.choices import Channel, ChannelChoice, MessageKind, MessageStatus
from dangjian.notifications.models import Message, NotificationPreference, StudyTopic, StudyTopicDelivery

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _ooxml(part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr(f"{part}/document.xml", "<x/>")
    return buffer.getvalue()


def _scope(user) -> Scope:
    from dangjian.accounts.scopes import build_scope

    return build_scope(user)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _publish(world, user, org, **extra):
    values = {"title": "学习二十届四中全会精神", "body": "请认真学习全会公报。", "links": "", "attachment": None}
    values.update(extra)
    return study.publish_study_topic(actor=user, scope=_scope(user), organisation_id=org.pk, **values)


# --- publishing -------------------------------------------------------------------------------


def test_publishing_reaches_the_current_members_of_the_subtree_only(world):
    # given a member of A1-1 who left last month
    left = make_member(world.branch_a1_1, "已转出", left_on=date(2026, 1, 5), exit_reason="transfer_out")
    # when bob publishes a topic to community A1
    topic = _publish(world, world.bob, world.community_a1)
    # then every current member of A1-1 and A1-2 has a delivery, nobody of B1-1 and not the one who left
    delivered = set(StudyTopicDelivery.objects.filter(topic=topic).values_list("member_id", flat=True))
    current = {m.pk for m in world.a1_1_members + world.a1_2_members}
    assert delivered == current
    assert left.pk not in delivered
    assert not delivered & {m.pk for m in world.b1_1_members}


def test_a_member_with_an_account_gets_an_inbox_copy_linked_to_the_topic(world, login):
    # when charlie publishes to his branch
    topic = _publish(world, world.charlie, world.branch_a1_1)
    # then dave (who has an account) has the topic in his inbox, pointing at the topic page
    copy = Message.objects.get(recipient_user=world.dave, channel=Channel.INBOX, kind=MessageKind.STUDY_TOPIC)
    assert copy.link == f"/study/{topic.pk}/"
    assert "学习二十届四中全会精神" in copy.body or "学习二十届四中全会精神" in copy.title
    delivery = StudyTopicDelivery.objects.get(topic=topic, member=world.dave_member)
    assert delivery.inbox_message_id == copy.pk and delivery.branch_id == world.branch_a1_1.pk
    # and it is in his inbox page
    assert "学习二十届四中全会精神" in login(world.dave).get("/notifications/inbox/").content.decode()


def test_members_who_chose_sms_get_an_sms_notice_and_no_message_reaches_the_one_who_left(world):
    # given a member of A1-1 who left
    left = make_member(world.branch_a1_1, "已去世", left_on=date(2025, 12, 1), exit_reason="death")
    # when charlie publishes
    _publish(world, world.charlie, world.branch_a1_1)
    # then the members without accounts have an SMS notice each, and the one who left has nothing
    sms = Message.objects.filter(kind=MessageKind.STUDY_TOPIC, channel=Channel.SMS)
    assert set(sms.values_list("recipient_member_id", flat=True)) == {m.pk for m in world.a1_1_members}
    assert not Message.objects.filter(recipient_member=left).exists()


def test_an_opted_out_member_gets_no_notice_but_still_finds_the_topic(world, login):
    # given dave opted out of non-essential messages
    NotificationPreference.objects.create(member=world.dave_member, channel=ChannelChoice.SMS, opt_out_non_essential=True)
    # when charlie publishes
    topic = _publish(world, world.charlie, world.branch_a1_1)
    # then dave's notices are skipped for that reason, and the topic is listed for him
    notices = Message.objects.filter(recipient_member=world.dave_member, kind=MessageKind.STUDY_TOPIC)
    assert notices and all(m.status == MessageStatus.SKIPPED for m in notices)
    assert "不接收非必要通知" in notices[0].skip_reason
    assert topic.title in login(world.dave).get("/study/").content.decode()


def test_publishing_is_audited_once_with_the_number_of_recipients(world):
    topic = _publish(world, world.charlie, world.branch_a1_1)
    event = AuditEvent.objects.get(object_type="notifications.StudyTopic", object_id=str(topic.pk))
    assert event.actor == world.charlie and event.org_path == world.branch_a1_1.path
    assert event.detail == {"recipients": len(world.a1_1_members)}


def test_publishing_outside_the_subtree_is_not_found(world):
    # when erin (A1-2) tries to publish to A1-1, then it is as if A1-1 did not exist
    from django.http import Http404

    with pytest.raises(Http404):
        _publish(world, world.erin, world.branch_a1_1)
    assert not StudyTopic.objects.exists()


def test_a_subtree_without_current_members_is_refused(world):
    # given every member of A1-2 has left
    Member.objects.filter(organisation=world.branch_a1_2).update(left_on=date(2026, 1, 1), exit_reason="transfer_out")
    # then publishing there is refused in Chinese and nothing is written
    with pytest.raises(RuleViolation, match="没有在册党员"):
        _publish(world, world.erin, world.branch_a1_2)
    assert not StudyTopic.objects.exists() and not Message.objects.exists()


@pytest.mark.parametrize(
    ("links", "line"),
    [("https://www.12371.cn/\nftp://files.example.com/a.pdf", 2), ("javascript:alert(1)", 1), ("www.12371.cn", 1)],
)
def test_links_must_be_http_addresses_one_per_line(world, links, line):
    with pytest.raises(RuleViolation, match=f"第 {line} 行"):
        _publish(world, world.charlie, world.branch_a1_1, links=links)


def test_good_links_are_kept_once_each_without_blank_lines(world):
    topic = _publish(world, world.charlie, world.branch_a1_1, links="https://a.example/x\n\n  http://b.example/y  \nhttps://a.example/x")
    assert topic.links == "https://a.example/x\nhttp://b.example/y"


# --- attachments --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("公报.pdf", PDF),
        ("图.png", PNG),
        ("照片.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 20),
        ("材料.docx", _ooxml("word")),
        ("表.xlsx", _ooxml("xl")),
        ("课件.pptx", _ooxml("ppt")),
    ],
)
def test_allowed_attachments_pass_by_extension_and_content(name, content):
    assert check_attachment(SimpleUploadedFile(name, content)) == name.rsplit(".", 1)[1]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("程序.exe", b"MZ\x90\x00", "类型不能上传"),
        ("无扩展名", PDF, "类型不能上传"),
        ("假的.pdf", b"MZ\x90\x00 not a pdf", "内容不是PDF 文档"),
        ("表格改名.docx", _ooxml("xl"), "内容不是Word 文档"),
        ("坏压缩包.xlsx", b"PK\x03\x04broken", "内容不是Excel 表格"),
        ("图片.png", PDF, "内容不是PNG 图片"),
        ("空.pdf", b"", "空文件"),
    ],
)
def test_attachments_are_refused_by_type_and_by_content(name, content, message):
    with pytest.raises(RuleViolation, match=message):
        check_attachment(SimpleUploadedFile(name, content))


def test_an_attachment_over_ten_megabytes_is_refused():
    upload = SimpleUploadedFile("大文件.pdf", PDF + b"0" * (MAX_BYTES - len(PDF) + 1))
    with pytest.raises(RuleViolation, match="超过 10 MB"):
        check_attachment(upload)


def test_an_attachment_of_exactly_ten_megabytes_is_accepted():
    assert check_attachment(SimpleUploadedFile("刚好.pdf", PDF + b"0" * (MAX_BYTES - len(PDF)))) == "pdf"


def test_the_publish_page_refuses_a_renamed_program_in_chinese(world, login):
    # when charlie uploads an .exe renamed to .pdf
    response = login(world.charlie).post(
        "/study/new/",
        {
            "organisation": world.branch_a1_1.pk,
            "title": "标题",
            "body": "正文",
            "attachment": SimpleUploadedFile("学习材料.pdf", b"MZ\x90\x00 program"),
        },
    )
    # then the form names the file and the problem, and nothing is published
    assert response.status_code == 422
    assert "附件“学习材料.pdf”的内容不是PDF 文档" in response.content.decode()
    assert not StudyTopic.objects.exists()


# --- opening and counting -------------------------------------------------------------------------


def test_opening_twice_counts_once(world):
    # given a topic to A1-1
    topic = _publish(world, world.charlie, world.branch_a1_1)
    # when dave opens it twice
    first = study.open_study_topic(member=world.dave_member, topic_id=topic.pk)
    second = study.open_study_topic(member=world.dave_member, topic_id=topic.pk)
    # then only the first counts, and the count is one
    assert (first, second) == (True, False)
    [row] = study.study_topic_counts(topic)
    assert (row.delivered, row.opened) == (len(world.a1_1_members), 1)


def test_opening_the_topic_page_records_it_once_and_marks_the_inbox_copy_read(world, login):
    # given a topic to A1-1 and dave's unread inbox copy
    topic = _publish(world, world.charlie, world.branch_a1_1)
    client = login(world.dave)
    # when dave opens the topic page twice
    assert client.get(f"/study/{topic.pk}/").status_code == 200
    delivery = StudyTopicDelivery.objects.get(topic=topic, member=world.dave_member)
    first_opened = delivery.opened_at
    client.get(f"/study/{topic.pk}/")
    # then the first opening time stays and his inbox copy is read
    delivery.refresh_from_db()
    assert first_opened is not None and delivery.opened_at == first_opened
    assert Message.objects.get(pk=delivery.inbox_message_id).read_at is not None


def test_counts_are_per_branch_for_a_topic_to_a_community(world):
    # given a topic to community A1, opened by two members of A1-1 and one of A1-2
    topic = _publish(world, world.bob, world.community_a1)
    for member in [world.a1_1_members[0], world.a1_1_members[1], world.a1_2_members[0]]:
        study.open_study_topic(member=member, topic_id=topic.pk)
    # then the counts are per branch
    counts = {(c.branch_name, c.delivered, c.opened) for c in study.study_topic_counts(topic)}
    assert counts == {
        (world.branch_a1_1.name, len(world.a1_1_members), 2),
        (world.branch_a1_2.name, len(world.a1_2_members), 1),
    }


def test_an_admin_sees_the_counts_of_the_branches_in_his_subtree_only(world):
    # given a district-wide topic
    topic = _publish(world, world.alice, world.district)
    # when erin (secretary of A1-2) reads the counts
    counts = study.study_topic_counts(topic, _scope(world.erin))
    # then only A1-2 is there
    assert [c.branch_id for c in counts] == [world.branch_a1_2.pk]


def test_LIFE_020_counts_carry_no_member_identity_and_no_study_time(world):
    # given a topic opened by dave
    topic = _publish(world, world.charlie, world.branch_a1_1)
    study.open_study_topic(member=world.dave_member, topic_id=topic.pk)
    # then a count row holds the branch and two numbers, nothing about a person or a duration
    [row] = study.study_topic_counts(topic)
    assert [f.name for f in dataclasses.fields(row)] == ["branch_id", "branch_name", "delivered", "opened"]
    # and the study module offers no reader of who opened, how long or how often
    public = {name for name in dir(study) if not name.startswith("_")}
    assert not {n for n in public if any(w in n for w in ("who", "reader", "duration", "time_spent", "checkin", "rank"))}


def test_LIFE_020_the_admins_topic_page_names_no_member_who_opened(world, login):
    # given dave opened the topic
    topic = _publish(world, world.charlie, world.branch_a1_1)
    study.open_study_topic(member=world.dave_member, topic_id=topic.pk)
    # when charlie (the secretary) opens the topic page and the list
    client = login(world.charlie)
    pages = client.get(f"/study/{topic.pk}/").content.decode() + client.get("/study/").content.decode()
    # then the counts are there, but no member's name
    assert "已打开人数" in pages
    assert not [m.name for m in Member.objects.filter(organisation=world.branch_a1_1) if m.name in pages]


def test_LIFE_020_opening_a_topic_writes_no_audit_row(world):
    # an audit row per opening would be a per-member reading log
    topic = _publish(world, world.charlie, world.branch_a1_1)
    before = AuditEvent.objects.count()
    study.open_study_topic(member=world.dave_member, topic_id=topic.pk)
    assert AuditEvent.objects.count() == before


def test_LIFE_023_branches_are_listed_in_tree_order_never_ranked_by_openings(world):
    # given A1-2 (later in the tree) with more openings than A1-1
    topic = _publish(world, world.bob, world.community_a1)
    for member in world.a1_2_members:
        study.open_study_topic(member=member, topic_id=topic.pk)
    # then A1-1 still comes first: the order is the tree's, not a ranking
    assert [c.branch_id for c in study.study_topic_counts(topic)] == [world.branch_a1_1.pk, world.branch_a1_2.pk]


# --- pages and permissions ------------------------------------------------------------------------


def test_a_secretary_publishes_to_his_branch_from_the_form(world, login):
    # when charlie fills in the form (his only branch is preselected) with a link and a PDF
    client = login(world.charlie)
    page = client.get("/study/new/").content.decode()
    assert f'<option value="{world.branch_a1_1.pk}" selected' in page
    response = client.post(
        "/study/new/",
        {
            "organisation": world.branch_a1_1.pk,
            "title": "七一主题学习",
            "body": "学习材料见附件。",
            "links": "https://www.12371.cn/",
            "attachment": SimpleUploadedFile("学习材料.pdf", PDF),
        },
    )
    # then the topic page opens with the per-branch counts
    topic = StudyTopic.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/study/{topic.pk}/"
    html = client.get(response["Location"]).content.decode()
    assert "七一主题学习" in html and "送达人数" in html and "学习材料.pdf" in html


def test_the_organisation_choices_hold_only_the_callers_subtree(world, login):
    html = login(world.bob).get("/study/new/").content.decode()
    assert world.community_a1.name in html and world.branch_a1_2.name in html
    assert world.street_b.name not in html and world.branch_b1_1.name not in html


def test_an_organisation_from_outside_posted_anyway_is_refused(world, login):
    response = login(world.charlie).post("/study/new/", {"organisation": world.branch_b1_1.pk, "title": "标题", "body": "正文"})
    assert response.status_code == 422 and "不在您的管理范围内" in response.content.decode()
    assert not StudyTopic.objects.exists()


@pytest.mark.parametrize("persona", ["dave", "grace", "ivan"])
def test_roles_without_a_subtree_cannot_publish(world, login, persona):
    response = login(world.persona(persona)).post("/study/new/", {"organisation": world.branch_a1_1.pk, "title": "t", "body": "b"})
    assert response.status_code == 403 and "党支部书记" in response.content.decode()


def test_a_resident_without_topics_gets_a_reason_on_the_list(world, login):
    assert login(world.ivan).get("/study/").status_code == 403


def test_the_attachment_goes_to_recipients_and_admins_only(world, login):
    # given a topic to A1-1 with a PDF
    topic = _publish(world, world.charlie, world.branch_a1_1, attachment=SimpleUploadedFile("公报.pdf", PDF))
    url = f"/study/{topic.pk}/attachment/"
    # then dave (recipient), charlie and bob (admins above) download it
    for persona in ("dave", "charlie", "bob"):
        response = login(world.persona(persona)).get(url)
        assert response.status_code == 200, persona
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf" and "attachment" in response["Content-Disposition"]
    # and erin (A1-2) and frank (street B) find nothing
    for persona in ("erin", "frank"):
        assert login(world.persona(persona)).get(url).status_code == 404, persona


def test_the_attachment_is_not_under_a_public_media_address(world, login):
    topic = _publish(world, world.charlie, world.branch_a1_1, attachment=SimpleUploadedFile("公报.pdf", PDF))
    html = login(world.dave).get(f"/study/{topic.pk}/").content.decode()
    assert "/media/" not in html and f"/study/{topic.pk}/attachment/" in html


def test_a_member_of_another_branch_cannot_open_the_topic(world, login):
    # given a topic to A1-1 and a member of A1-2 with an account
    topic = _publish(world, world.charlie, world.branch_a1_1)
    other = world.a1_2_members[0]
    Member.objects.filter(pk=other.pk).update(user=world.heidi)
    # then the page answers 404 for him
    assert login(world.heidi).get(f"/study/{topic.pk}/").status_code == 404


def test_the_topic_list_runs_the_same_number_of_queries_for_one_and_for_many_topics(world, login):
    # given one topic, then five more
    client = login(world.bob)
    _publish(world, world.bob, world.community_a1)
    client.get("/study/")
    with CaptureQueriesContext(connection) as one:
        assert client.get("/study/").status_code == 200
    for n in range(5):
        _publish(world, world.bob, world.community_a1, title=f"专题{n}")
    with CaptureQueriesContext(connection) as six:
        assert client.get("/study/").status_code == 200
    assert len(one) == len(six)


def _member_page(world, login) -> str:
    topic = _publish(world, world.charlie, world.branch_a1_1, attachment=SimpleUploadedFile("公报.pdf", PDF))
    return login(world.dave).get(f"/study/{topic.pk}/").content.decode()


def test_LIFE_020_the_reading_page_has_no_timer_and_no_study_time(world, login):
    html = _member_page(world, login)
    main = html.split('<main id="main">', 1)[1]
    assert "<script" not in main
    assert not [w for w in ("学习时长", "计时", "积分", "排名") if w in main]


def test_LIFE_022_the_reading_page_has_no_check_in(world, login):
    """LIFE-022: no daily check-in (打卡) on the study page."""
    # reading is not a daily check-in: the member's page posts nothing and offers no 打卡 or 签到
    main = _member_page(world, login).split('<main id="main">', 1)[1]
    assert "<form" not in main
    assert "打卡" not in main and "签到" not in main


def test_LIFE_024_no_photo_or_screenshot_is_asked_of_the_reader(world, login):
    """LIFE-024: no photo or screenshot demanded as proof."""
    # no proof of study is required: nothing can be uploaded on the reading page
    main = _member_page(world, login).split('<main id="main">', 1)[1]
    assert 'type="file"' not in main
    assert "截图" not in main and "上传" not in main
