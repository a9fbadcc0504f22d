from django.contrib import admin

from .models import (
    ApiToken,
    AuditEvent,
    Coalition,
    Community,
    Disclosure,
    Membership,
    Network,
    Organization,
    School,
    SchoolYear,
)


@admin.register(Network)
class NetworkAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "borough", "network"]
    list_filter = ["network"]
    search_fields = ["code", "name"]


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "community", "grade_low", "grade_high", "enrollment"]
    list_filter = ["network", "is_community_school"]
    search_fields = ["code", "name"]
    raw_id_fields = ["community", "feeder_to"]


@admin.register(SchoolYear)
class SchoolYearAdmin(admin.ModelAdmin):
    list_display = ["network", "end_year", "start_date", "end_date", "is_current"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "network"]
    list_filter = ["network"]
    search_fields = ["name"]


@admin.register(Coalition)
class CoalitionAdmin(admin.ModelAdmin):
    list_display = ["name", "network", "community"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "network", "school", "organization", "coalition", "is_active"]
    list_filter = ["role", "network", "is_active"]
    raw_id_fields = ["user", "school", "organization", "coalition"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["token_hash", "prefix"]


class ReadOnlyLogAdmin(admin.ModelAdmin):
    """Logs are append-only, even for superusers."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyLogAdmin):
    list_display = ["created_at", "actor", "action", "network", "target_type", "target_id"]
    list_filter = ["action"]


@admin.register(Disclosure)
class DisclosureAdmin(ReadOnlyLogAdmin):
    list_display = ["created_at", "viewer", "organization", "basis", "subject_type", "subject_id"]
    list_filter = ["basis"]
