"""The network's default service taxonomy: the four community-school pillars as top terms and
the service categories beneath them (DESIGN.md §2).

Codes are stable: imports, exports, the demo data and saved searches refer to terms by code, so
a code is never reused for another meaning. Names are English with a Spanish `name_es` for the
family page. A query on a term matches its sub-terms too (`term_ids_with_descendants`).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from wraparound.core.models import Network

from .models import Taxonomy, TaxonomyTerm

TAXONOMY_NAME = "wraparound service categories"
TAXONOMY_VERSION = "1"
# HSDS ids of the default taxonomy and its terms are derived from their codes, so the same term
# has the same id in every network and in every export (hsds_id is unique per network only).
_ID_NAMESPACE = uuid.UUID("6f0c2b8e-4a55-4a4e-9d0b-1f6f7f3c2a10")


@dataclass(frozen=True)
class TermSpec:
    code: str
    name: str
    name_es: str
    description: str
    parent: str = ""  # the parent term's code; "" for a pillar


PILLARS = (
    "integrated-student-supports",
    "expanded-learning",
    "family-engagement",
    "collaborative-leadership",
)

# Order matters: a parent comes before its children.
DEFAULT_TERMS: tuple[TermSpec, ...] = (
    # --- pillar 1 --------------------------------------------------------------------------
    TermSpec(
        "integrated-student-supports",
        "Integrated student supports",
        "Apoyos integrados para estudiantes",
        "Health, mental health, food, housing and other supports that remove the barriers to "
        "learning outside the classroom.",
    ),
    TermSpec(
        "mentoring", "Mentoring", "Mentoría",
        "A trusted adult or older peer who meets a student regularly.",
        "integrated-student-supports",
    ),
    TermSpec(
        "counseling", "Counseling and mental health", "Consejería y salud mental",
        "Counseling, therapy, crisis support and psychiatric care for students and families.",
        "integrated-student-supports",
    ),
    TermSpec(
        "health", "Health", "Salud",
        "Medical, vision and dental care for students, at school or nearby.",
        "integrated-student-supports",
    ),
    TermSpec(
        "health-medical", "Medical care", "Atención médica",
        "Check-ups, vaccinations, asthma care and help with health insurance.",
        "health",
    ),
    TermSpec(
        "health-vision", "Vision care", "Cuidado de la vista",
        "Eye exams and glasses.",
        "health",
    ),
    TermSpec(
        "health-dental", "Dental care", "Cuidado dental",
        "Dental screenings, cleanings, sealants and treatment.",
        "health",
    ),
    TermSpec(
        "food", "Food and nutrition", "Alimentos y nutrición",
        "Food pantries, weekend food packs, meals and nutrition education.",
        "integrated-student-supports",
    ),
    TermSpec(
        "housing", "Housing and basic needs", "Vivienda y necesidades básicas",
        "Help with housing, shelter, rent, clothing and other basic needs.",
        "integrated-student-supports",
    ),
    TermSpec(
        "attendance", "Attendance support", "Apoyo con la asistencia",
        "Mentors, check-ins and family outreach that bring chronically absent students back.",
        "integrated-student-supports",
    ),
    TermSpec(
        "social-emotional", "Social-emotional learning", "Aprendizaje socioemocional",
        "Social-emotional skills, restorative circles, conflict resolution and peer mediation.",
        "integrated-student-supports",
    ),
    TermSpec(
        "legal-aid", "Legal aid", "Ayuda legal",
        "Free legal advice and representation: immigration, housing, benefits.",
        "integrated-student-supports",
    ),
    # --- pillar 2 --------------------------------------------------------------------------
    TermSpec(
        "expanded-learning",
        "Expanded and enriched learning",
        "Aprendizaje ampliado y enriquecido",
        "Learning time and opportunities beyond the school day: after school, weekends, summer.",
    ),
    TermSpec(
        "tutoring", "Tutoring", "Tutoría",
        "Academic help one to one or in small groups, in school, after school or online.",
        "expanded-learning",
    ),
    TermSpec(
        "literacy", "Reading and literacy", "Lectura y alfabetización",
        "Reading programs, books and literacy support for children and families.",
        "expanded-learning",
    ),
    TermSpec(
        "after-school", "After-school programs", "Programas después de la escuela",
        "Supervised programs after the school day: homework help, enrichment, recreation.",
        "expanded-learning",
    ),
    TermSpec(
        "arts", "Arts", "Artes",
        "Music, dance, theater and visual arts.",
        "expanded-learning",
    ),
    TermSpec(
        "sports", "Sports and recreation", "Deportes y recreación",
        "Sports teams, swimming, fitness and play.",
        "expanded-learning",
    ),
    TermSpec(
        "stem", "Science, technology and environment", "Ciencia, tecnología y medio ambiente",
        "Science, coding, robotics, gardening and environmental education.",
        "expanded-learning",
    ),
    TermSpec(
        "summer", "Summer programs", "Programas de verano",
        "Summer camps and summer learning.",
        "expanded-learning",
    ),
    TermSpec(
        "college-career", "College and career", "Universidad y carrera",
        "College advising, financial aid help, internships and job readiness.",
        "expanded-learning",
    ),
    # --- pillar 3 --------------------------------------------------------------------------
    TermSpec(
        "family-engagement",
        "Family and community engagement",
        "Participación de la familia y la comunidad",
        "Families and neighbors as partners: family supports, adult learning, parent leadership.",
    ),
    TermSpec(
        "family-support", "Family support and parent education",
        "Apoyo familiar y educación para padres",
        "Parenting workshops, family case management and support groups.",
        "family-engagement",
    ),
    TermSpec(
        "adult-education", "Adult education and ESL", "Educación para adultos e inglés",
        "English classes, high school equivalency and job training for parents and caregivers.",
        "family-engagement",
    ),
    TermSpec(
        "early-childhood", "Early childhood", "Primera infancia",
        "Play groups, home visits and early learning for children under five.",
        "family-engagement",
    ),
    TermSpec(
        "benefits", "Benefits enrollment", "Inscripción en beneficios",
        "Help applying for SNAP, health insurance, WIC and other public benefits.",
        "family-engagement",
    ),
    TermSpec(
        "newcomers", "Newcomer and immigrant families", "Familias recién llegadas e inmigrantes",
        "Welcome, school enrollment, interpretation and orientation for newly arrived families.",
        "family-engagement",
    ),
    TermSpec(
        "parent-leadership", "Parent leadership", "Liderazgo de padres",
        "Training and support for parents who lead and advocate in their schools.",
        "family-engagement",
    ),
    # --- pillar 4 --------------------------------------------------------------------------
    TermSpec(
        "collaborative-leadership",
        "Collaborative leadership",
        "Liderazgo colaborativo",
        "Shared leadership of the community school by the school, partners and families.",
    ),
    TermSpec(
        "school-planning", "Community school planning and coordination",
        "Planificación y coordinación de la escuela comunitaria",
        "Needs assessments, site leadership teams and coordination of partners.",
        "collaborative-leadership",
    ),
    TermSpec(
        "professional-learning", "Professional learning for school staff",
        "Formación profesional para el personal escolar",
        "Training for teachers and staff: trauma-informed practice, restorative practices.",
        "collaborative-leadership",
    ),
    TermSpec(
        "data-evaluation", "Data and evaluation", "Datos y evaluación",
        "Help with data review, progress monitoring and program evaluation.",
        "collaborative-leadership",
    ),
)  # fmt: skip

TERMS_BY_CODE: dict[str, TermSpec] = {t.code: t for t in DEFAULT_TERMS}


def hsds_id_for(code: str) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, code))


def pillar_of(code: str) -> str:
    """The pillar a default term sits under (a pillar is its own)."""
    spec = TERMS_BY_CODE[code]
    while spec.parent:
        spec = TERMS_BY_CODE[spec.parent]
    return spec.code


def lineage(code: str) -> list[str]:
    """A default term's code and its ancestors' codes, nearest first."""
    codes = [code]
    while TERMS_BY_CODE[codes[-1]].parent:
        codes.append(TERMS_BY_CODE[codes[-1]].parent)
    return codes


@transaction.atomic
def taxonomy_ensure_default(*, network: Network) -> Taxonomy:
    """Create the network's default taxonomy and any of its terms that are missing.

    Idempotent: existing terms are found by code and left as they are (a network admin may have
    renamed one), so running it again only adds what a newer version of the list brings."""
    taxonomy, _created = Taxonomy.objects.get_or_create(
        network=network,
        hsds_id=hsds_id_for("taxonomy"),
        defaults={
            "name": TAXONOMY_NAME,
            "description": (
                "Service categories grouped by the four community-school pillars: integrated "
                "student supports; expanded and enriched learning; family and community "
                "engagement; collaborative leadership."
            ),
            "version": TAXONOMY_VERSION,
        },
    )
    existing = {t.code: t for t in TaxonomyTerm.objects.filter(taxonomy_ref=taxonomy)}
    missing = [spec for spec in DEFAULT_TERMS if spec.code not in existing]
    # Inserted level by level, so that each term's parent has its primary key already.
    while missing:
        level = [s for s in missing if not s.parent or s.parent in existing]
        created = TaxonomyTerm.objects.bulk_create(
            TaxonomyTerm(
                network=network,
                hsds_id=hsds_id_for(spec.code),
                taxonomy_ref=taxonomy,
                taxonomy=taxonomy.name,
                code=spec.code,
                name=spec.name,
                name_es=spec.name_es,
                description=spec.description,
                language="en",
                parent=existing[spec.parent] if spec.parent else None,
            )
            for spec in level
        )
        existing.update((t.code, t) for t in created)
        missing = [s for s in missing if s.code not in existing]
    return taxonomy


def term_ids_with_descendants(network: Network | int, term_ids: Iterable[int]) -> set[int]:
    """The given terms of the network and every term beneath them, at any depth (one query).

    Ids of other networks' terms are dropped: a filter on them matches nothing here."""
    network_id = network.pk if isinstance(network, Network) else network
    children: dict[int | None, list[int]] = defaultdict(list)
    known: set[int] = set()
    for term_id, parent_id in TaxonomyTerm.objects.filter(network_id=network_id).values_list(
        "id", "parent_id"
    ):
        children[parent_id].append(term_id)
        known.add(term_id)
    result: set[int] = set()
    stack = [t for t in term_ids if t in known]
    while stack:
        term_id = stack.pop()
        if term_id in result:
            continue  # a cycle in imported data must not loop forever
        result.add(term_id)
        stack.extend(children.get(term_id, ()))
    return result
