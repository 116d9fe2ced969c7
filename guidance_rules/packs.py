"""Rule packs: YAML files of rules with cards and examples, checked whole when they are loaded."""

from __future__ import annotations

import datetime as dt
import functools
import gc
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from .cards import DETAIL_LIMIT, HEADLINE_LIMIT, Template, parse_template
from .checker import check
from .compiler import compile_matcher
from .errors import FactError, PackError, RuleError
from .syntax import Node, parse, tokenize
from .values import FactProblems, clean
from .vocabulary import Fact, Vocabulary, load_vocabulary
from .yamlsource import Reader, Source, compose, is_null

MAX_RULES = 2_000
MAX_EXAMPLES = 200
AUDIENCES = ("host", "rep")
HIT_POLICIES = ("first", "collect")
ACTIONS = {
    "host": ("acknowledge", "on_my_way", "done", "not_relevant", "request_approval"),
    "rep": ("call_logged", "offer_sent", "not_relevant", "request_approval"),
}
OFFER_TYPES = ("dining", "show", "free_play", "room_upgrade", "spa", "rate")
SUBJECTS = {"host": "guest.id", "rep": "customer.id"}  # default cooldown subject per audience
PACK_KEYS = (
    "id",
    "version",
    "title",
    "description",
    "audience",
    "hit_policy",
    "top",
    "rules",
    "examples",
)
RULE_KEYS = (
    "id",
    "title",
    "description",
    "audience",
    "priority",
    "when",
    "card",
    "cooldown",
    "valid",
    "suppress",
    "examples",
)
CARD_KEYS = ("headline", "details", "actions", "offer")


@dataclass(frozen=True)
class Cooldown:
    """Show a rule's card at most once per `every` (a duration, `visit` or `once`) per subject."""

    every: str
    per: str
    period: dt.timedelta | None = None

    def key(self, rule_id: str, facts: Any) -> str:
        subject = facts.get(self.per)
        return f"{rule_id}:{'' if subject is None else subject}"

    def blocks(self, last: Any, facts: Any) -> bool:
        """Whether a card last shown at `last` is still cooling down."""
        if last is None:
            return False
        if self.every == "once":
            return True
        if self.every == "visit":
            started, _ = clean("datetime", (), facts.get("visit.started"))
            return started is None or last >= started
        now, _ = clean("datetime", (), facts.get("now"))
        return now is None or now - last < self.period


@dataclass(frozen=True)
class CardSpec:
    headline: Template
    details: tuple[Template, ...]
    actions: tuple[str, ...]
    offer_type: str | None = None
    offer_text: Template | None = None
    offer_max: Decimal | None = None


@dataclass(frozen=True)
class Example:
    """Facts in, expected result out: `fires` for a rule's example, `cards` for a pack's."""

    name: str
    facts: dict[str, Any]
    line: int
    fires: bool | None = None
    cards: tuple[str, ...] | None = None
    history: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    audience: str
    priority: int
    when: str
    tree: Node = field(repr=False)
    facts: tuple[str, ...]
    card: CardSpec = field(repr=False)
    position: int
    line: int
    description: str = ""
    cooldown: Cooldown | None = None
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    suppress: str | None = None  # "offers" or "all": a compliance hard stop
    examples: tuple[Example, ...] = ()

    @property
    def has_offer(self) -> bool:
        return self.card.offer_type is not None


@dataclass
class Pack:
    id: str
    version: str
    audience: str
    hit_policy: str
    top: int
    rules: tuple[Rule, ...]
    title: str = ""
    description: str = ""
    path: str = "<text>"
    examples: tuple[Example, ...] = ()
    vocabulary: Vocabulary | None = field(default=None, repr=False)
    order: tuple[int, ...] = field(default=(), repr=False)  # rule positions, best first
    match: Callable[[Any], list[int]] = field(default=None, repr=False)  # type: ignore[assignment]
    batch_plan: Any = field(default=None, repr=False)
    fact_problems: FactProblems = field(default_factory=FactProblems, repr=False, compare=False)
    card_plans: dict[int, Any] = field(default_factory=dict, repr=False, compare=False)

    @functools.cached_property
    def plain(self) -> bool:
        """No hard stops and no cooldowns: the shown cards are the first `top` that fire."""
        return not any(rule.suppress or rule.cooldown for rule in self.rules)

    @functools.cached_property
    def rule_ids(self) -> tuple[str, ...]:
        """Rule ids by position in the pack (what `match` returns positions into)."""
        return tuple(rule.id for rule in self.rules)

    def match_ids(self, facts: Mapping[str, Any]) -> list[str]:
        """The ids of the rules whose conditions hold (and validity windows include `now`),
        best first; hard stops, cooldowns and the hit policy are not applied."""
        ids = self.rule_ids
        return [ids[i] for i in self.match(facts)]

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


def load_pack(
    path_or_text: str | Path, vocabulary: Vocabulary | None = None, *, run_examples: bool = True
) -> Pack:
    """Load, check and compile a pack from a file path or YAML text; any bad rule rejects it."""
    vocabulary = vocabulary or load_vocabulary()
    source = _source(path_or_text)
    collecting = gc.isenabled()
    gc.disable()  # loading makes many small acyclic objects; collecting midway only costs time
    try:
        pack = PackLoader(source, vocabulary).pack(compose(source))
    finally:
        if collecting:
            gc.enable()
    if run_examples:
        from .engine import check_examples

        check_examples(pack)
    return pack


def _source(path_or_text: str | Path) -> Source:
    if isinstance(path_or_text, Path) or (
        "\n" not in path_or_text and path_or_text.endswith((".yaml", ".yml"))
    ):
        path = Path(path_or_text)
        try:
            return Source(str(path), path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            raise PackError(f"{path}: cannot read the pack: {error}") from None
    return Source("<text>", path_or_text)


class PackLoader:
    def __init__(self, source: Source, vocabulary: Vocabulary):
        self.source = source
        self.vocabulary = vocabulary
        self.read = Reader(source)

    def pack(self, root: yaml.Node) -> Pack:
        keys = self.read.mapping(
            root, "the pack", PACK_KEYS, ("id", "version", "audience", "rules")
        )
        audience = self.read.choice(keys["audience"], "audience", AUDIENCES)
        policy = "collect"
        if "hit_policy" in keys:
            policy = self.read.choice(keys["hit_policy"], "hit policy", HIT_POLICIES)
        top = self.read.integer(keys["top"], "top", 1, 50) if "top" in keys else 3
        rule_nodes = self.read.sequence(keys["rules"], "rules", MAX_RULES)
        if not rule_nodes:
            raise self.read.fail("a pack needs at least one rule", keys["rules"])
        rules = self.rules(rule_nodes, audience)
        order = tuple(sorted(range(len(rules)), key=lambda i: (-rules[i].priority, i)))
        windows = {i: _window(rules[i]) for i in order}
        first_only = policy == "first" and not any(r.cooldown or r.suppress for r in rules)
        problems = FactProblems()
        match = compile_matcher(
            [(i, rules[i].tree, windows[i]) for i in order], first_only, problems
        )
        examples = ()
        if "examples" in keys:
            examples = tuple(self.examples(keys["examples"], self.read, pack_level=True))
        return Pack(
            id=_slug(self.read, keys["id"], "pack id"),
            version=self.read.text(keys["version"], "version"),
            audience=audience,
            hit_policy=policy,
            top=1 if policy == "first" else top,
            rules=tuple(rules),
            title=self.read.text(keys["title"], "title") if "title" in keys else "",
            description=self.read.text(keys["description"], "description")
            if "description" in keys
            else "",
            path=self.source.path,
            examples=examples,
            vocabulary=self.vocabulary,
            order=order,
            match=match,
            fact_problems=problems,
        )

    def rules(self, nodes: list[yaml.Node], audience: str) -> list[Rule]:
        rules: list[Rule] = []
        errors: list[RuleError] = []
        seen: dict[str, int] = {}
        for position, node in enumerate(nodes):
            try:
                rule = self.rule(node, position, audience)
            except RuleError as error:
                errors.append(error)
                continue
            if rule.id in seen:
                where = Reader(self.source, rule.id)
                errors.append(
                    where.fail(f"rule id `{rule.id}` is already used on line {seen[rule.id]}", node)
                )
                continue
            seen[rule.id] = rule.line
            rules.append(rule)
        if errors:
            first = errors[0]
            first.all = errors  # every bad rule, for `rules check`
            raise first
        return rules

    def rule(self, node: yaml.Node, position: int, pack_audience: str) -> Rule:
        pairs = node.value if isinstance(node, yaml.MappingNode) else []
        ids = [v.value for k, v in pairs if k.value == "id" and isinstance(v, yaml.ScalarNode)]
        rule_id = ids[0] if ids else f"#{position + 1}"
        read = Reader(self.source, rule_id)
        keys = read.mapping(node, "a rule", RULE_KEYS, ("id", "title", "when", "card"))
        rule_id = _slug(read, keys["id"], "rule id")
        read.rule = rule_id
        audience = (
            read.choice(keys["audience"], "audience", AUDIENCES)
            if "audience" in keys
            else pack_audience
        )
        when_node = keys["when"]
        when = read.text(when_node, "`when`")
        tree, facts = self.condition(read, when_node, when)
        card = self.card(read, keys["card"], audience)
        valid = read.mapping(keys["valid"], "`valid`", ("from", "until")) if "valid" in keys else {}
        suppress = None
        if "suppress" in keys:
            suppress = read.choice(keys["suppress"], "suppress", ("offers", "all"))
            if card.offer_type is not None:
                raise read.fail("a hard stop cannot carry an offer", keys["suppress"])
        return Rule(
            id=rule_id,
            title=read.text(keys["title"], "title"),
            audience=audience,
            priority=read.integer(keys["priority"], "priority", 0, 100)
            if "priority" in keys
            else 50,
            when=when,
            tree=tree,
            facts=tuple(facts),
            card=card,
            position=position,
            line=node.start_mark.line + 1,
            description=read.text(keys["description"], "description")
            if "description" in keys
            else "",
            cooldown=self.cooldown(read, keys["cooldown"], audience)
            if "cooldown" in keys
            else None,
            valid_from=read.date(valid["from"], "`valid.from`") if "from" in valid else None,
            valid_until=read.date(valid["until"], "`valid.until`") if "until" in valid else None,
            suppress=suppress,
            examples=tuple(self.examples(keys["examples"], read)) if "examples" in keys else (),
        )

    def condition(self, read: Reader, node: yaml.ScalarNode, when: str) -> tuple[Node, list[str]]:
        try:
            return check(parse(when), self.vocabulary)
        except RuleError as error:
            if error.span is None:
                raise error.located(self.source.where(node, read.rule)) from None
            raise error.located(self.source.where_in(node, error.span, read.rule)) from None

    def template(self, read: Reader, node: yaml.Node, what: str, limit: int) -> Template:
        text = read.text(node, what)
        try:
            return parse_template(text, self.vocabulary, limit)
        except RuleError as error:
            where = self.source.where_in(node, error.span or (0, len(text)), read.rule)
            raise error.located(where) from None

    def card(self, read: Reader, node: yaml.Node, audience: str) -> CardSpec:
        keys = read.mapping(node, "a card", CARD_KEYS, ("headline", "actions"))
        headline = self.template(read, keys["headline"], "the headline", HEADLINE_LIMIT)
        details = []
        if "details" in keys:
            for item in read.sequence(keys["details"], "details", 3):
                details.append(self.template(read, item, "a detail line", DETAIL_LIMIT))
        actions = []
        for action, action_node in read.strings(keys["actions"], "actions", 4):
            if action not in ACTIONS[audience]:
                raise read.fail(
                    f"`{action}` is not a {audience} action; use {', '.join(ACTIONS[audience])}",
                    action_node,
                )
            actions.append(action)
        if not actions:
            raise read.fail("a card needs at least one action", keys["actions"])
        if "offer" not in keys:
            return CardSpec(headline, tuple(details), tuple(actions))
        offer = read.mapping(
            keys["offer"], "an offer", ("type", "description", "max_value"), ("type", "description")
        )
        return CardSpec(
            headline,
            tuple(details),
            tuple(actions),
            read.choice(offer["type"], "offer type", OFFER_TYPES),
            self.template(read, offer["description"], "the offer", DETAIL_LIMIT),
            _money(read, offer["max_value"], "max_value") if "max_value" in offer else None,
        )

    def cooldown(self, read: Reader, node: yaml.Node, audience: str) -> Cooldown:
        if isinstance(node, yaml.ScalarNode):
            every_node, per = node, SUBJECTS[audience]
        else:
            keys = read.mapping(node, "`cooldown`", ("every", "per"), ("every",))
            every_node = keys["every"]
            per = read.text(keys["per"], "`cooldown.per`") if "per" in keys else SUBJECTS[audience]
            if per not in self.vocabulary:
                raise read.fail(f"unknown fact `{per}` in `cooldown.per`", keys["per"])
        every = read.text(every_node, "`cooldown`")
        if every in ("visit", "once"):
            return Cooldown(every, per)
        try:
            tokens = tokenize(every)
        except RuleError:
            tokens = []
        if (
            len(tokens) != 2
            or tokens[0].value[0] != "duration"
            or tokens[0].value[1] <= dt.timedelta(0)
        ):
            raise read.fail(
                "a cooldown is `visit`, `once` or a duration such as 12h or 7d", every_node
            )
        return Cooldown(every, per, tokens[0].value[1])

    # -- examples ----------
    def examples(self, node: yaml.Node, read: Reader, pack_level: bool = False) -> list[Example]:
        examples = []
        allowed = (
            ("name", "facts", "cards", "history")
            if pack_level
            else ("name", "facts", "fires", "history")
        )
        for index, item in enumerate(read.sequence(node, "examples", MAX_EXAMPLES)):
            keys = read.mapping(
                item, "an example", allowed, ("facts", "cards" if pack_level else "fires")
            )
            name = read.text(keys["name"], "name") if "name" in keys else f"example {index + 1}"
            facts = self.facts(read, keys["facts"])
            history = self.history(read, keys["history"]) if "history" in keys else {}
            line = item.start_mark.line + 1
            if pack_level:
                cards = tuple(text for text, _ in read.strings(keys["cards"], "cards", 50))
                examples.append(Example(name, facts, line, cards=cards, history=history))
            else:
                fires = read.boolean(keys["fires"], "fires")
                examples.append(Example(name, facts, line, fires=fires, history=history))
        return examples

    def facts(self, read: Reader, node: yaml.Node) -> dict[str, Any]:
        if not isinstance(node, yaml.MappingNode):
            raise read.fail("`facts` must be a mapping of fact names to values", node)
        facts: dict[str, Any] = {}
        for key, value in node.value:
            name = read.text(key, "a fact name")
            if name not in self.vocabulary:
                try:
                    self.vocabulary[name]
                except RuleError as error:
                    raise read.fail(error.message, key, type(error)) from None
            facts[name] = fact_from_yaml(read, self.vocabulary[name], value)
        return facts

    def history(self, read: Reader, node: yaml.Node) -> dict[str, Any]:
        if not isinstance(node, yaml.MappingNode):
            raise read.fail("`history` maps cooldown keys (rule:subject) to datetimes", node)
        return {read.text(k, "a cooldown key"): _datetime(read, v) for k, v in node.value}


def facts_from_plain(data: Mapping[str, Any], vocabulary: Vocabulary) -> dict[str, Any]:
    """Facts from JSON-like data (numbers, strings, lists, null) in the types `evaluate` expects.

    Money and numbers go through their decimal text, so JSON 2424.8 becomes Decimal("2424.8");
    percents may be fractions or "87%"; dates and times are ISO strings; durations like "3d".
    """
    facts: dict[str, Any] = {}
    for name, value in data.items():
        fact = vocabulary[name]  # UnknownFactError with a suggestion
        if value is None:
            facts[name] = None
        elif fact.type == "list":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise FactError(f"fact `{name}` should be a list of strings")
            facts[name] = list(value)
        elif fact.type == "boolean":
            if not isinstance(value, bool):
                raise FactError(f"fact `{name}` should be true or false")
            facts[name] = value
        else:
            try:
                facts[name] = _CONVERT[fact.type](str(value), fact)
            except (ValueError, InvalidOperation, KeyError, RuleError):
                raise FactError(
                    f"`{value}` is not a valid {fact.type_label} for `{name}`"
                ) from None
    return facts


def fact_from_yaml(read: Reader, fact: Fact, node: yaml.Node) -> Any:
    """An example's fact value from YAML text, in the type `evaluate` expects for that fact."""
    if is_null(node):
        return None
    if fact.type == "list":
        return [text for text, _ in read.strings(node, f"`{fact.name}`", 200)]
    text = read.text(node, f"`{fact.name}`")
    try:
        return _CONVERT[fact.type](text, fact)
    except (ValueError, InvalidOperation, KeyError, RuleError):
        raise read.fail(
            f"`{text}` is not a valid {fact.type_label} for `{fact.name}`", node
        ) from None


def _enum(text: str, fact: Fact) -> str:
    if text not in fact.values:
        raise ValueError(text)
    return text


def _boolean(text: str, fact: Fact) -> bool:
    return {"true": True, "false": False, "yes": True, "no": False}[text.lower()]


def _percent(text: str, fact: Fact) -> float:
    text = text.strip()
    return float(Decimal(text[:-1]) / 100) if text.endswith("%") else float(Decimal(text))


def _number(text: str, fact: Fact) -> int | float:
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() and "." not in text else float(value)


def _duration(text: str, fact: Fact) -> dt.timedelta:
    tokens = tokenize(text)
    if len(tokens) != 2 or tokens[0].value[0] != "duration":
        raise ValueError(text)
    return tokens[0].value[1]


_CONVERT: dict[str, Callable[[str, Fact], Any]] = {
    "money": lambda text, fact: Decimal(text.replace(",", "").lstrip("$")),
    "number": _number,
    "integer": lambda text, fact: int(text),
    "percent": _percent,
    "string": lambda text, fact: text,
    "enum": _enum,
    "boolean": _boolean,
    "date": lambda text, fact: dt.date.fromisoformat(text),
    "datetime": lambda text, fact: dt.datetime.fromisoformat(text),
    "duration": _duration,
}


def _datetime(read: Reader, node: yaml.Node) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(read.text(node, "a time"))
    except ValueError:
        raise read.fail("times are written like 2025-03-01 18:00", node) from None


def _money(read: Reader, node: yaml.Node, what: str) -> Decimal:
    try:
        value = Decimal(read.text(node, what).replace(",", "").lstrip("$"))
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or value < 0 or value > 10**9:
        raise read.fail(f"{what} must be an amount such as 150 or 150.00", node)
    return value


def _slug(read: Reader, node: yaml.Node, what: str) -> str:
    text = read.text(node, what)
    if (
        not text
        or len(text) > 64
        or not all(c.isalnum() or c in "-_." for c in text)
        or not text.isascii()
    ):
        raise read.fail(f"{what} uses letters, digits, `-`, `_` and `.` (at most 64)", node)
    return text


def _window(rule: Rule) -> tuple[dt.date | None, dt.date | None] | None:
    if rule.valid_from is None and rule.valid_until is None:
        return None
    return (rule.valid_from, rule.valid_until)
