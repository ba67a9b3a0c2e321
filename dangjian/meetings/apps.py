from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "dangjian.meetings"
    verbose_name = "组织生活"
    # daily jobs of this app: name -> "module.function(*, day) -> dict" (collected by notifications.scheduler)
    daily_jobs: dict[str, str] = {"meeting_reminder_sheet": "dangjian.meetings.reminders.send_monthly_reminders"}
