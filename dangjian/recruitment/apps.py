from django.apps import AppConfig


class RecruitmentConfig(AppConfig):
    name = "dangjian.recruitment"
    verbose_name = "发展党员"
    # daily jobs of this app: name -> "module.function(*, day) -> dict" (collected by notifications.scheduler)
    daily_jobs: dict[str, str] = {"development_deadlines": "dangjian.recruitment.jobs.warn_deadlines"}
