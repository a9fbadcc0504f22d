"""The HSDS table registry matches the official datapackage.json and the directory models."""

import json

import pytest
from django.conf import settings

from wraparound.directory.hsds.tables import BY_NAME, TABLES


def official_resources() -> dict[str, dict]:
    path = settings.HSDS_STANDARD_DIR / "datapackage.json"
    return {r["name"]: r for r in json.loads(path.read_text())["resources"]}


def test_every_official_table_is_mapped_with_its_columns_in_order():
    official = official_resources()
    assert set(BY_NAME) == set(official)
    for table in TABLES:
        resource = official[table.name]
        assert table.path == resource["path"]
        assert table.columns == tuple(f["name"] for f in resource["schema"]["fields"])
        assert table.required == {
            f["name"]
            for f in resource["schema"]["fields"]
            if f.get("constraints", {}).get("required")
        }
        for fk in resource["schema"].get("foreignKeys", []):
            ref = table.reference(fk["fields"])
            assert ref is not None and ref.table == fk["reference"]["resource"], fk


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_every_column_has_a_model_field(table):
    names = {f.name for f in table.model._meta.get_fields()}
    for column in table.columns:
        assert table.model_field(column) in names, (table.name, column)
    for ref in table.references:
        target = table.model._meta.get_field(ref.model_field).related_model
        assert target is BY_NAME[ref.table].model, (table.name, ref)


def test_tables_only_reference_earlier_tables_or_themselves():
    seen: set[str] = set()
    for table in TABLES:
        for ref in table.references:
            assert ref.table in seen or ref.table == table.name, (table.name, ref)
        seen.add(table.name)
