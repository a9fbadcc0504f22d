"""axe-core in the browser tests: every page passes with no serious or critical violation.

axe-core comes from npm (package.json devDependencies) and is injected from node_modules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE_JS = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = frozenset({"serious", "critical"})
MAX_NODES = 10  # per violation, in failure messages


def run_axe(page: Page) -> list[dict[str, Any]]:
    """All of axe's violations on the page as it is now."""
    if not AXE_JS.exists():
        raise FileNotFoundError(f"{AXE_JS} is missing: run `npm ci` (or `make install`).")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    results: dict[str, Any] = page.evaluate("axe.run()")
    return list(results["violations"])


def blocking(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]


def describe(violations: list[dict[str, Any]]) -> str:
    """One paragraph per violation: id, impact, help (and its URL), the offending nodes."""
    lines: list[str] = []
    for v in violations:
        lines.append(f"- {v['id']} ({v.get('impact')}): {v['help']} <{v.get('helpUrl', '')}>")
        for node in v.get("nodes", [])[:MAX_NODES]:
            target = " ".join(str(t) for t in node.get("target", []))
            summary = "; ".join(
                line.strip() for line in node.get("failureSummary", "").splitlines() if line.strip()
            )
            lines.append(f"    at {target}: {node.get('html', '')[:160]}")
            lines.append(f"       {summary}")
        if len(v.get("nodes", [])) > MAX_NODES:
            lines.append(f"    … and {len(v['nodes']) - MAX_NODES} more")
    return "\n".join(lines)


def serious_violations_report(page: Page, where: str | None = None) -> str:
    """Empty when the page passes; otherwise what axe found, ready for an assertion message."""
    found = blocking(run_axe(page))
    if not found:
        return ""
    return (
        f"axe-core: {len(found)} serious/critical violation(s) on {where or page.url}:\n"
        + describe(found)
    )


def assert_no_serious_violations(page: Page, where: str | None = None) -> None:
    report = serious_violations_report(page, where)
    assert not report, report
