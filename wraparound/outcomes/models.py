"""Outcomes: school calendars, attendance (Ed-Fi attendance event categories), the student ×
month attendance summary kept up to date by the import, and the import runs.

Attendance rules (issue 7): a student is enrolled on the school's instructional days inside
their enrollment dates (`students.StudentEnrollment`); an enrolled day with no event is a
present day; excused and unexcused absences are absent days; tardy, early departure and partial
are present days counted separately."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wraparound.agreements.models.clearance import private_storage
from wraparound.core.models import Network, Organization, School
from wraparound.students.models import Student


class AttendanceCategory(models.TextChoices):
    """Ed-Fi attendance event categories, stored as short codes."""

    IN_ATTENDANCE = "present", _("In Attendance")
    EXCUSED = "excused", _("Excused Absence")
    UNEXCUSED = "unexcused", _("Unexcused Absence")
    TARDY = "tardy", _("Tardy")
    EARLY_DEPARTURE = "early", _("Early departure")
    PARTIAL = "partial", _("Partial")


# The Ed-Fi labels as attendance.csv writes them (compared trimmed and case-insensitively).
EDFI_LABELS: dict[str, str] = {
    "in attendance": AttendanceCategory.IN_ATTENDANCE,
    "excused absence": AttendanceCategory.EXCUSED,
    "unexcused absence": AttendanceCategory.UNEXCUSED,
    "tardy": AttendanceCategory.TARDY,
    "early departure": AttendanceCategory.EARLY_DEPARTURE,
    "partial": AttendanceCategory.PARTIAL,
}

ABSENT_CATEGORIES = (AttendanceCategory.EXCUSED, AttendanceCategory.UNEXCUSED)


class InstructionalDay(models.Model):
    """One day a school holds classes (calendar.csv)."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    # The unique constraint leads with the school: no index of its own.
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, related_name="instructional_days", db_index=False
    )
    date = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["school", "date"], name="instructional_day_once")
        ]

    def __str__(self) -> str:
        return f"{self.school_id} {self.date}"


class AttendanceEvent(models.Model):
    """One student's attendance event at a school on a day (attendance.csv)."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    # The unique constraint leads with the student, the index with the school.
    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, related_name="attendance_events", db_index=False
    )
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+", db_index=False)
    date = models.DateField()
    category = models.CharField(max_length=10, choices=AttendanceCategory.choices)
    minutes = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["student", "school", "date"], name="attendance_event_once"
            )
        ]
        indexes = [models.Index(fields=["school", "date"])]

    def __str__(self) -> str:
        return f"{self.student_id} {self.date} {self.category}"


class AttendanceMonth(models.Model):
    """A student's attendance at one school in one calendar month (`month` is its first day).
    Derived from the calendar, enrollments and events; rewritten by `attendance.summaries`."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, related_name="attendance_months", db_index=False
    )
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+", db_index=False)
    month = models.DateField()
    enrolled_days = models.PositiveSmallIntegerField(default=0)
    absent_days = models.PositiveSmallIntegerField(default=0)
    excused_days = models.PositiveSmallIntegerField(default=0)
    unexcused_days = models.PositiveSmallIntegerField(default=0)
    tardies = models.PositiveSmallIntegerField(default=0)
    early_departures = models.PositiveSmallIntegerField(default=0)
    partial_days = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["student", "school", "month"], name="attendance_month_once"
            )
        ]
        indexes = [models.Index(fields=["school", "month"])]

    def __str__(self) -> str:
        return f"{self.student_id} {self.month:%Y-%m}"


class AttendanceImportStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    INVALID = "invalid", _("rejected: errors found")
    CHECKED = "checked", _("dry run passed")
    DONE = "done", _("imported")
    FAILED = "failed", _("failed")


def attendance_upload_path(instance: AttendanceImport, filename: str) -> str:
    return f"attendance/{instance.network_id}/{timezone.now():%Y%m%d%H%M%S}-{filename}"


class AttendanceImport(models.Model):
    """One attendance import run: its row-level errors (capped) and its counts. A run from the
    web page keeps its uploaded zip (`file`) and waits queued for its task; a run from the
    command line starts running."""

    network = models.ForeignKey(
        Network, on_delete=models.CASCADE, related_name="attendance_imports"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    file = models.FileField(storage=private_storage, upload_to=attendance_upload_path, blank=True)
    # When the uploaded file was deleted (`WRAPAROUND_IMPORT_UPLOAD_RETENTION_DAYS` after the run).
    file_deleted_at = models.DateTimeField(null=True, blank=True)
    source_name = models.CharField(max_length=255, blank=True)
    dry_run = models.BooleanField(default=False)
    # The last day the files cover (the network's today when not given): the summaries count
    # the instructional days up to it, not the rest of a calendar that runs to June.
    taken_through = models.DateField(
        _("attendance taken through"),
        null=True,
        blank=True,
        help_text=_("The last day the files cover. Later days of the calendar are not counted."),
    )
    status = models.CharField(
        max_length=10,
        choices=AttendanceImportStatus.choices,
        default=AttendanceImportStatus.RUNNING,
    )
    # The step running now (`attendance.importer.STAGES`), for the page's progress bar.
    stage = models.CharField(max_length=40, blank=True)
    errors = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"attendance import {self.pk} ({self.status})"


class CourseResult(models.Model):
    """A student's result in one course in one term (course_results.csv): credits attempted and
    earned, the grade as the school reports it. `passed` is decided at import: credits earned
    when credits were attempted, else a grade that is not a failing mark."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    # The unique constraint leads with the student.
    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, related_name="course_results", db_index=False
    )
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+", db_index=False)
    school_year = models.PositiveSmallIntegerField(_("school year (ends in)"))
    term = models.CharField(_("term"), max_length=64)
    course_code = models.CharField(_("course code"), max_length=64)
    course_title = models.CharField(_("course title"), max_length=200, blank=True)
    credits_attempted = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    credits_earned = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    grade = models.CharField(_("grade"), max_length=16, blank=True)
    passed = models.BooleanField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["student", "school", "school_year", "term", "course_code"],
                name="course_result_once",
            )
        ]
        indexes = [models.Index(fields=["school", "school_year"])]

    def __str__(self) -> str:
        return f"{self.student_id} {self.school_year} {self.term} {self.course_code}"


class Indicator(models.TextChoices):
    """What a goal measures (issue 7). Each has a direction: for some, lower is better."""

    ATTENDANCE_RATE = "attendance_rate", _("attendance rate")
    CHRONIC_ABSENCE_RATE = "chronic_absence_rate", _("chronic absence rate")
    REFERRAL_COMPLETION_RATE = "referral_completion_rate", _("referral completion rate")
    DAYS_TO_FIRST_SESSION = "days_to_first_session", _("median days from referral to first session")
    TIER3_SERVED_SHARE = "tier3_served_share", _("share of tier-3 students receiving a service")
    COURSE_PASS_RATE = "course_pass_rate", _("course pass rate")
    GRADUATION_RATE = "graduation_rate", _("graduation rate")


class GoalScope(models.TextChoices):
    SCHOOL = "school", _("school")
    NETWORK = "network", _("network")
    PARTNERSHIP = "partnership", _("partnership")


class GoalTerm(models.TextChoices):
    SHORT = "short", _("short-term")
    LONG = "long", _("long-term")


class Goal(models.Model):
    """A target a coordinator or network admin sets for an indicator in a scope: from `baseline`
    (measured on `baseline_on`) to `target` by `target_on`. Progress is computed from the
    system's own data (`outcomes.goals`), or from measurements entered by hand for indicators the
    system does not hold (graduation rate)."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="goals")
    scope = models.CharField(_("scope"), max_length=12, choices=GoalScope.choices)
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, null=True, blank=True, related_name="goals"
    )
    partnership = models.ForeignKey(
        "agreements.Partnership",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="goals",
    )
    indicator = models.CharField(_("indicator"), max_length=32, choices=Indicator.choices)
    title = models.CharField(_("title"), max_length=200, blank=True)
    term = models.CharField(_("term"), max_length=5, choices=GoalTerm.choices)
    baseline = models.DecimalField(_("baseline"), max_digits=9, decimal_places=4)
    baseline_on = models.DateField(_("baseline date"))
    target = models.DecimalField(_("target"), max_digits=9, decimal_places=4)
    target_on = models.DateField(_("target date"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["target_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(scope="school", school__isnull=False, partnership__isnull=True)
                    | models.Q(scope="network", school__isnull=True, partnership__isnull=True)
                    | models.Q(scope="partnership", partnership__isnull=False)
                ),
                name="goal_scope_matches",
            ),
            models.CheckConstraint(
                condition=models.Q(target_on__gt=models.F("baseline_on")),
                name="goal_target_after_baseline",
            ),
        ]

    def __str__(self) -> str:
        return self.title or f"{self.get_indicator_display()} → {self.target}"


class GoalMeasurement(models.Model):
    """A value of a goal's indicator entered by hand (for indicators the system cannot compute,
    or to record an official figure)."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="measurements")
    measured_on = models.DateField(_("date"))
    value = models.DecimalField(_("value"), max_digits=9, decimal_places=4)
    note = models.CharField(_("source or note"), max_length=300, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    entered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["measured_on", "pk"]

    def __str__(self) -> str:
        return f"{self.goal_id} {self.measured_on} {self.value}"


class RollupFigure(models.Model):
    """One tally of the outcome rollup (`outcomes.rollup`): a figure about the students of a
    school (or of the whole network when `school` is empty) in a school year, for one group of
    a split ("" and "" = all students). Kept unsuppressed: suppression is applied when read, like
    every other figure. The network page reads these instead of millions of attendance rows."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False
    )
    school_year = models.PositiveSmallIntegerField()
    figure = models.CharField(max_length=40)  # an Indicator, or "trend", "funnel", ...
    split = models.CharField(max_length=40, blank=True)
    group = models.CharField(max_length=40, blank=True)
    n = models.PositiveIntegerField(default=0)  # students the figure is about
    numerator = models.BigIntegerField(null=True, blank=True)
    denominator = models.BigIntegerField(null=True, blank=True)
    value = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["network", "school_year", "figure", "split"]),
            models.Index(fields=["school", "school_year"]),
        ]

    def __str__(self) -> str:
        return f"{self.school_id or 'network'} {self.school_year} {self.figure} {self.group}"


class RollupRefresh(models.Model):
    """When a network's rollup of a school year was last rebuilt ("figures as of")."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    school_year = models.PositiveSmallIntegerField()
    refreshed_at = models.DateTimeField(default=timezone.now)
    seconds = models.FloatField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["network", "school_year"], name="rollup_refresh_once")
        ]

    def __str__(self) -> str:
        return f"{self.network_id} {self.school_year} {self.refreshed_at:%Y-%m-%d %H:%M}"


class ReportJobStatus(models.TextChoices):
    QUEUED = "queued", _("waiting to start")
    RUNNING = "running", _("being prepared")
    DONE = "done", _("ready")
    FAILED = "failed", _("failed")


class ReportScopeKind(models.TextChoices):
    NETWORK = "network", _("network")
    SCHOOL = "school", _("school")
    ORGANIZATION = "organization", _("partner organization")


class ReportFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    XLSX = "xlsx", "XLSX"


REPORT_JOB_ACTIVE = (ReportJobStatus.QUEUED, ReportJobStatus.RUNNING)


def report_file_path(instance: ReportJob, filename: str) -> str:
    return f"reports/{instance.network_id}/{timezone.now():%Y%m%d%H%M%S}-{filename}"


class ReportJob(models.Model):
    """A funder/board report prepared in the background (`reports.jobs`): its scope (the
    network, one school or one partner organization), school year and format, and once done
    the generated file. The file holds figures about students (small counts suppressed), so it
    lives in the private storage and is deleted `WRAPAROUND_REPORT_FILE_RETENTION_DAYS` after it
    was made; the row stays as a record of the request."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="report_jobs")
    kind = models.CharField(max_length=12, choices=ReportScopeKind.choices)
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    year = models.PositiveSmallIntegerField()
    format = models.CharField(max_length=4, choices=ReportFormat.choices)
    # The language the report is written in: the requester's when they asked for it.
    language = models.CharField(max_length=10, blank=True)
    status = models.CharField(
        max_length=10, choices=ReportJobStatus.choices, default=ReportJobStatus.QUEUED
    )
    file = models.FileField(storage=private_storage, upload_to=report_file_path, blank=True)
    # The name the download is saved under (the report's own file name).
    filename = models.CharField(max_length=255, blank=True)
    file_deleted_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["network", "year", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="network", school__isnull=True, organization__isnull=True)
                    | models.Q(kind="school", school__isnull=False, organization__isnull=True)
                    | models.Q(kind="organization", school__isnull=True, organization__isnull=False)
                ),
                name="report_job_scope_matches_kind",
            ),
            # One job at a time prepares a given report: a second request (a double click,
            # two users) reuses it (`reports.jobs.report_job_request`). One constraint per kind,
            # because an empty school or organization would never clash with another.
            models.UniqueConstraint(
                fields=["network", "year", "format", "language"],
                condition=models.Q(kind="network", status__in=["queued", "running"]),
                name="report_job_network_once_at_a_time",
            ),
            models.UniqueConstraint(
                fields=["school", "year", "format", "language"],
                condition=models.Q(kind="school", status__in=["queued", "running"]),
                name="report_job_school_once_at_a_time",
            ),
            models.UniqueConstraint(
                fields=["organization", "year", "format", "language"],
                condition=models.Q(kind="organization", status__in=["queued", "running"]),
                name="report_job_organization_once_at_a_time",
            ),
        ]

    def __str__(self) -> str:
        return f"report job {self.pk} ({self.kind} {self.year} {self.format}, {self.status})"

    @property
    def is_active(self) -> bool:
        """Queued or running: its page polls it."""
        return self.status in REPORT_JOB_ACTIVE
