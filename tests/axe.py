"""axe-core (from tests/independent's npm packages) run in the page a test's browser shows."""

from __future__ import annotations

from pathlib import Path

AXE = Path(__file__).resolve().parent / "independent" / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0 and 2.1, levels A and AA, as the issue was measured against.
STANDARDS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: "tag", values: arguments[0]}})
  .then(result => done(result.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map(n => n.target.join(" ") + ": " + n.failureSummary)}))),
        error => done([{id: "axe-error", impact: "critical", help: String(error), nodes: []}]));
"""


def serious_findings(browser) -> list[str]:
    """axe-core's serious and critical findings on the page the browser shows, one line each."""
    if not AXE.exists():
        raise RuntimeError(f"{AXE} is missing: run `npm ci` in tests/independent (scripts/test does)")
    browser.set_script_timeout(60)
    browser.execute_script(AXE.read_text())
    violations = browser.execute_async_script(RUN, STANDARDS)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {'; '.join(v['nodes'][:3])}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
