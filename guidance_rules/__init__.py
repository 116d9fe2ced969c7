"""Guidance rules: a small, safe, explainable rule language over named facts.

Pure Python: no Flask, no database, and no imports from `frontline` or `models`.
"""

from .batch import BatchResult, MoneyColumn, columns_from_rows, evaluate_batch
from .cards import Card, Offer, render_card_text
from .engine import (
    Explanation,
    Outcome,
    check_examples,
    evaluate,
    explain,
    explanation_text,
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
from .packs import Cooldown, Pack, Rule, facts_from_plain, load_pack
from .vocabulary import Fact, Vocabulary, load_vocabulary

__all__ = [
    "BatchResult",
    "Card",
    "Cooldown",
    "ExampleFailed",
    "Explanation",
    "Fact",
    "FactError",
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
    "load_pack",
    "load_vocabulary",
    "render_card_text",
    "validate_facts",
]
