from django.contrib import admin

from .models import NeedsAssessment


@admin.register(NeedsAssessment)
class NeedsAssessmentAdmin(admin.ModelAdmin):
    list_display = ["school", "school_year", "status", "submitted_at"]
    list_filter = ["status", "school__network"]
    search_fields = ["school__code", "school__name"]
    raw_id_fields = ["school", "copied_from"]
