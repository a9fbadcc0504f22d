"""Possible duplicates: does an incoming organization look like one the network already has?

Names are compared with rapidfuzz's `token_set_ratio` after dropping what does not tell
organizations apart ("The", "Inc.", punctuation), so "Bronx Tutoring Center, Inc." and "The
Bronx Tutoring Center" score 100. A name alone is weak evidence — "Brooklyn Tutoring Center"
scores 89 against "Bronx Tutoring Center" — so a similar name must come with a similar address:
same house number and postal code, and a street that reads the same once "Street"/"St." and
"East"/"E" are normalized. Only when neither side has an address does a near-identical name
suffice.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from wraparound.core.models import Network, Organization
from wraparound.directory.models import Address

NAME_THRESHOLD = 90  # with a similar address
NAME_ONLY_THRESHOLD = 95  # when there is no address on one side to compare
ADDRESS_THRESHOLD = 85
# A token shared by more names than this (e.g. "center") does not narrow the candidates.
_BLOCKING_LIMIT = 200

_NAME_NOISE = {
    "the",
    "inc",
    "incorporated",
    "llc",
    "ltd",
    "limited",
    "corp",
    "corporation",
    "co",
    "company",
    "of",
    "a",
}
_ADDRESS_WORDS = {
    "street": "st",
    "str": "st",
    "avenue": "ave",
    "av": "ave",
    "boulevard": "blvd",
    "road": "rd",
    "place": "pl",
    "drive": "dr",
    "lane": "ln",
    "parkway": "pkwy",
    "square": "sq",
    "court": "ct",
    "terrace": "ter",
    "highway": "hwy",
    "east": "e",
    "west": "w",
    "north": "n",
    "south": "s",
    "suite": "ste",
    "floor": "fl",
    "first": "1st",
    "second": "2nd",
    "third": "3rd",
}


def normalize_name(name: str) -> str:
    words = re.sub(r"[^\w\s]", " ", name.lower().replace("&", " and ")).split()
    return " ".join(w for w in words if w not in _NAME_NOISE)


def normalize_address(address: str) -> str:
    words = re.sub(r"[^\w\s]", " ", address.lower()).split()
    return " ".join(_ADDRESS_WORDS.get(w, w) for w in words)


def name_similarity(a: str, b: str) -> float:
    na, nb = normalize_name(a), normalize_name(b)
    if not na or not nb:
        return 0.0
    return float(fuzz.token_set_ratio(na, nb))


@dataclass(frozen=True)
class PostalAddress:
    address_1: str
    city: str = ""
    postal_code: str = ""

    def __str__(self) -> str:
        return ", ".join(p for p in (self.address_1, self.city, self.postal_code) if p)


def address_similarity(a: PostalAddress, b: PostalAddress) -> float:
    """0–100; a different house number or postal code is a different place, however alike the
    street names read."""
    sa, sb = normalize_address(a.address_1), normalize_address(b.address_1)
    if not sa or not sb:
        return 0.0
    number_a = sa.split()[0] if sa[0].isdigit() else ""
    number_b = sb.split()[0] if sb[0].isdigit() else ""
    pa, pb = a.postal_code.strip()[:5], b.postal_code.strip()[:5]
    ca, cb = normalize_address(a.city), normalize_address(b.city)
    if ca and cb:  # a city only one side gives is no evidence either way
        sa, sb = f"{sa} {ca}", f"{sb} {cb}"
    score = float(fuzz.token_sort_ratio(sa, sb))
    if (number_a and number_b and number_a != number_b) or (pa and pb and pa != pb):
        score = min(score, 50.0)
    return score


@dataclass
class Match:
    existing_id: int
    existing_name: str
    score: float  # 0–1
    reasons: list[str] = field(default_factory=list)


def score_pair(
    incoming_name: str,
    incoming_addresses: Iterable[PostalAddress],
    existing_name: str,
    existing_addresses: Iterable[PostalAddress],
) -> Match | None:
    """Whether two organizations look like one; the match (with its reasons) or None."""
    name = name_similarity(incoming_name, existing_name)
    if name < NAME_THRESHOLD:
        return None
    mine, theirs = list(incoming_addresses), list(existing_addresses)
    if not mine or not theirs:
        if name < NAME_ONLY_THRESHOLD:
            return None
        return Match(
            0,
            existing_name,
            round(name / 100, 3),
            [
                f"name {name:.0f}% alike: “{incoming_name}” / “{existing_name}”",
                "no address on one side to compare",
            ],
        )
    best, pair = max(
        ((address_similarity(a, b), (a, b)) for a in mine for b in theirs), key=lambda t: t[0]
    )
    if best < ADDRESS_THRESHOLD:
        return None
    return Match(
        0,
        existing_name,
        round((name + best) / 200, 3),
        [
            f"name {name:.0f}% alike: “{incoming_name}” / “{existing_name}”",
            f"address {best:.0f}% alike: “{pair[0]}” / “{pair[1]}”",
        ],
    )


def find_duplicates(
    network: Network, incoming: dict[str, tuple[str, list[PostalAddress]]]
) -> dict[str, Match]:
    """incoming: hsds_id → (name, addresses) of organizations new to the network. Returns the
    best existing match of each one that looks like a duplicate."""
    if not incoming:
        return {}
    existing = list(Organization.objects.filter(network=network).values_list("pk", "name"))
    by_token: dict[str, set[int]] = defaultdict(set)
    names: dict[int, str] = {}
    for pk, name in existing:
        names[pk] = name
        for token in set(normalize_name(name).split()):
            by_token[token].add(pk)
    candidates: dict[str, list[int]] = {}
    for hsds_id, (name, _) in incoming.items():
        tokens = set(normalize_name(name).split())
        pool: set[int] = set()
        narrow = [t for t in tokens if len(by_token.get(t, ())) <= _BLOCKING_LIMIT]
        for token in narrow or tokens:
            pool |= by_token.get(token, set())
        close = [pk for pk in pool if name_similarity(name, names[pk]) >= NAME_THRESHOLD]
        if close:
            candidates[hsds_id] = close
    if not candidates:
        return {}
    wanted = {pk for pks in candidates.values() for pk in pks}
    addresses: dict[int, list[PostalAddress]] = defaultdict(list)
    for org_id, address_1, city, postal_code in Address.objects.filter(
        network=network, location__organization_id__in=wanted
    ).values_list("location__organization_id", "address_1", "city", "postal_code"):
        addresses[org_id].append(PostalAddress(address_1, city, postal_code))
    found: dict[str, Match] = {}
    for hsds_id, pks in candidates.items():
        name, mine = incoming[hsds_id]
        best: Match | None = None
        for pk in pks:
            match = score_pair(name, mine, names[pk], addresses.get(pk, []))
            if match and (best is None or match.score > best.score):
                match.existing_id = pk
                best = match
        if best:
            found[hsds_id] = best
    return found
