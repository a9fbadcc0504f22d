from django.contrib import admin

from .models import AllocationRun


@admin.register(AllocationRun)
class AllocationRunAdmin(admin.ModelAdmin):
    # Superusers mark a run whose worker died as failed here (docs/operations.md §5).
    list_display = ["pk", "network", "school_year", "status", "created_at", "objective"]
    list_filter = ["network", "status"]
    fields = ["network", "school_year", "status", "error", "created_by", "created_at"]
    readonly_fields = ["network", "school_year", "created_by", "created_at"]
