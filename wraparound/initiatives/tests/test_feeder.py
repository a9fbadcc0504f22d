"""The feeder-pattern computation on hand-made patterns (no database)."""

from __future__ import annotations

from wraparound.initiatives.feeder import (
    GradeRow,
    PatternCoverage,
    PlanInfo,
    Reason,
    RowStatus,
    SchoolInfo,
    coverage,
    feeder_patterns,
    span,
)

TK_12 = span("TK", "12")
HIGH = SchoolInfo(3, "Harbor High", "09", "12")
MIDDLE = SchoolInfo(2, "Maple Middle", "06", "08", feeder_to_id=3)
ELEMENTARY = SchoolInfo(1, "Elm Elementary", "KG", "05", feeder_to_id=2)


def plan(school: SchoolInfo, status: str = "active", grades: list[str] | None = None) -> PlanInfo:
    return PlanInfo(school_id=school.pk, status=status, grades=frozenset(grades or school.grades))


def by_grade(pattern: PatternCoverage) -> dict[str, GradeRow]:
    return {r.grade: r for r in pattern.rows}


def test_a_chain_is_one_pattern_topped_by_the_high_school() -> None:
    [pattern] = feeder_patterns([HIGH, ELEMENTARY, MIDDLE])
    assert pattern.top == HIGH
    assert [s.name for s in pattern.schools] == ["Elm Elementary", "Maple Middle", "Harbor High"]


def test_a_missing_middle_plan_breaks_the_sequence_at_grade_6() -> None:
    plans = {1: plan(ELEMENTARY), 3: plan(HIGH)}
    [p] = coverage([ELEMENTARY, MIDDLE, HIGH], target=TK_12, plans=plans)
    rows = by_grade(p)
    assert rows["05"].status == RowStatus.REACHED
    assert rows["06"].status == RowStatus.GAP
    assert rows["06"].cells[0].school == MIDDLE
    assert rows["06"].cells[0].reason == Reason.NO_PLAN
    assert rows["09"].status == RowStatus.REACHED
    # TK is taught by no school of this pattern: shown, counted neither way.
    assert rows["TK"].status == RowStatus.NOT_SERVED
    assert p.first_break is not None
    assert p.first_break.grades == ["06", "07", "08"]
    assert p.first_break.text == "Grades 6–8 at Maple Middle: no plan"
    assert (p.reached, p.total) == (10, 13)
    assert p.percent == 77


def test_a_fully_covered_pattern_is_100_percent_without_break() -> None:
    plans = {s.pk: plan(s) for s in (ELEMENTARY, MIDDLE, HIGH)}
    [p] = coverage([ELEMENTARY, MIDDLE, HIGH], target=TK_12, plans=plans)
    assert p.percent == 100
    assert p.first_break is None
    assert p.gaps == []


def test_tk_at_an_elementary_school_must_be_reached_too() -> None:
    elementary = SchoolInfo(1, "Elm Elementary", "TK", "05", feeder_to_id=2)
    plans = {1: plan(elementary, grades=span("KG", "05")), 2: plan(MIDDLE), 3: plan(HIGH)}
    [p] = coverage([elementary, MIDDLE, HIGH], target=TK_12, plans=plans)
    assert by_grade(p)["TK"].status == RowStatus.GAP
    assert p.first_break is not None
    assert p.first_break.text == "Transitional kindergarten at Elm Elementary: not in the plan"
    assert p.total == 14


def test_overlapping_grades_count_each_school_that_teaches_them() -> None:
    # A K-8 school and a 6-8 middle school both feed the high school: grades 6-8 are taught
    # twice, and reached by only one of them.
    k8 = SchoolInfo(4, "Oak K-8", "KG", "08", feeder_to_id=3)
    plans = {4: plan(k8), 3: plan(HIGH), 2: plan(MIDDLE, status="paused")}
    [p] = coverage([k8, MIDDLE, HIGH], target=TK_12, plans=plans)
    row = by_grade(p)["07"]
    assert row.status == RowStatus.PARTIAL
    assert {c.school.pk: c.reason for c in row.cells} == {4: Reason.REACHED, 2: Reason.PAUSED}
    assert [g.text for g in p.gaps] == ["Grades 6–8 at Maple Middle: plan paused"]
    assert (p.reached, p.total) == (13, 16)


def test_a_school_in_no_chain_is_its_own_pattern() -> None:
    alone = SchoolInfo(9, "Lone Academy", "06", "12")
    patterns = coverage([ELEMENTARY, MIDDLE, HIGH, alone], target=TK_12, plans={})
    assert [p.pattern.top.name for p in patterns] == ["Harbor High", "Lone Academy"]
    single = patterns[1]
    assert [s.name for s in single.pattern.schools] == ["Lone Academy"]
    assert single.percent == 0
    assert single.first_break is not None
    assert single.first_break.text == "Grades 6–12 at Lone Academy: no plan"


def test_activity_grades_count_and_only_reaching_statuses_reach() -> None:
    plans = {
        1: PlanInfo(1, "planning", frozenset({"KG", "01"})),
        2: PlanInfo(2, "complete", frozenset(MIDDLE.grades)),
        3: PlanInfo(3, "not_started", frozenset(HIGH.grades)),
    }
    [p] = coverage([ELEMENTARY, MIDDLE, HIGH], target=TK_12, plans=plans)
    assert [g.text for g in p.gaps] == [
        "Grades 2–5 at Elm Elementary: not in the plan",
        "Grades 6–8 at Maple Middle: plan complete",
        "Grades 9–12 at Harbor High: plan not started",
    ]


def test_grades_outside_the_target_are_not_gaps() -> None:
    plans = {2: plan(MIDDLE)}
    [p] = coverage([ELEMENTARY, MIDDLE, HIGH], target=span("06", "08"), plans=plans)
    assert p.percent == 100
    assert by_grade(p)["03"].status == RowStatus.OUTSIDE


def test_two_feeders_and_a_feeder_loop_do_not_lose_schools() -> None:
    second = SchoolInfo(5, "Ash Elementary", "KG", "05", feeder_to_id=2)
    loop_a = SchoolInfo(7, "Loop A", "KG", "05", feeder_to_id=8)
    loop_b = SchoolInfo(8, "Loop B", "06", "08", feeder_to_id=7)
    patterns = feeder_patterns([ELEMENTARY, second, MIDDLE, HIGH, loop_a, loop_b])
    assert sorted(s.pk for p in patterns for s in p.schools) == [1, 2, 3, 5, 7, 8]
    harbor = next(p for p in patterns if p.top == HIGH)
    assert [s.name for s in harbor.schools] == [
        "Ash Elementary",
        "Elm Elementary",
        "Maple Middle",
        "Harbor High",
    ]
