"""A deterministic OneRoster 1.2 CSV roster for a network's schools (bulk files): students in
grades within each school's span, one or two guardians each, roles and demographics with
NYC-like shares. Streams rows with `csv.writer` (no ORM per row): the city's 900,000 students
are written in well under a minute.

    write_oneroster(network=network, out_dir=Path("roster"), students_per_school=None, seed=0)
"""

from __future__ import annotations

import csv
import random
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from faker import Faker

from wraparound.core.grades import GRADE_ORDER, grades_in_span
from wraparound.core.models import Network, School
from wraparound.students.oneroster import spec

from .generate import Names

# Where NYC families' names come from, roughly; the non-English locales bring accents and
# other scripts (Chinese, Cyrillic, Bengali) the import must keep intact.
LOCALES = (("en_US", 0.50), ("es_MX", 0.30), ("zh_CN", 0.08), ("ru_RU", 0.05), ("bn_BD", 0.07))
# NYC public schools, 2023-24: shares of students.
ECONOMICALLY_DISADVANTAGED = 0.735
ENGLISH_LEARNERS = 0.163
DISABILITIES = 0.216
RACES = (
    ("hispanic", 0.41),
    ("black", 0.20),
    ("asian", 0.185),
    ("white", 0.16),
    ("two_or_more", 0.03),
    ("american_indian", 0.01),
    ("pacific_islander", 0.005),
)
HOME_LANGUAGES = (("es", 0.55), ("zh", 0.15), ("bn", 0.08), ("ru", 0.06), ("ar", 0.06), ("fr", 0.1))
SCHOOL_YEAR_START, SCHOOL_YEAR_END = "2026-09-10", "2027-06-25"
MANIFEST_ROWS = [
    ["propertyName", "value"],
    ["manifest.version", "1.0"],
    ["oneroster.version", spec.ONEROSTER_VERSION],
    ["file.academicSessions", "bulk"],
    ["file.demographics", "bulk"],
    ["file.enrollments", "absent"],
    ["file.orgs", "bulk"],
    ["file.roles", "bulk"],
    ["file.users", "bulk"],
    ["source.systemName", "wraparound demo"],
]


# Columns in the order of the OneRoster 1.2 CSV tables.
HEADERS = {
    spec.ORGS: [
        "sourcedId",
        "status",
        "dateLastModified",
        "name",
        "type",
        "identifier",
        "parentSourcedId",
    ],
    spec.ACADEMIC_SESSIONS: [
        "sourcedId",
        "status",
        "dateLastModified",
        "title",
        "type",
        "startDate",
        "endDate",
        "parentSourcedId",
        "schoolYear",
    ],
    spec.ROLES: [
        "sourcedId",
        "status",
        "dateLastModified",
        "userSourcedId",
        "roleType",
        "role",
        "beginDate",
        "endDate",
        "orgSourcedId",
        "userProfileSourcedId",
    ],
    spec.USERS: [
        "sourcedId",
        "status",
        "dateLastModified",
        "enabledUser",
        "username",
        "userIds",
        "givenName",
        "familyName",
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
    ],
    spec.DEMOGRAPHICS: [
        "sourcedId",
        "status",
        "dateLastModified",
        *spec.FILES[spec.DEMOGRAPHICS].optional[2:],
    ],
}


def _header(name: str) -> list[str]:
    return HEADERS[name]


def _flag(value: bool) -> str:
    return "true" if value else "false"


def write_oneroster(
    *,
    network: Network,
    out_dir: Path,
    students_per_school: int | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Write manifest, orgs, academicSessions, users, roles and demographics CSV files into
    `out_dir` for the network's schools; the counts written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"oneroster:{seed}")
    names = []
    for locale, _share in LOCALES:
        fake = Faker(locale)
        fake.seed_instance(f"{seed}:{locale}")
        names.append(Names(fake, random.Random(f"{seed}:{locale}")))
    locale_weights = [share for _locale, share in LOCALES]
    race_codes = [code for code, _share in RACES]
    race_weights = [share for _code, share in RACES]
    languages = [code for code, _share in HOME_LANGUAGES]
    language_weights = [share for _code, share in HOME_LANGUAGES]
    schools = list(School.objects.filter(network=network).order_by("code"))
    counts = {"schools": len(schools), "students": 0, "guardians": 0, "roles": 0}
    headers = {name: _header(name) for name in (spec.USERS, spec.ROLES, spec.DEMOGRAPHICS)}
    with ExitStack() as stack:

        def writer(name: str) -> Any:
            handle = stack.enter_context((out_dir / name).open("w", newline="", encoding="utf-8"))
            return csv.writer(handle, lineterminator="\n")

        writer(spec.MANIFEST).writerows(MANIFEST_ROWS)
        orgs = writer(spec.ORGS)
        orgs.writerow(_header(spec.ORGS))
        district = f"district-{network.slug}"
        orgs.writerow([district, "", "", network.name, "district", network.slug, ""])
        for school in schools:
            orgs.writerow(
                [f"org-{school.code}", "", "", school.name, "school", school.code, district]
            )
        sessions = writer(spec.ACADEMIC_SESSIONS)
        sessions.writerow(_header(spec.ACADEMIC_SESSIONS))
        sessions.writerow(
            [
                "sy-2027",
                "",
                "",
                "2026-27",
                "schoolYear",
                SCHOOL_YEAR_START,
                SCHOOL_YEAR_END,
                "",
                "2027",
            ]
        )
        users, roles, demographics = (
            writer(n) for n in (spec.USERS, spec.ROLES, spec.DEMOGRAPHICS)
        )
        users.writerow(headers[spec.USERS])
        roles.writerow(headers[spec.ROLES])
        demographics.writerow(headers[spec.DEMOGRAPHICS])
        blank_user = [""] * len(headers[spec.USERS])
        u = {c: i for i, c in enumerate(headers[spec.USERS])}
        blank_demo = [""] * len(headers[spec.DEMOGRAPHICS])
        d = {c: i for i, c in enumerate(headers[spec.DEMOGRAPHICS])}
        race_column = {code: column for column, code in spec.RACE_FLAGS}
        number = 0
        for school in schools:
            count = (
                students_per_school if students_per_school is not None else school.enrollment or 0
            )
            low, high = school.grade_low, school.grade_high
            grades = (
                grades_in_span(low, high) if low in GRADE_ORDER and high in GRADE_ORDER else [low]
            )
            org = f"org-{school.code}"
            ed = float(school.share_economically_disadvantaged or ECONOMICALLY_DISADVANTAGED)
            el = float(school.share_english_learners or ENGLISH_LEARNERS)
            swd = float(school.share_students_with_disabilities or DISABILITIES)
            for _ in range(count):
                number += 1
                sid = f"stu-{number:07d}"
                family_names = rng.choices(names, weights=locale_weights)[0]
                family = family_names.last()
                grade = rng.choice(grades)
                agents = [f"gua-{number:07d}-1"]
                if rng.random() < 0.55:
                    agents.append(f"gua-{number:07d}-2")
                row = blank_user.copy()
                row[u["sourcedId"]] = sid
                row[u["enabledUser"]] = "true"
                row[u["username"]] = f"s{number:07d}"
                row[u["givenName"]] = family_names.first()
                row[u["familyName"]] = family
                row[u["identifier"]] = f"{200000000 + number}"
                row[u["agentSourcedIds"]] = ",".join(agents)
                row[u["grades"]] = grade
                row[u["primaryOrgSourcedId"]] = org
                users.writerow(row)
                roles.writerow(
                    [f"r-{sid}", "", "", sid, "primary", "student", SCHOOL_YEAR_START, "", org, ""]
                )
                for i, agent in enumerate(agents):
                    guardian = blank_user.copy()
                    guardian[u["sourcedId"]] = agent
                    guardian[u["enabledUser"]] = "true"
                    guardian[u["username"]] = agent
                    guardian[u["givenName"]] = family_names.first()
                    guardian[u["familyName"]] = (
                        family if i == 0 or rng.random() < 0.6 else family_names.last()
                    )
                    guardian[u["phone"]] = f"+1212{rng.randrange(10**7):07d}"
                    guardian[u["agentSourcedIds"]] = sid
                    users.writerow(guardian)
                    relationship = (
                        "parent" if rng.random() < 0.85 else rng.choice(("guardian", "relative"))
                    )
                    roles.writerow(
                        [f"r-{agent}", "", "", agent, "primary", relationship, "", "", org, ""]
                    )
                race = rng.choices(race_codes, weights=race_weights)[0]
                demo = blank_demo.copy()
                demo[d["sourcedId"]] = sid
                demo[d["birthDate"]] = _birth_date(rng, grade)
                demo[d["sex"]] = rng.choice(("female", "male"))
                for column, _code in spec.RACE_FLAGS:
                    demo[d[column]] = "false"
                demo[d["demographicRaceTwoOrMoreRaces"]] = _flag(race == "two_or_more")
                demo[d["hispanicOrLatinoEthnicity"]] = _flag(race == "hispanic")
                if race in race_column:
                    demo[d[race_column[race]]] = "true"
                learner = rng.random() < el
                demo[d["metadata.englishLearner"]] = _flag(learner)
                demo[d["metadata.disability"]] = _flag(rng.random() < swd)
                demo[d["metadata.economicallyDisadvantaged"]] = _flag(rng.random() < ed)
                demo[d["metadata.homeLanguage"]] = (
                    rng.choices(languages, weights=language_weights)[0] if learner else "en"
                )
                demographics.writerow(demo)
                counts["students"] += 1
                counts["guardians"] += len(agents)
                counts["roles"] += 1 + len(agents)
    return counts


def _birth_date(rng: random.Random, grade: str) -> str:
    # Kindergarten at 5 in the school year starting 2026: born 2021 (grade 1: 2020, …).
    order = GRADE_ORDER.get(grade, GRADE_ORDER["KG"]) - GRADE_ORDER["KG"]
    year = 2021 - order
    born = year - (1 if rng.random() < 0.67 else 0)
    return f"{born}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
