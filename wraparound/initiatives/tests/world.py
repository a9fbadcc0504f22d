"""A feeder pattern in a persona tenant and an arts initiative over it, for the view and API
tests: schools[0] (K–5, the personas' school) → schools[2] (6–8) → schools[3] (9–12); schools[1]
(K–5, the coordinator's second school) feeds schools[2] too; schools[4] stands alone."""

from __future__ import annotations

from typing import Any

from wraparound.core.tests.personas import Tenant
from wraparound.initiatives.models import Activity, Initiative, SchoolPlan


def arts_initiative(t: Tenant, *, name: str = "Arts for every grade") -> Initiative:
    s = t.schools
    s[2].grade_low, s[2].grade_high, s[2].name = "06", "08", f"{t.network.name} Middle"
    s[3].grade_low, s[3].grade_high, s[3].name = "09", "12", f"{t.network.name} High"
    s[4].grade_low, s[4].grade_high = "06", "12"
    s[3].save()
    s[2].feeder_to = s[3]
    s[2].save()
    for school in (s[0], s[1]):
        school.feeder_to = s[2]
        school.save()
    s[4].save()
    initiative = Initiative.objects.create(
        network=t.network, name=name, kind="arts", start_year=2027, status="active"
    )
    plan = SchoolPlan.objects.create(
        initiative=initiative,
        school=s[0],
        status="active",
        grades=["KG", "01", "02"],
        owner=t.users["staff"],
        owner_title="Arts Lead",
    )
    activity = Activity.objects.create(
        plan=plan, title="Dance residency", grades=["03", "04", "05"], minutes_per_week=45
    )
    activity.partners.set([t.org_a])
    SchoolPlan.objects.create(
        initiative=initiative, school=s[3], status="active", grades=["09", "10", "11", "12"]
    )
    return initiative


def users_of(t: Tenant, names: Any) -> list[Any]:
    return [t.users[n] for n in names]
