"""Small-cell suppression: nothing about fewer than ten students is shown."""

from __future__ import annotations

from wraparound.outcomes.suppression import MIN_CELL, cell, public_count, suppress_split
from wraparound.outcomes.templatetags.outcomes import cell_n, cell_value


def test_cells_under_ten_students_carry_neither_count_nor_value():
    small = cell(9, 0.5, key="a")
    assert small.suppressed and small.n is None and small.value is None
    assert small.as_dict() == {
        "key": "a",
        "label": "",
        "n": None,
        "value": None,
        "suppressed": True,
    }
    assert str(small) == "fewer than 10"
    shown = cell(MIN_CELL, 0.5)
    assert not shown.suppressed and shown.n == 10 and shown.value == 0.5


def test_empty_groups_are_suppressed_too():
    assert cell(0, None).suppressed
    assert cell(None, None).suppressed
    assert public_count(0) is None and public_count(9) is None and public_count(10) == 10


def test_one_hidden_cell_in_a_split_hides_the_next_smallest_so_it_cannot_be_subtracted():
    cells = [
        cell(40, 0.9, key="a"),
        cell(12, 0.8, key="b"),
        cell(3, 0.7, key="c"),
        cell(30, 1, key="d"),
    ]
    out = suppress_split(cells)
    assert [c.key for c in out if c.suppressed] == ["b", "c"]
    assert [c.n for c in out] == [40, None, None, 30]


def test_a_split_with_no_hidden_cell_or_two_is_left_alone():
    none_hidden = [cell(40, 0.9), cell(12, 0.8)]
    assert suppress_split(none_hidden) == none_hidden
    two_hidden = [cell(40, 0.9), cell(2, 0.8), cell(3, 0.7)]
    assert [c.suppressed for c in suppress_split(two_hidden)] == [False, True, True]


def test_template_filters_print_fewer_than_ten_for_suppressed_cells():
    assert cell_value(cell(5, 0.93), "pct") == "fewer than 10"
    assert cell_n(cell(5, 0.93)) == "fewer than 10"
    assert cell_value(cell(25, 0.93), "pct") == "93.0%"
    assert cell_n(cell(2500, 0.93)) == "2,500"
