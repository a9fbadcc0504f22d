"""`manage.py allocate --network SLUG --year YYYY [--strategy optimal|greedy] --out PLAN.json
[--dump-model MODEL.json]`: allocate a network's partner capacity across every school's open
needs (issue 4's contract; other tools read these files — keep their shape).

PLAN.json: {"objective", "assignments": [{"need_id", "service_id", "units", "benefit"}],
"unmet": [{"need_id", "units", "reason"}], "stats": {...}}. MODEL.json: the exact problem solved
({"needs", "services", "arcs", "groups"}), so that anyone can re-solve it independently.
Nothing is written to the database: partnerships come only from an accepted review
(the network's allocation page)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wraparound.core.models import Network, SchoolYear
from wraparound.matching.network import build_problem, solve

STRATEGIES = ("optimal", "greedy")


class Command(BaseCommand):
    help = (
        "Allocate a network's partner capacity across its schools' open needs for a school year "
        "(YYYY = the calendar year in which it ends); write the plan as JSON."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--network", required=True, help="the network's slug")
        parser.add_argument("--year", required=True, type=int, help="e.g. 2027 for 2026-27")
        parser.add_argument("--strategy", choices=STRATEGIES, default="optimal")
        parser.add_argument("--out", required=True, help="PLAN.json to write")
        parser.add_argument("--dump-model", dest="dump_model", help="MODEL.json to write")

    def handle(self, *args: Any, **options: Any) -> None:
        strategy = options["strategy"]
        if strategy not in STRATEGIES:  # call_command() skips argparse's choices check
            raise CommandError(f"Unknown strategy {strategy!r}: choose optimal or greedy.")
        network = Network.objects.filter(slug=options["network"]).first()
        if network is None:
            raise CommandError(f"No network with the slug {options['network']!r}.")
        school_year = SchoolYear.objects.filter(network=network, end_year=options["year"]).first()
        if school_year is None:
            years = ", ".join(
                str(y) for y in network.school_years.values_list("end_year", flat=True)
            )
            raise CommandError(
                f"{network.name} has no school year ending in {options['year']} "
                f"(it has: {years or 'none'})."
            )
        started = time.perf_counter()
        problem = build_problem(network, school_year)
        plan = solve(problem, strategy)
        plan.stats["wall_seconds"] = round(time.perf_counter() - started, 4)
        out = Path(options["out"])
        out.write_text(plan.dumps())
        if options["dump_model"]:
            Path(options["dump_model"]).write_text(json.dumps(problem.model.to_json()))
        reason = plan.stats.get("empty_reason")
        summary = (
            f"{strategy}: objective {plan.objective:.4f}, {len(plan.assignments)} assignments, "
            f"{plan.stats.get('units_served', 0)} of {plan.stats.get('units_asked', 0)} units, "
            f"{len(plan.unmet)} needs not fully met; {plan.stats['wall_seconds']} s → {out}"
        )
        if reason:
            summary += f" (empty plan: {reason})"
        self.stdout.write(summary)
