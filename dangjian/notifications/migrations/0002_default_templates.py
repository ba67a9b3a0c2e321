"""Seed the default message templates (the district admin edits them; existing ones are kept)."""

from django.db import migrations

# frozen copies of notifications.templates_text.DEFAULT_TEXTS as of this migration
DEFAULTS = [
    (
        "political_birthday",
        "政治生日祝福",
        "{name}同志：今天是您的第{years}个政治生日。{join_date}，您在党旗下庄严宣誓，从此与党同心同行。感谢您多年来对党的忠诚与奉献，愿您不忘初心、牢记使命，继续发挥先锋模范作用。党组织祝您政治生日快乐！",
    ),
    ("study_topic", "学习专题：{title}", "{name}同志：{org}推送了党建学习专题《{title}》，请登录党建服务平台查看。"),
    ("general", "{title}", "{name}同志：{content}（{org}）"),
    (
        "meeting_reminder",
        "组织生活提醒：{meeting}",
        "{name}同志：{org}定于{time}在{place}召开{meeting}，请准时参加。如不能参加，请提前向党支部请假。",
    ),
    ("transfer_reminder", "组织关系接转提醒：{title}", "{name}同志：{title}，请于{deadline}前到{org}办理。"),
    ("booking_reminder", "阵地预约提醒：{base}", "{name}同志：您预约的{base}（{time}）{status}。"),
    ("task_reminder", "任务到期提醒：{task}", "{name}同志：{org}交办的“{task}”将于{deadline}到期，请按时完成。"),
]


def seed(apps, schema_editor):
    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    for kind, title, body in DEFAULTS:
        MessageTemplate.objects.get_or_create(kind=kind, defaults={"title": title, "body": body})


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
