from django.apps import AppConfig


class TransfersConfig(AppConfig):
    name = "dangjian.transfers"
    verbose_name = "组织关系接转"
    # daily jobs of this app: name -> "module.function(*, day) -> dict" (collected by notifications.scheduler)
    daily_jobs: dict[str, str] = {"transfer_reminders": "dangjian.transfers.reminders.send_transfer_reminders"}
