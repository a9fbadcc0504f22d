"""The default taxonomy: pillars and categories, idempotent creation, sub-category closure."""

from __future__ import annotations

from typing import Any

import pytest

from wraparound.core.tests.factories import NetworkFactory
from wraparound.directory.models import Taxonomy, TaxonomyTerm
from wraparound.directory.taxonomy import (
    DEFAULT_TERMS,
    PILLARS,
    hsds_id_for,
    lineage,
    pillar_of,
    taxonomy_ensure_default,
    term_ids_with_descendants,
)

pytestmark = pytest.mark.django_db


def test_the_list_is_well_formed() -> None:
    codes = [t.code for t in DEFAULT_TERMS]
    assert len(codes) == len(set(codes))
    assert [t.code for t in DEFAULT_TERMS if not t.parent] == list(PILLARS)
    seen: set[str] = set()
    for term in DEFAULT_TERMS:
        assert not term.parent or term.parent in seen, term.code  # parents come first
        assert term.name and term.name_es and term.description, term.code
        assert term.name_es != term.name, term.code
        seen.add(term.code)
    assert 20 <= len(DEFAULT_TERMS) - len(PILLARS) <= 30
    assert pillar_of("health-dental") == "integrated-student-supports"
    assert lineage("health-vision") == ["health-vision", "health", "integrated-student-supports"]


def test_ensure_default_creates_the_tree_once() -> None:
    network: Any = NetworkFactory()
    taxonomy = taxonomy_ensure_default(network=network)
    terms = {t.code: t for t in TaxonomyTerm.objects.filter(network=network)}
    assert set(terms) == {t.code for t in DEFAULT_TERMS}
    assert {c for c, t in terms.items() if t.parent is None} == set(PILLARS)
    assert terms["health-dental"].parent == terms["health"]
    assert terms["tutoring"].parent == terms["expanded-learning"]
    assert terms["tutoring"].name_es == "Tutoría"
    assert all(t.taxonomy_ref == taxonomy and t.taxonomy == taxonomy.name for t in terms.values())
    assert terms["tutoring"].hsds_id == hsds_id_for("tutoring")

    # A network admin renamed a term and a term went missing: a re-run restores only what is gone.
    TaxonomyTerm.objects.filter(pk=terms["tutoring"].pk).update(name="Tutoring and homework help")
    TaxonomyTerm.objects.filter(pk=terms["health-vision"].pk).delete()
    again = taxonomy_ensure_default(network=network)
    assert again == taxonomy
    assert Taxonomy.objects.filter(network=network).count() == 1
    assert TaxonomyTerm.objects.filter(network=network).count() == len(DEFAULT_TERMS)
    assert TaxonomyTerm.objects.get(network=network, code="tutoring").name == (
        "Tutoring and homework help"
    )
    vision = TaxonomyTerm.objects.get(network=network, code="health-vision")
    assert vision.parent == terms["health"]


def test_each_network_has_its_own_taxonomy() -> None:
    a: Any = NetworkFactory()
    b: Any = NetworkFactory()
    taxonomy_ensure_default(network=a)
    taxonomy_ensure_default(network=b)
    assert TaxonomyTerm.objects.filter(network=a).count() == len(DEFAULT_TERMS)
    assert TaxonomyTerm.objects.filter(network=b).count() == len(DEFAULT_TERMS)


def test_a_pillar_reaches_every_category_beneath_it(django_assert_num_queries: Any) -> None:
    network: Any = NetworkFactory()
    other: Any = NetworkFactory()
    taxonomy_ensure_default(network=network)
    taxonomy_ensure_default(network=other)
    ids = dict(TaxonomyTerm.objects.filter(network=network).values_list("code", "id"))
    other_ids = dict(TaxonomyTerm.objects.filter(network=other).values_list("code", "id"))
    with django_assert_num_queries(1):
        found = term_ids_with_descendants(network, [ids["integrated-student-supports"]])
    expected = {
        ids[t.code] for t in DEFAULT_TERMS if pillar_of(t.code) == "integrated-student-supports"
    }
    assert found == expected
    assert ids["health-dental"] in found and ids["tutoring"] not in found
    assert term_ids_with_descendants(network, [ids["health"]]) == {
        ids["health"],
        ids["health-medical"],
        ids["health-vision"],
        ids["health-dental"],
    }
    assert term_ids_with_descendants(network, [ids["tutoring"]]) == {ids["tutoring"]}
    # another network's term is not this network's category
    assert term_ids_with_descendants(network, [other_ids["tutoring"]]) == set()


@pytest.mark.django_db
def test_a_network_with_a_taxonomy_can_be_deleted_but_a_parent_term_alone_cannot():
    from django.db.models import RestrictedError

    network = NetworkFactory.create()
    taxonomy_ensure_default(network=network)
    pillar = TaxonomyTerm.objects.filter(network=network, parent=None).first()
    assert pillar is not None
    with pytest.raises(RestrictedError):
        pillar.delete()
    network.delete()
    assert not TaxonomyTerm.objects.filter(network_id=network.pk).exists()
