"""What OneRoster 1.2 CSV says about the files we read: their names, their columns (required ones
must be in the header and filled in), and the vocabularies the values come from.

Columns we do not know are ignored (the standard allows `metadata.*` extension columns; vendors
add others), except the extension columns documented in docs/students-roster.md."""

from __future__ import annotations

from dataclasses import dataclass

from wraparound.core.grades import Grade

MANIFEST = "manifest.csv"
ORGS = "orgs.csv"
ACADEMIC_SESSIONS = "academicSessions.csv"
USERS = "users.csv"
ROLES = "roles.csv"
DEMOGRAPHICS = "demographics.csv"
ENROLLMENTS = "enrollments.csv"

# The order the reader goes through them: roles before users (a user's kind — student,
# guardian, other — lives in roles.csv) and demographics before users (merged into the student).
READ_ORDER = (ORGS, ACADEMIC_SESSIONS, ROLES, DEMOGRAPHICS, USERS, ENROLLMENTS)

# manifest.csv `file.<name>` → the CSV file it governs; the other files of the standard
# (classes, courses, results, …) are allowed in the manifest and ignored here.
MANIFEST_FILES = {
    "file.orgs": ORGS,
    "file.academicSessions": ACADEMIC_SESSIONS,
    "file.users": USERS,
    "file.roles": ROLES,
    "file.demographics": DEMOGRAPHICS,
    "file.enrollments": ENROLLMENTS,
}
KNOWN_MANIFEST_FILES = {
    *MANIFEST_FILES,
    "file.categories",
    "file.classes",
    "file.classResources",
    "file.courses",
    "file.courseResources",
    "file.lineItems",
    "file.lineItemLearningObjectiveIds",
    "file.lineItemScoreScales",
    "file.resources",
    "file.results",
    "file.resultLearningObjectiveIds",
    "file.resultScoreScales",
    "file.scoreScales",
    "file.userProfiles",
    "file.userResources",
}
BULK, DELTA, ABSENT = "bulk", "delta", "absent"
FILE_MODES = (BULK, DELTA, ABSENT)
ONEROSTER_VERSION = "1.2"

ACTIVE, TOBEDELETED = "active", "tobedeleted"


@dataclass(frozen=True)
class FileSpec:
    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...]


COMMON = ("status", "dateLastModified")

FILES: dict[str, FileSpec] = {
    ORGS: FileSpec(ORGS, ("sourcedId", "name", "type"), (*COMMON, "identifier", "parentSourcedId")),
    ACADEMIC_SESSIONS: FileSpec(
        ACADEMIC_SESSIONS,
        ("sourcedId", "title", "type", "startDate", "endDate", "schoolYear"),
        (*COMMON, "parentSourcedId"),
    ),
    USERS: FileSpec(
        USERS,
        ("sourcedId", "enabledUser", "username", "givenName", "familyName"),
        (
            *COMMON,
            "userIds",
            "middleName",
            "identifier",
            "email",
            "sms",
            "phone",
            "agentSourcedIds",
            "grades",
            "password",
            "userMasterIdentifier",
            "resourceSourcedIds",
            "preferredGivenName",
            "preferredMiddleName",
            "preferredFamilyName",
            "primaryOrgSourcedId",
            "pronouns",
        ),
    ),
    ROLES: FileSpec(
        ROLES,
        ("sourcedId", "userSourcedId", "roleType", "role", "orgSourcedId"),
        (*COMMON, "beginDate", "endDate", "userProfileSourcedId"),
    ),
    DEMOGRAPHICS: FileSpec(
        DEMOGRAPHICS,
        ("sourcedId",),
        (
            *COMMON,
            "birthDate",
            "sex",
            "americanIndianOrAlaskaNative",
            "asian",
            "blackOrAfricanAmerican",
            "nativeHawaiianOrOtherPacificIslander",
            "white",
            "demographicRaceTwoOrMoreRaces",
            "hispanicOrLatinoEthnicity",
            "countryOfBirthCode",
            "stateOfBirthAbbreviation",
            "cityOfBirth",
            "publicSchoolResidenceStatus",
            "metadata.englishLearner",
            "metadata.disability",
            "metadata.economicallyDisadvantaged",
            "metadata.homeLanguage",
        ),
    ),
    ENROLLMENTS: FileSpec(
        ENROLLMENTS,
        ("sourcedId", "classSourcedId", "schoolSourcedId", "userSourcedId", "role"),
        (*COMMON, "primary", "beginDate", "endDate"),
    ),
}

ORG_TYPES = frozenset({"department", "school", "district", "local", "state", "national"})
SESSION_TYPES = frozenset({"gradingPeriod", "semester", "schoolYear", "term"})
ROLE_TYPES = frozenset({"primary", "secondary"})
STUDENT_ROLE = "student"
GUARDIAN_ROLES = frozenset({"parent", "guardian", "relative"})
# roles.csv `role` in OneRoster 1.2; "administrator" is 1.1's word, still sent by some systems.
OTHER_ROLES = frozenset(
    {
        "aide",
        "counselor",
        "districtAdministrator",
        "principal",
        "proctor",
        "siteAdministrator",
        "systemAdministrator",
        "teacher",
        "administrator",
    }
)
ROLES_ALLOWED = frozenset({STUDENT_ROLE, *GUARDIAN_ROLES, *OTHER_ROLES})
ENROLLMENT_ROLES = frozenset({"administrator", "proctor", "student", "teacher", "aide"})
SEXES = frozenset({"male", "female", "other", "unspecified"})
GRADES = frozenset(Grade.values)

RACE_FLAGS = (
    ("americanIndianOrAlaskaNative", "american_indian"),
    ("asian", "asian"),
    ("blackOrAfricanAmerican", "black"),
    ("nativeHawaiianOrOtherPacificIslander", "pacific_islander"),
    ("white", "white"),
)
EXTENSION_FLAGS = (
    "metadata.englishLearner",
    "metadata.disability",
    "metadata.economicallyDisadvantaged",
)
HOME_LANGUAGE = "metadata.homeLanguage"

# Longest values the models keep (wraparound/students/models.py).
MAX_NAME = 100
MAX_IDENTIFIER = 64
MAX_EMAIL = 254
MAX_PHONE = 40
MAX_SOURCED_ID = 255
MAX_HOME_LANGUAGE = 20


def is_extension(value: str) -> bool:
    """OneRoster vocabularies may be extended with values starting with "ext:"."""
    return value.startswith("ext:")
