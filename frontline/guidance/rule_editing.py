"""One rule of a draft pack edited as a form: fields in, the engine's verdict per field out,
and the draft's text with just that rule rewritten (comments elsewhere in the pack kept).

The engine checks a pack built from data and names the field of a problem (`when`,
`card.details[1]`, `examples[0]`) with the column inside it, so each message lands next to
the field the analyst typed it in. Keys the form does not show (a rule's `audience`, anything
newer) are carried over from the rule as it was.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

import guidance_rules
from guidance_rules.packs import ACTIONS, OFFER_TYPES

from .rulebook import excerpt_around

#: The form's fields, in the order the screen shows them.
FIELDS = (
    "title",
    "description",
    "priority",
    "when",
    "headline",
    "details",
    "actions",
    "offer_type",
    "offer_description",
    "offer_max",
    "cooldown",
    "valid_from",
    "valid_until",
    "suppress",
    "examples",
)
SUPPRESS_CHOICES = ("", "offers", "all")
_EDITED_KEYS = {"title", "description", "priority", "when", "card", "cooldown", "valid"}
_EDITED_KEYS |= {"suppress", "examples"}
_INDEX = re.compile(r"\[\d+\]$")


class RuleNotFound(LookupError):
    pass


@dataclass
class RuleCheck:
    """The verdict on one edited rule inside its draft."""

    values: dict[str, Any]  # what the form shows (as typed)
    data: dict[str, Any] | None = None  # the rule as pack data, when the form could be read
    pack: guidance_rules.Pack | None = None  # the whole draft with this rule, when it checks
    where: str = ""  # the form field the problem is in ("" when none, or the pack)
    message: str = ""
    excerpt: str = ""  # the field's text and a caret under the place, when there is one
    examples: list[guidance_rules.ExampleResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.pack is not None and not self.message


def rule_ids(text: str) -> list[str]:
    return [rule.get("id") for rule in _rules(_data(text)) if isinstance(rule, dict)]


def form_values(text: str, rule_id: str) -> dict[str, Any]:
    """The form's fields for a rule of the draft TEXT, as the analyst will see them."""
    rule = _find(_data(text), rule_id)
    card = rule.get("card") or {}
    offer = card.get("offer") or {}
    valid = rule.get("valid") or {}
    examples = rule.get("examples") or []
    return {
        "title": _text(rule.get("title")),
        "description": _text(rule.get("description")).strip(),
        "priority": _text(rule.get("priority")),
        "when": _text(rule.get("when")).strip(),
        "headline": _text(card.get("headline")),
        "details": "\n".join(_text(line) for line in card.get("details") or []),
        "actions": [_text(action) for action in card.get("actions") or []],
        "offer_type": _text(offer.get("type")),
        "offer_description": _text(offer.get("description")),
        "offer_max": _text(offer.get("max_value")),
        "cooldown": _cooldown_text(rule.get("cooldown")),
        "valid_from": _text(valid.get("from")),
        "valid_until": _text(valid.get("until")),
        "suppress": _text(rule.get("suppress")),
        "examples": _dump(examples).strip() if examples else "",
    }


def check_rule(text: str, audience: str, rule_id: str, values: dict[str, Any]) -> RuleCheck:
    """Build the rule from the form, put it in the draft in place of RULE_ID and check the
    whole pack; the first problem comes back on the field it is in."""
    result = RuleCheck(values=values)
    data = _data(text)
    original = _find(data, rule_id)
    try:
        result.data = _rule_data(original, values)
    except _FieldProblem as problem:
        result.where, result.message, result.excerpt = problem.args
        return result
    rules = _rules(data)
    rules[rules.index(original)] = result.data
    try:
        pack = guidance_rules.pack_from_data(data, name=f"{audience} draft", run_examples=False)
    except guidance_rules.RuleError as error:
        _place(result, error, rule_id)
        return result
    if pack.audience != audience:
        result.message = f"this is a pack for {pack.audience}s, not for {audience}s"
        return result
    result.pack = pack
    rule = next(r for r in pack.rules if r.id == rule_id)
    result.examples = guidance_rules.rule_example_results(rule)
    failed = next((example for example in result.examples if not example.passed), None)
    if failed is not None:
        result.where, result.message = "examples", failed.message
    return result


def rewrite(text: str, rule_id: str, rule: dict[str, Any]) -> str:
    """TEXT with the YAML of RULE_ID replaced by RULE's; every other line stays as written."""
    lines = text.splitlines(keepends=True)
    start, end, indent = _span(lines, rule_id)
    block = _dump([rule])
    pad = " " * indent
    body = "".join(pad + line if line.strip() else line for line in block.splitlines(True))
    return "".join(lines[:start]) + body + "".join(lines[end:])


# -- reading the form --------------------------------------------------------------------------


class _FieldProblem(Exception):
    """(form field, message, excerpt) for a value the form itself cannot turn into data."""


def _rule_data(original: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    rule = {k: v for k, v in original.items() if k not in _EDITED_KEYS}
    rule["title"] = values.get("title", "").strip()
    if values.get("description", "").strip():
        rule["description"] = values["description"].strip()
    priority = values.get("priority", "").strip()
    rule["priority"] = int(priority) if priority.isdigit() else priority
    when = " ".join(values.get("when", "").split())
    rule["when"] = _Folded(when) if len(when) > 72 else when
    card: dict[str, Any] = {"headline": values.get("headline", "").strip()}
    details = [line.strip() for line in values.get("details", "").splitlines() if line.strip()]
    if details:
        card["details"] = details
    card["actions"] = _Flow(values.get("actions") or [])
    if values.get("offer_type"):
        offer = {"type": values["offer_type"], "description": values.get("offer_description", "")}
        if values.get("offer_max", "").strip():
            offer["max_value"] = values["offer_max"].strip()
        card["offer"] = offer
    rule["card"] = card
    cooldown = values.get("cooldown", "").strip()
    if cooldown:
        kept = original.get("cooldown")
        rule["cooldown"] = {**kept, "every": cooldown} if isinstance(kept, dict) else cooldown
    valid = {k: values.get(f"valid_{k}", "").strip() for k in ("from", "until")}
    if any(valid.values()):
        rule["valid"] = {k: v for k, v in valid.items() if v}
    if values.get("suppress"):
        rule["suppress"] = values["suppress"]
    examples = _examples(values.get("examples", ""))
    if examples:
        rule["examples"] = examples
    return rule


def _examples(text: str) -> list[Any]:
    if not text.strip():
        return []
    try:
        examples = _load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        why = getattr(error, "problem", None) or "this is not YAML"
        raise _FieldProblem("examples", f"examples, {where}{why}", "") from None
    if not isinstance(examples, list):
        raise _FieldProblem("examples", "examples are a list: each starts with `- facts:`", "")
    return examples


# -- placing the engine's message --------------------------------------------------------------

#: The engine's field names inside a rule, as the form names them.
_FORM_FIELD = {
    "card.headline": "headline",
    "card.details": "details",
    "card.actions": "actions",
    "card.offer": "offer_type",
    "card.offer.type": "offer_type",
    "card.offer.description": "offer_description",
    "card.offer.max_value": "offer_max",
    "card": "headline",
    "valid": "valid_from",
    "valid.from": "valid_from",
    "valid.until": "valid_until",
    "cooldown.every": "cooldown",
}


def _place(result: RuleCheck, error: guidance_rules.RuleError, rule_id: str) -> None:
    where = error.where
    if where is None or where.rule != rule_id or not where.field:
        result.message = str(error)  # another rule, or the pack: say it whole
        return
    engine_field = _INDEX.sub("", where.field)
    result.where = _FORM_FIELD.get(engine_field, engine_field)
    if result.where not in FIELDS:
        result.where = ""
    result.message = error.message
    if where.text:
        caret = " " * max(where.column - 1, 0) + "^" * max(1, where.width)
        result.excerpt = excerpt_around(where.text, caret)


# -- the draft's text --------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """YAML with every number that has a point kept as written (`2000000.00` stays exact money,
    not a float); the engine decides each value's type from the vocabulary."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:float"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _load(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)  # _Loader is a SafeLoader


def _data(text: str) -> dict[str, Any]:
    data = _load(text)
    if not isinstance(data, dict):
        raise RuleNotFound("the draft is not a pack")
    return data


def _rules(data: dict[str, Any]) -> list[Any]:
    rules = data.get("rules")
    return rules if isinstance(rules, list) else []


def _find(data: dict[str, Any], rule_id: str) -> dict[str, Any]:
    for rule in _rules(data):
        if isinstance(rule, dict) and rule.get("id") == rule_id:
            return rule
    raise RuleNotFound(f"the draft has no rule {rule_id!r}")


def _span(lines: list[str], rule_id: str) -> tuple[int, int, int]:
    """Lines [start, end) of the rule's list item and the indent of its dash; the comments and
    blank lines before the next item stay with that item."""
    starts = []  # (line, indent) of each `- ` item under `rules:`
    in_rules, item_indent = False, None
    for n, line in enumerate(lines):
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if not stripped.strip() or stripped.startswith("#"):
            continue
        if indent == 0:
            in_rules = stripped.startswith("rules:")
            if not in_rules and starts and starts[-1][0] >= 0:
                starts.append((n, -1))  # the next top-level key ends the last rule
            continue
        if in_rules and stripped.startswith("- ") and item_indent in (None, indent):
            item_indent = indent
            starts.append((n, indent))
    starts.append((len(lines), -1))
    ids = iter(rule_ids("".join(lines)))
    for (start, indent), (following, _) in itertools.pairwise(starts):
        if indent < 0:
            continue
        if next(ids, None) == rule_id:
            end = following
            while end > start + 1 and (
                not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")
            ):
                end -= 1
            return start, end, indent
    raise RuleNotFound(f"the draft has no rule {rule_id!r}")


class _Flow(list):
    """A short list written on one line: `actions: [acknowledge, done]`."""


class _Folded(str):
    """A long condition written as a folded block, broken between words (reads back the same)."""


class _Dumper(yaml.SafeDumper):
    """Block lists indented under their key, as the shipped packs are written."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


_Dumper.add_representer(
    _Flow, lambda dumper, data: dumper.represent_sequence("tag:yaml.org,2002:seq", data, True)
)


_Dumper.add_representer(
    _Folded, lambda dumper, data: dumper.represent_scalar("tag:yaml.org,2002:str", data, ">")
)


def _dump(value: Any) -> str:
    return yaml.dump(value, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=88)


def _cooldown_text(cooldown: Any) -> str:
    """`visit`, `12h`...: the form shows how often; a `per` other than the subject is kept."""
    return _text(cooldown.get("every") if isinstance(cooldown, dict) else cooldown)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


__all__ = [
    "ACTIONS",
    "FIELDS",
    "OFFER_TYPES",
    "SUPPRESS_CHOICES",
    "RuleCheck",
    "RuleNotFound",
    "check_rule",
    "form_values",
    "rewrite",
    "rule_ids",
]
