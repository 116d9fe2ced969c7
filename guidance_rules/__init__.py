"""Guidance rules: a small, safe, explainable rule language over named facts.

Pure Python: no Flask, no database, and no imports from `frontline` or `models`. The batch
evaluator (numpy) is imported only when one of its names is first used.
"""

from typing import Any

from .cards import Card, Offer, render_card_text
from .engine import (
    ExampleResult,
    Explanation,
    Outcome,
    check_examples,
    evaluate,
    explain,
    explanation_text,
    rule_example_results,
    validate_facts,
)
from .errors import (
    ExampleFailed,
    FactError,
    PackError,
    RuleError,
    RuleLimitError,
    RuleSyntaxError,
    RuleTypeError,
    UnknownFactError,
    VocabularyError,
)
from .holdout import held_out, split_held_out
from .packs import (
    Cooldown,
    Pack,
    Rule,
    facts_from_plain,
    load_pack,
    pack_from_data,
    pack_from_yaml,
)
from .values import FactProblems
from .vocabulary import Fact, Vocabulary, load_vocabulary

_BATCH = ("BatchResult", "MoneyColumn", "columns_from_rows", "evaluate_batch")


def __getattr__(name: str) -> Any:
    """The batch names, imported on first use so per-event callers never load numpy."""
    if name in _BATCH:
        from . import batch

        return getattr(batch, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BatchResult",
    "Card",
    "Cooldown",
    "ExampleFailed",
    "ExampleResult",
    "Explanation",
    "Fact",
    "FactError",
    "FactProblems",
    "MoneyColumn",
    "Offer",
    "Outcome",
    "Pack",
    "PackError",
    "Rule",
    "RuleError",
    "RuleLimitError",
    "RuleSyntaxError",
    "RuleTypeError",
    "UnknownFactError",
    "Vocabulary",
    "VocabularyError",
    "check_examples",
    "columns_from_rows",
    "evaluate",
    "evaluate_batch",
    "explain",
    "explanation_text",
    "facts_from_plain",
    "held_out",
    "load_pack",
    "load_vocabulary",
    "pack_from_data",
    "pack_from_yaml",
    "render_card_text",
    "rule_example_results",
    "split_held_out",
    "validate_facts",
]
