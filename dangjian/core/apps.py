from django.apps import AppConfig, apps
from django.db.models.signals import post_delete, post_save

# the models whose tables the cached list totals read (core.counting, ADR 0013)
CACHED_TOTAL_MODELS = ("members.Member", "organisations.Organisation")


class CoreConfig(AppConfig):
    name = "dangjian.core"
    verbose_name = "基础"

    def ready(self) -> None:
        from .counting import bump_model

        # a save/delete of these models invalidates the cached list totals that read their tables
        for label in CACHED_TOTAL_MODELS:
            model = apps.get_model(label)
            post_save.connect(bump_model, sender=model, dispatch_uid=f"core.counting.save.{label}")
            post_delete.connect(bump_model, sender=model, dispatch_uid=f"core.counting.delete.{label}")
