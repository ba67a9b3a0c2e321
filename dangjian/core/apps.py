from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class CoreConfig(AppConfig):
    name = "dangjian.core"
    verbose_name = "基础"

    def ready(self) -> None:
        from .counting import bump_model

        # every ORM save/delete invalidates the cached list totals that read its table (core.counting)
        post_save.connect(bump_model, dispatch_uid="core.counting.save")
        post_delete.connect(bump_model, dispatch_uid="core.counting.delete")
