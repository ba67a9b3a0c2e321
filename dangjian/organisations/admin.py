from django.contrib import admin

from .models import CommitteeSeat, Organisation, Unit


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    """Browse only; tree changes go through the services (pages or API) so history is kept."""

    list_display = ("name", "code", "kind", "sector", "depth", "dissolved_on")
    list_filter = ("kind", "sector")
    search_fields = ("name", "code")
    readonly_fields = ("path", "depth", "numchild")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("name", "sector", "area_organisation", "party_organisation")
    list_filter = ("sector",)
    search_fields = ("name", "credit_code")
    autocomplete_fields = ("area_organisation", "party_organisation")


@admin.register(CommitteeSeat)
class CommitteeSeatAdmin(admin.ModelAdmin):
    list_display = ("organisation", "post", "person_name", "member", "is_part_time", "started_on", "ended_on")
    list_filter = ("post", "is_part_time")
    raw_id_fields = ("organisation", "member")
