"""Evaluating a pack for one subject: pure, deterministic, ordered by priority then position."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import interpreter
from .cards import DETAIL_LIMIT, HEADLINE_LIMIT, Card, Offer, format_value, lazy_card, shorten
from .compiler import to_decimal
from .errors import ExampleFailed, FactError, Where
from .packs import Pack, Rule
from .syntax import Name, Node, children
from .values import clean
from .vocabulary import Fact, Vocabulary, load_vocabulary

History = Mapping[str, Any]  # cooldown key ("rule-id:subject") -> when that card was last shown


def evaluate(pack: Pack, facts: Mapping[str, Any], history: History | None = None) -> list[Card]:
    """The cards `pack` shows for these facts: fired rules, minus suppressed and cooling-down ones,
    cut to the hit policy. `facts` maps fact names to values (absent or None = missing; a value
    that does not fit its fact's type is missing too, and counted in `pack.fact_problems`).
    Card text is rendered when first read."""
    try:
        fired = pack.match(facts)
    except Exception as error:  # e.g. naive and aware datetimes compared
        raise fact_error(pack.vocabulary, facts, error) from None
    if not fired:
        return []
    shown = fired[: pack.top] if pack.plain else select(pack, fired, facts, history)
    snapshot = Snapshot(facts)  # the cards render later from the facts as they are now
    plans = pack.card_plans
    return [lazy_card(plans.get(i) or _plan(pack, i), snapshot) for i in shown]


def _plan(pack: Pack, index: int) -> CardPlan:
    plan = pack.card_plans[index] = CardPlan(pack, pack.rules[index])
    return plan


def select(
    pack: Pack, fired: list[int], facts: Mapping[str, Any], history: History | None
) -> list[int]:
    """Apply hard stops, cooldowns and the hit policy to the fired rules (in priority order)."""
    rules = pack.rules
    if pack.plain:
        return fired[: pack.top]
    stops = {rules[i].suppress for i in fired}
    shown: list[int] = []
    for index in fired:
        rule = rules[index]
        if "all" in stops and rule.suppress is None:
            continue
        if stops - {None} and rule.has_offer:
            continue
        if history and rule.cooldown is not None:
            last = history.get(rule.cooldown.key(rule.id, facts))
            if rule.cooldown.blocks(last, facts):
                continue
        shown.append(index)
        if len(shown) >= pack.top:
            break
    return shown


def make_card(pack: Pack, rule: Rule, facts: Mapping[str, Any]) -> Card:
    """The card of a fired rule; its text is rendered from these facts when first read."""
    plan = pack.card_plans.get(rule.position) or _plan(pack, rule.position)
    return Card.lazy(plan, Snapshot(facts))


class CardPlan:
    """What a rule's cards need: the facts they show, and how to render each field."""

    def __init__(self, pack: Pack, rule: Rule):
        self.pack, self.rule = pack, rule
        spec = rule.card
        names = [*rule.facts, *spec.headline.facts]
        for template in (*spec.details, *((spec.offer_text,) if spec.offer_text else ())):
            names.extend(template.facts)
        if rule.cooldown is not None:
            names.append(rule.cooldown.per)
        self.names = tuple(dict.fromkeys(names))
        self.detail_names = tuple(dict.fromkeys(n for t in spec.details for n in t._names))
        self.static = {
            "rule_id": rule.id,
            "rule_title": rule.title,
            "pack_id": pack.id,
            "pack_version": pack.version,
            "audience": rule.audience,
            "priority": rule.priority,
            "cooldown": rule.cooldown.every if rule.cooldown else None,
        }
        vocabulary = pack.vocabulary
        self.types = {
            name: (vocabulary[name].type, vocabulary[name].values)
            for name in self.names
            if vocabulary is not None and name in vocabulary
        }

    def cleaned(self, card: Card, names: Any) -> dict[str, Any]:
        """These facts of the card as the rule saw them (values that do not fit are None), money
        as Decimals; shared by every card of one evaluation, each fact cleaned once."""
        facts = card._facts
        done: dict[str, Any] = {}
        if isinstance(facts, Snapshot):
            if facts.cleaned is None:
                facts.cleaned = {}
            done = facts.cleaned
        types = self.types
        for name in names:
            if name in done:
                continue
            value = facts.get(name)
            if name in types:
                kind, values = types[name]
                value = clean(kind, values, value)[0]
                if kind == "money" and value.__class__ is float:  # a card shows money exactly
                    value = to_decimal(value)
            done[name] = value
        return done

    def render(self, template: Any, card: Card, facts: dict[str, Any]) -> str:
        """A template filled from the cleaned facts; each fact is formatted once per evaluation."""
        snapshot = card._facts
        texts: dict[str, str] = {}
        if isinstance(snapshot, Snapshot):
            if snapshot.texts is None:
                snapshot.texts = {}
            texts = snapshot.texts
        out = []
        for part in template.parts:
            if part.__class__ is str:
                out.append(part)
                continue
            text = texts.get(part.name)
            if text is None:
                text = texts[part.name] = format_value(part, facts.get(part.name))
            out.append(text)
        return "".join(out)

    def value(self, name: str, card: Card) -> Any:
        if name in self.static:
            return self.static[name]
        rule = self.rule
        spec = rule.card
        if name == "actions":
            return list(spec.actions)
        if name == "cooldown_key":
            return rule.cooldown.key(rule.id, card._facts) if rule.cooldown else None
        if name == "headline":
            facts = self.cleaned(card, spec.headline._names)
            return shorten(self.render(spec.headline, card, facts), HEADLINE_LIMIT)
        if name == "details":
            facts = self.cleaned(card, self.detail_names)
            return [
                shorten(self.render(t, card, facts), DETAIL_LIMIT)
                for t in spec.details
                if t.complete(facts)
            ]
        if name == "facts_read":
            facts = self.cleaned(card, rule.facts)
            return {fact: facts.get(fact) for fact in rule.facts}
        if spec.offer_type is None or spec.offer_text is None:
            return None
        facts = self.cleaned(card, spec.offer_text._names)
        text = shorten(self.render(spec.offer_text, card, facts), DETAIL_LIMIT)
        return Offer(spec.offer_type, text, spec.offer_max)


class Snapshot(dict):
    """The facts of one evaluation as they were, shared by its cards with what they worked out
    (cleaned values, formatted texts) so that three cards do not clean and format three times."""

    __slots__ = ("cleaned", "texts")

    def __init__(self, facts: Mapping[str, Any]):
        super().__init__(facts)
        self.cleaned: dict[str, Any] | None = None  # made when a card is first read
        self.texts: dict[str, str] | None = None


# -- fact types ----------
def validate_facts(facts: Mapping[str, Any], vocabulary: Vocabulary | None = None) -> list[str]:
    """Problems with the types of known facts (unknown names are ignored); empty if none."""
    vocabulary = vocabulary or load_vocabulary()
    problems = []
    for name, value in facts.items():
        if value is None or name not in vocabulary:
            continue
        fact = vocabulary[name]
        if not _fits(fact, value):
            problems.append(
                f"fact `{name}` should be {_EXPECTED[fact.type]}, "
                f"not {type(value).__name__} {value!r}"
            )
    return problems


def _fits(fact: Fact, value: Any) -> bool:
    return not clean(fact.type, fact.values, value)[1]


_EXPECTED = {
    "number": "a finite int or float",
    "percent": "a fraction as a finite int or float (0.87 for 87%)",
    "integer": "an int (or a whole float)",
    "money": "a finite Decimal, int, float or decimal text",
    "string": "a str",
    "enum": "one of its enum values",
    "boolean": "True or False",
    "date": "a datetime.date",
    "datetime": "a datetime.datetime",
    "duration": "a datetime.timedelta",
    "list": "a list of str",
}


def fact_error(
    vocabulary: Vocabulary | None, facts: Mapping[str, Any], error: Exception
) -> FactError:
    problems = validate_facts(facts, vocabulary)
    if problems:
        return FactError("; ".join(problems))
    return FactError(f"facts could not be evaluated: {type(error).__name__}: {error}")


# -- explanations ----------
@dataclass
class Outcome:
    """What happened to one rule: shown, or why not (with the clauses that failed)."""

    rule_id: str
    title: str
    status: str  # shown, no match, outside window, suppressed, cooling down, cut by hit policy
    clauses: list[str] = field(default_factory=list)
    facts_read: dict[str, Any] = field(default_factory=dict)


@dataclass
class Explanation:
    pack_id: str
    pack_version: str
    cards: list[Card]
    outcomes: list[Outcome]
    vocabulary: Vocabulary | None = None


def explain(pack: Pack, facts: Mapping[str, Any], history: History | None = None) -> Explanation:
    """Which rules fired and why; which did not, and which clause failed."""
    cards = evaluate(pack, facts, history)
    shown = {card.rule_id for card in cards}
    fired = [i for i in pack.order if rule_fires(pack.rules[i], facts)]
    stops = {pack.rules[i].suppress for i in fired} - {None}
    outcomes = []
    for index in pack.order:
        rule = pack.rules[index]
        read = {name: facts.get(name) for name in rule.facts}
        if rule.id in shown:
            outcomes.append(Outcome(rule.id, rule.title, "shown", [], read))
        elif index in fired:
            status = _why_hidden(rule, stops, facts, history)
            outcomes.append(Outcome(rule.id, rule.title, status, [], read))
        elif interpreter.condition(rule.tree, facts) is True:
            outcomes.append(Outcome(rule.id, rule.title, "outside its validity window", [], read))
        else:
            outcomes.append(
                Outcome(
                    rule.id,
                    rule.title,
                    "no match",
                    failed_clauses(rule, facts, pack.vocabulary),
                    read,
                )
            )
    return Explanation(pack.id, pack.version, cards, outcomes, pack.vocabulary)


def _why_hidden(rule: Rule, stops: set[str], facts: Any, history: Any) -> str:
    if ("all" in stops and rule.suppress is None) or (stops and rule.has_offer):
        return "suppressed by a compliance hard stop"
    cooldown = rule.cooldown
    if history and cooldown and cooldown.blocks(history.get(cooldown.key(rule.id, facts)), facts):
        return f"cooling down ({cooldown.every})"
    return "cut by the hit policy"


def rule_fires(rule: Rule, facts: Mapping[str, Any]) -> bool:
    """Reference answer (tree-walking) to "does this rule's condition hold, inside its window?"."""
    if interpreter.condition(rule.tree, facts) is not True:
        return False
    if rule.valid_from is None and rule.valid_until is None:
        return True
    now, _ = clean("datetime", (), facts.get("now"))
    if now is None:
        return False
    day = now.date()
    return (rule.valid_from is None or rule.valid_from <= day) and (
        rule.valid_until is None or day <= rule.valid_until
    )


def show(name: str, value: Any, vocabulary: Vocabulary | None) -> str:
    """`name = value`, the value formatted as on a card when the fact is known."""
    if vocabulary is not None and name in vocabulary:
        return f"{name} = {format_value(vocabulary[name], value)}"
    return f"{name} = {value!r}"


def failed_clauses(
    rule: Rule, facts: Mapping[str, Any], vocabulary: Vocabulary | None = None
) -> list[str]:
    """The innermost clauses that kept the condition from being true, with their values."""
    out = []
    for node, result in _failing(rule.tree, facts):
        text = rule.when[node.start : node.end].strip()
        missing = sorted({n for n in _names(node) if facts.get(n) is None})
        if result is None:
            out.append(f"`{text}` is unknown (missing: {', '.join(missing) or 'a value'})")
        else:
            names = dict.fromkeys(_names(node))
            values = ", ".join(show(n, facts.get(n), vocabulary) for n in names)
            out.append(f"`{text}` is false" + (f" ({values})" if values else ""))
    return out


def _failing(node: Node, facts: Mapping[str, Any]) -> list[tuple[Node, bool | None]]:
    result = interpreter.condition(node, facts)
    if result is True:
        return []
    op = getattr(node, "op", None)
    if op in ("and", "or"):
        parts = [_failing(child, facts) for child in (node.left, node.right)]
        return parts[0] + parts[1]
    return [(node, result)]


def _names(node: Node) -> list[str]:
    names = [node.name] if isinstance(node, Name) else []
    for child in children(node):
        names.extend(_names(child))
    if getattr(node, "func", "") in (
        "days_since",
        "days_until",
        "hours_since",
        "hours_until",
        "today",
    ):
        names.append("now")
    return names


def explanation_text(explanation: Explanation) -> str:
    """A readable report of an explanation, for the CLI."""
    lines = [f"{explanation.pack_id} {explanation.pack_version}: {len(explanation.cards)} card(s)"]
    for outcome in explanation.outcomes:
        mark = "+" if outcome.status == "shown" else "-"
        lines.append(f"{mark} {outcome.rule_id}: {outcome.status}")
        if outcome.status == "shown":
            read = outcome.facts_read.items()
            why = ", ".join(show(k, v, explanation.vocabulary) for k, v in read)
            lines.append(f"    because {why}" if why else "    (no facts read)")
        lines.extend(f"    {clause}" for clause in outcome.clauses)
    return "\n".join(lines)


# -- examples ----------
@dataclass(frozen=True)
class ExampleResult:
    """One rule example run: did the rule do what the example says, and if not, why."""

    name: str
    passed: bool
    message: str = ""


def rule_example_results(rule: Rule) -> list[ExampleResult]:
    """Run each of the rule's examples (for an editor that shows pass or fail per example)."""
    results = []
    for example in rule.examples:
        fires = rule_fires(rule, example.facts)
        if fires == example.fires:
            results.append(ExampleResult(example.name, True))
            continue
        detail = "; ".join(failed_clauses(rule, example.facts)) if not fires else ""
        expected = "fire" if example.fires else "stay quiet"
        message = (
            f"{example.name}: expected the rule to {expected}, "
            f"but it {'fired' if fires else 'did not'}" + (f": {detail}" if detail else "")
        )
        results.append(ExampleResult(example.name, False, message))
    return results


def check_examples(pack: Pack) -> int:
    """Run every rule's and the pack's examples; raises ExampleFailed at the first that fails."""
    count = 0
    for rule in pack.rules:
        for example, result in zip(rule.examples, rule_example_results(rule), strict=True):
            count += 1
            if not result.passed:
                raise ExampleFailed(result.message, _example_where(pack, example, rule.id))
    for example in pack.examples:
        count += 1
        got = [card.rule_id for card in evaluate(pack, example.facts, example.history)]
        if tuple(got) != example.cards:
            message = f'example "{example.name}": expected cards {list(example.cards)}, got {got}'
            raise ExampleFailed(message, _example_where(pack, example, None))
    return count


def _example_where(pack: Pack, example: Any, rule: str | None) -> Where:
    if example.line:
        return Where(pack.path, example.line, 1, 1, "", rule)
    return Where(pack.path, rule=rule, field=example.field)
