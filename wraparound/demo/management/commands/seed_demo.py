"""`manage.py seed_demo --profile small|city --seed N`: (re)load a demo network, print logins."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wraparound.demo.generate import LOGIN_URL, DemoData, seed_demo
from wraparound.demo.profiles import PROFILES


class Command(BaseCommand):
    help = (
        "Create the demo network of a profile (DESIGN.md §7), deterministically for a seed, and "
        "the demo logins. An existing network of that profile is deleted and recreated; the demo "
        "users are updated and their memberships replaced."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--profile", choices=sorted(PROFILES), default="small",
            help="which data profile to load (default: small)",
        )  # fmt: skip
        parser.add_argument(
            "--seed", type=int, default=1, help="random seed; the same seed gives the same data"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["profile"]
        # call_command() does not run argparse's choices check, so check here as well.
        if name not in PROFILES:
            raise CommandError(
                f"Unknown profile {name!r}: choose one of {', '.join(sorted(PROFILES))}."
            )
        seed = options["seed"]
        if not isinstance(seed, int):
            raise CommandError(f"--seed must be a whole number, not {seed!r}.")
        data = seed_demo(PROFILES[name], seed)
        self._summary(data)
        self._logins(data)

    def _summary(self, data: DemoData) -> None:
        network = data.network
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded the {data.profile.name} profile (seed {data.seed}) as "
                f"“{network.name}” (/{network.slug}) in {data.seconds:.1f} s."
            )
        )
        for what, count in data.counts().items():
            self.stdout.write(f"  {count:>6,}  {what}")
        current = next((y for y in data.school_years if y.is_current), None)
        if current is not None:
            self.stdout.write(
                f"  current school year {current.label}: "
                f"{current.start_date:%-d %B %Y} to {current.end_date:%-d %B %Y}"
            )

    def _logins(self, data: DemoData) -> None:
        header = ("Role", "Username", "Password", "Sees")
        rows = [(r.role, r.username, r.password, r.sees) for r in data.logins]
        widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(3)]

        def line(row: tuple[str, ...]) -> str:
            cells = [str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)]
            return "  ".join([*cells, row[3]])

        self.stdout.write("")
        self.stdout.write(f"Log in at {LOGIN_URL} as:")
        self.stdout.write(self.style.MIGRATE_HEADING(line(header)))
        for row in rows:
            self.stdout.write(line(row))
