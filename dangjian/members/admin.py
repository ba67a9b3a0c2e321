from django.contrib import admin

from .models import Member


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    """Names and organisations only: personal data is never shown in the admin (use the registry pages)."""

    list_display = ("name", "gender", "status", "organisation", "join_date")
    list_filter = ("status", "gender")
    search_fields = ("name",)
    fields = ("name", "gender", "status", "organisation", "join_date", "full_date")
    readonly_fields = fields

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
