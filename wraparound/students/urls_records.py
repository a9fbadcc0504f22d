"""Student records, the partner's view of referred students, exports and disclosure logs."""

from django.urls import URLPattern, path

from . import views_records as views

urlpatterns: list[URLPattern] = [
    path(
        "schools/<int:school_pk>/students/",
        views.student_school_list,
        name="student_school_list",
    ),
    path(
        "schools/<int:school_pk>/students.csv",
        views.student_school_export,
        name="student_school_export",
    ),
    path("students/<int:pk>/", views.student_detail, name="student_detail"),
    path(
        "students/<int:pk>/disclosures/",
        views.student_disclosures,
        name="student_disclosures",
    ),
    path(
        "students/<int:pk>/disclosures/print/",
        views.student_disclosures_print,
        name="student_disclosures_print",
    ),
    path(
        "organizations/<int:org_pk>/students/",
        views.student_partner_list,
        name="student_partner_list",
    ),
    path(
        "organizations/<int:org_pk>/students/<int:student_pk>/",
        views.student_partner_detail,
        name="student_partner_detail",
    ),
    path(
        "organizations/<int:org_pk>/students.csv",
        views.student_partner_export,
        name="student_partner_export",
    ),
]
