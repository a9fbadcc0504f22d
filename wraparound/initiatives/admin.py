from django.contrib import admin

from .models import Initiative, SchoolPlan


@admin.register(Initiative)
class InitiativeAdmin(admin.ModelAdmin):
    list_display = ["name", "network", "kind", "status", "start_year", "end_year"]
    list_filter = ["kind", "status", "network"]
    search_fields = ["name"]
    raw_id_fields = ["network", "created_by"]


@admin.register(SchoolPlan)
class SchoolPlanAdmin(admin.ModelAdmin):
    list_display = ["initiative", "school", "status", "owner"]
    list_filter = ["status", "initiative__network"]
    search_fields = ["school__code", "school__name", "initiative__name"]
    raw_id_fields = ["initiative", "school", "owner", "updated_by", "partners"]
