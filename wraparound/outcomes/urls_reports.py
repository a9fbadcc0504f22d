"""Outcome reports (PDF, XLSX) and the evaluators' extract (CSV)."""

from django.urls import path, register_converter

from . import views_reports


class ReportFormat:
    regex = "pdf|xlsx"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ReportFormat, "report_format")

urlpatterns = [
    path(
        "networks/<slug:slug>/outcomes/reports/",
        views_reports.network_reports,
        name="outcome_reports",
    ),
    path(
        "networks/<slug:slug>/outcomes/report.<report_format:fmt>",
        views_reports.network_report,
        name="network_outcome_report",
    ),
    path(
        "networks/<slug:slug>/outcomes/extract.csv",
        views_reports.network_extract,
        name="outcome_extract",
    ),
    path(
        "schools/<int:pk>/outcomes/report.<report_format:fmt>",
        views_reports.school_report,
        name="school_outcome_report",
    ),
    path(
        "organizations/<int:pk>/outcomes/report.<report_format:fmt>",
        views_reports.organization_report,
        name="organization_outcome_report",
    ),
    # The same reports prepared in the background (POST), then followed and downloaded.
    path(
        "networks/<slug:slug>/outcomes/report.<report_format:fmt>/prepare/",
        views_reports.network_report_prepare,
        name="network_outcome_report_prepare",
    ),
    path(
        "schools/<int:pk>/outcomes/report.<report_format:fmt>/prepare/",
        views_reports.school_report_prepare,
        name="school_outcome_report_prepare",
    ),
    path(
        "organizations/<int:pk>/outcomes/report.<report_format:fmt>/prepare/",
        views_reports.organization_report_prepare,
        name="organization_outcome_report_prepare",
    ),
    path(
        "outcomes/report-jobs/<int:pk>/",
        views_reports.report_job_detail,
        name="report_job_detail",
    ),
    path(
        "outcomes/report-jobs/<int:pk>/status/",
        views_reports.report_job_status,
        name="report_job_status",
    ),
    path(
        "outcomes/report-jobs/<int:pk>/download/",
        views_reports.report_job_download,
        name="report_job_download",
    ),
]
