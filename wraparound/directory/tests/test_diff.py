"""Differences between snapshots, as a reviewer reads them, and approval over a moved record."""

from __future__ import annotations

from typing import Any

from wraparound.directory import diff


def service(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "Homework club",
        "description": "Help.",
        "status": "active",
        "eligibility_description": "",
        "grade_low": "KG",
        "grade_high": "05",
        "during_school_day": False,
        "after_school": True,
        "weekend": False,
        "summer": False,
        "virtual": False,
        "cost_to_school": "0.00",
        "cost_to_families": None,
        "capacity_available": 10,
        "capacity_maximum": 40,
        "capacity_unit": "students",
        "categories": [1, 2],
        "communities": [7],
        "languages": [{"code": "es", "name": "Spanish"}],
        "locations": [
            {
                "location": 5,
                "name": "",
                "address_1": "",
                "city": "",
                "state_province": "",
                "postal_code": "",
                "latitude": None,
                "longitude": None,
                "days": ["MO", "WE"],
                "opens_at": "15:00",
                "closes_at": "18:00",
                "schedule_description": "",
            }
        ],
        "contacts": [{"id": 3, "name": "Ana", "title": "", "email": "", "phone": "1"}],
    }
    return {**base, **changes}


NAMES = diff.Names(
    terms={1: "Tutoring", 2: "Mentoring", 3: "Counseling"},
    communities={7: "101 Mott Haven", 8: "102 Hunts Point"},
    locations={5: "Main site"},
)


def test_scalar_changes_are_labelled_and_readable() -> None:
    d = diff.diff_snapshots(
        service(),
        service(
            status="temporarily closed", weekend=True, grade_high="08", cost_to_families="5.00"
        ),
        kind="service",
        names=NAMES,
    )
    rows = {f.label: (f.before, f.after) for f in d.fields}
    assert rows == {
        "Status": ("active", "temporarily closed"),
        "Highest grade served": ("Grade 5", "Grade 8"),
        "Weekends": ("No", "Yes"),
        "Cost to families (USD)": ("—", "5.00"),
    }
    assert not d.sets and not d.rows and d.count == 4


def test_set_changes_name_what_was_added_and_removed() -> None:
    d = diff.diff_snapshots(
        service(), service(categories=[2, 3], communities=[7, 8]), kind="service", names=NAMES
    )
    by_key = {s.key: s for s in d.sets}
    assert (by_key["categories"].added, by_key["categories"].removed) == (
        ["Counseling"],
        ["Tutoring"],
    )
    assert by_key["communities"].added == ["102 Hunts Point"]
    assert by_key["communities"].removed == []


def test_rows_added_removed_and_changed() -> None:
    new_location = {
        **service()["locations"][0],
        "location": None,
        "name": "Annex",
        "address_1": "1 Main St",
        "days": ["SA"],
    }
    after = service(
        languages=[{"code": "fr", "name": "French"}],
        locations=[{**service()["locations"][0], "days": ["MO"]}, new_location],
        contacts=[{"id": 3, "name": "Ana Ruiz", "title": "", "email": "", "phone": "1"}],
    )
    d = diff.diff_snapshots(service(), after, kind="service", names=NAMES)
    summary = [(r.section, r.action, r.title) for r in d.rows]
    assert summary == [
        ("Languages", "added", "French"),
        ("Languages", "removed", "Spanish"),
        ("Locations and hours", "changed", "Main site"),
        ("Locations and hours", "added", "Annex"),
        ("Contacts", "changed", "Ana Ruiz"),
    ]
    changed = d.rows[2].fields
    assert [(f.label, f.before, f.after) for f in changed] == [
        ("Days", "Monday, Wednesday", "Monday")
    ]


def test_organization_diff_and_no_difference() -> None:
    before = {"name": "A", "description": "", "year_incorporated": None}
    d = diff.diff_snapshots(before, {**before, "year_incorporated": 1998}, kind="organization")
    assert [(f.label, f.before, f.after) for f in d.fields] == [("Year incorporated", "—", "1998")]
    assert not diff.diff_snapshots(before, dict(before), kind="organization")


def test_a_removed_category_still_reads() -> None:
    d = diff.diff_snapshots(service(), service(categories=[99]), kind="service", names=NAMES)
    assert "#99" in d.sets[0].added[0]


def test_conflicts_and_merge() -> None:
    before = service()
    live = service(description="Admin's", name="Admin's name")
    after = service(description="Partner's", capacity_available=3)

    assert diff.conflicts(before, live, after) == ["description"]
    merged = diff.merge(before, live, after)
    assert merged["description"] == "Partner's"
    assert merged["name"] == "Admin's name"
    assert merged["capacity_available"] == 3
    # The same change made on both sides is no conflict.
    assert diff.conflicts(before, service(description="Same"), service(description="Same")) == []


def test_hash_is_stable_and_sensitive() -> None:
    assert diff.snapshot_hash(service()) == diff.snapshot_hash(dict(reversed(service().items())))
    assert diff.snapshot_hash(service()) != diff.snapshot_hash(service(name="Other"))


def test_readable_whole_values() -> None:
    assert diff.readable("categories", [1, 2], NAMES) == "Tutoring, Mentoring"
    assert diff.readable("locations", service()["locations"], NAMES) == "Main site"
    assert diff.readable("days", [], NAMES) == "—"
    assert diff.label_for("capacity_unit", "service") == "Capacity counted in"
