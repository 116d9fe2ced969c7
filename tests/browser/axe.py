"""axe-core (npm, pinned) run in the page through DevTools: the page's CSP is not loosened.

The first use installs axe-core with npm into test-artifacts/npm (git-ignored); no CDN.
"""

from __future__ import annotations

import subprocess
from functools import cache

from tests.conftest import ARTIFACTS

AXE_VERSION = "4.10.3"
NPM_DIR = ARTIFACTS / "npm"
AXE = NPM_DIR / "node_modules" / "axe-core" / "axe.min.js"
#: WCAG 2.1 A and AA, as Lighthouse's accessibility audits check them.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@cache
def axe_source() -> str:
    installed = NPM_DIR / "node_modules" / "axe-core" / "package.json"
    if not AXE.exists() or f'"version": "{AXE_VERSION}"' not in installed.read_text():
        NPM_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--silent", f"axe-core@{AXE_VERSION}"],
            cwd=NPM_DIR,
            check=True,
            timeout=300,
        )
    return AXE.read_text()


def violations(page) -> list[str]:
    """Each violation as one line: rule, impact, and the first elements it found (selector and
    the start of their markup)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    found = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations.map(v => [v.id, v.impact, v.nodes.slice(0, 3)"
        ".map(n => n.target.join(' ') + ' ' + n.html.slice(0, 90))]))",
        TAGS,
    )
    return [f"{rule} ({impact}): {' | '.join(nodes)}" for rule, impact, nodes in found]


def assert_accessible(page) -> None:
    found = violations(page)
    assert not found, f"axe-core on {page.url}: " + "; ".join(found)
