"""Messages and channels: SMS, WeChat, in-app inbox; providers, quiet hours, opt-out, delivery status."""

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "dangjian.notifications"
    verbose_name = "通知"

    def ready(self) -> None:
        # a misspelt SMS_PROVIDER or a malformed endpoint stops start-up, naming the variable
        from .provider_settings import validate

        validate()
        # without a broker, the serving runserver process sends due messages and runs the daily
        # jobs itself (scheduler.should_start says when); otherwise Celery beat does
        from .scheduler import maybe_start

        maybe_start()
