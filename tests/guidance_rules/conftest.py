"""Helpers for the rule-engine tests: compile one condition and check it both ways."""

from __future__ import annotations

import pytest

from guidance_rules import interpreter, load_vocabulary
from guidance_rules.checker import check
from guidance_rules.compiler import compile_matcher
from guidance_rules.syntax import parse


def compiled(text: str):
    """(fires, refuses) functions for one condition: is it certainly true / certainly false."""
    vocabulary = load_vocabulary()
    tree, _ = check(parse(text), vocabulary)
    negated, _ = check(parse(f"not ({text})"), vocabulary)
    yes = compile_matcher([(0, tree, None)], first_only=False)
    no = compile_matcher([(0, negated, None)], first_only=False)
    return tree, yes, no


def _truth(text: str, **facts) -> bool | None:
    """The condition's three-valued truth for `facts` (dots spelled `__`), checked three ways."""
    facts = {name.replace("__", "."): value for name, value in facts.items()}
    tree, yes, no = compiled(text)
    reference = interpreter.condition(tree, facts)
    compiled_truth = True if yes(facts) else False if no(facts) else None
    assert compiled_truth == reference, (text, facts, compiled_truth, reference)
    return reference


@pytest.fixture
def vocabulary():
    return load_vocabulary()


@pytest.fixture
def truth():
    """`truth(condition, fact__name=value, ...)`: True, False or None (unknown)."""
    return _truth
