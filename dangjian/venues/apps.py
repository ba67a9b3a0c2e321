from django.apps import AppConfig


class VenuesConfig(AppConfig):
    name = "dangjian.venues"
    verbose_name = "开放式组织生活基地"
    # daily jobs of this app: name -> "module.function(*, day) -> dict" (collected by notifications.scheduler)
    daily_jobs: dict[str, str] = {
        "venues_booking_reminders": "dangjian.venues.services.send_reminders",
        "venues_no_shows": "dangjian.venues.services.mark_no_shows",
    }
