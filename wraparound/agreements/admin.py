from django.contrib import admin

from .models import Partnership


@admin.register(Partnership)
class PartnershipAdmin(admin.ModelAdmin):
    list_display = ["organization", "school", "service", "school_year", "units", "status"]
    list_filter = ["network", "status", "source"]
    search_fields = ["organization__name", "school__name", "service__name"]
    raw_id_fields = ["school", "organization", "service", "need", "allocation_run"]
