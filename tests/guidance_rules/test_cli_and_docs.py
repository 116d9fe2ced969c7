"""The `rules` click group and the generated vocabulary section of docs/rules.md."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from guidance_rules import load_vocabulary
from guidance_rules.cli import rules
from guidance_rules.docs import DOCS, vocabulary_markdown, with_vocabulary

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str):
    return CliRunner().invoke(rules, list(args))


def test_vocab_lists_every_fact():
    result = run("vocab")
    assert result.exit_code == 0
    for fact in load_vocabulary():
        assert fact.name in result.output
    assert "guest.tier" in result.output and "enum(member, gold" in result.output


def test_check_validates_the_default_packs():
    result = run("check")
    assert result.exit_code == 0, result.output
    assert "host-arrivals 2025.2, 9 rules" in result.output
    assert "rep-guidance 2025.1" in result.output


def test_check_reports_every_bad_rule_and_exits_nonzero(tmp_path):
    pack = tmp_path / "bad.yaml"
    pack.write_text(
        'id: bad\nversion: "1"\naudience: host\nrules:\n'
        "  - {id: a, title: A, when: guest.teir > 1, card: {headline: x, actions: [done]}}\n"
        "  - {id: b, title: B, when: guest.name > 1, card: {headline: x, actions: [done]}}\n"
    )
    result = run("check", str(pack))
    assert result.exit_code == 1
    assert "did you mean `guest.tier`?" in result.output
    assert "cannot compare string with number" in result.output
    assert "1 of 1 pack(s) rejected" in result.output


def test_explain_shows_fired_and_failed_rules(tmp_path):
    facts = tmp_path / "facts.json"
    facts.write_text(
        json.dumps(
            {
                "quote.total": 2424000,
                "quote.rate": "2.10",
                "price.floor": 2.35,
                "customer.name": "Acme",
            }
        )
    )
    result = run("explain", "rep", "--facts", str(facts))
    assert result.exit_code == 0, result.output
    assert "+ escalate-large-deal: shown\n    because quote.total = $2,424,000.00" in result.output
    assert "+ hold-the-floor: shown" in result.output
    assert "- ask-for-stretch: no match" in result.output


def test_explain_refuses_unknown_facts_and_packs(tmp_path):
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({"quote.totl": 1}))
    result = run("explain", "rep", "--facts", str(facts))
    assert result.exit_code == 1 and "did you mean `quote.total`?" in result.output
    result = run("explain", "nope", "--facts", str(facts))
    assert result.exit_code == 1 and "no pack `nope`" in result.output


def test_the_cli_module_does_not_import_flask_or_the_app():
    code = (
        "import sys, guidance_rules.cli, guidance_rules.batch; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'frontline', 'models')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    completed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True)
    assert completed.returncode == 0, completed.stdout


def test_docs_vocabulary_section_is_fresh():
    document = DOCS.read_text(encoding="utf-8")
    assert with_vocabulary(document) == document, (
        "docs/rules.md is stale: run `flask rules vocab --update-docs`"
    )
    assert (
        "| `guest.tier` | enum(member, gold, platinum, diamond, black) |" in vocabulary_markdown()
    )
