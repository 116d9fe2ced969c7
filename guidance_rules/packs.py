"""Rule packs: YAML files of rules with cards and examples, checked whole when they are loaded."""

from __future__ import annotations

import datetime as dt
import functools
import gc
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from .cards import DETAIL_LIMIT, HEADLINE_LIMIT, Template, parse_template
from .checker import check
from .compiler import compile_matcher, to_decimal
from .errors import FactError, PackError, RuleError, Where
from .source import Field as FieldPlace
from .source import Item, Reader, items_from_data, items_from_yaml, plain
from .syntax import Node, parse, tokenize
from .values import FactProblems, clean, money_text
from .vocabulary import Fact, Vocabulary, load_vocabulary
from .yamlsource import Source, compose

MAX_RULES = 2_000
MAX_EXAMPLES = 200
MAX_HOLDOUT = 0.5  # a rule keeps its card from at most half its subjects
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
    "holdout_salt",
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
    "holdout",
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
    field: str | None = None  # where it sits in pack data (packs built from data)


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
    #: The share of subjects this rule keeps its card from, to measure what the card changes.
    holdout: float = 0.0

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
    matcher: tuple[Any, ...] = field(default=(), repr=False)  # (conditions, first_only) to compile
    batch_plan: Any = field(default=None, repr=False)
    fact_problems: FactProblems = field(default_factory=FactProblems, repr=False, compare=False)
    declared_top: int | None = field(default=None, repr=False)  # `top` as written, if it was
    card_plans: dict[int, Any] = field(default_factory=dict, repr=False, compare=False)
    #: Mixed into every holdout draw: a new salt reshuffles who is held out (e.g. each quarter).
    holdout_salt: str = ""

    @functools.cached_property
    def match(self) -> Callable[[Any], list[int]]:
        """`match(facts) -> [rule position, ...]`: the rules whose conditions hold (and validity
        windows include `now`), best first. Compiled into one function on first use, so loading
        a pack to check or show it costs no compilation."""
        conditions, first_only = self.matcher
        return compile_matcher(conditions, first_only, self.fact_problems)

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

    @classmethod
    def from_data(
        cls,
        data: Mapping[str, Any],
        vocabulary: Vocabulary | None = None,
        *,
        name: str = "<data>",
        run_examples: bool = True,
    ) -> Pack:
        """A pack from plain data, checked as a YAML file is (see `pack_from_data`)."""
        return pack_from_data(data, vocabulary, name=name, run_examples=run_examples)

    def to_data(self) -> dict[str, Any]:
        """The pack as plain data (text, numbers, lists, dicts) that `from_data` reads back."""
        from .export import pack_data

        return pack_data(self)

    def to_yaml(self) -> str:
        """The pack as YAML text that `load_pack` reads back."""
        from .export import pack_yaml

        return pack_yaml(self)

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


def load_pack(
    path_or_text: str | Path, vocabulary: Vocabulary | None = None, *, run_examples: bool = True
) -> Pack:
    """Load, check and compile a pack from a file path or YAML text; any bad rule rejects it.

    A `Path`, or a one-line string ending in `.yaml`/`.yml`, is read as a file; anything else is
    YAML text. Use `pack_from_yaml` to pass text that could be mistaken for a path."""
    return _build(_source(path_or_text), None, vocabulary, run_examples)


def pack_from_yaml(
    text: str,
    vocabulary: Vocabulary | None = None,
    *,
    name: str = "<text>",
    run_examples: bool = True,
) -> Pack:
    """A pack from YAML text (never taken for a path); errors name `name` and the line."""
    return _build(Source(name, text), None, vocabulary, run_examples)


def pack_from_data(
    data: Mapping[str, Any],
    vocabulary: Vocabulary | None = None,
    *,
    name: str = "<data>",
    run_examples: bool = True,
) -> Pack:
    """A pack from plain data (dicts and lists as JSON or a database gives them), with the same
    checks and errors as a YAML file; errors name the rule id, the field and the column."""
    if not isinstance(data, Mapping):
        raise PackError("a pack is a mapping of keys to values", Where(name))
    return _build(Source(name, ""), data, vocabulary, run_examples)


def _build(
    source: Source,
    data: Mapping[str, Any] | None,
    vocabulary: Vocabulary | None,
    run_examples: bool,
) -> Pack:
    """A pack from `data`, or else from the source's YAML text."""
    vocabulary = vocabulary or load_vocabulary()
    collecting = gc.isenabled()
    gc.disable()  # loading makes many small acyclic objects; collecting midway only costs time
    try:
        root = items_from_yaml(compose(source), source) if data is None else items_from_data(data)
        pack = PackLoader(source, vocabulary).pack(root)
        del root  # the items (and YAML nodes) are garbage: freed now, never scanned by a collection
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


MEMO_SIZE = 20_000  # checked conditions and templates a vocabulary remembers


def remembered(vocabulary: Vocabulary, key: tuple[str, str, int], make: Callable) -> Any:
    """A checked template (or condition) this vocabulary has seen before, else made now.

    A checked tree or template is never changed after checking, so packs may share it: editing one
    rule of a 40-rule pack re-checks one rule. Errors are not remembered (they are raised again)."""
    memo = vocabulary.__dict__.get("_memo")
    if memo is None:
        memo = {}
        object.__setattr__(vocabulary, "_memo", memo)  # the frozen vocabulary's own cache
    found = memo.get(key)
    if found is None:
        if len(memo) >= MEMO_SIZE:
            memo.clear()
        found = memo[key] = make(key[1], vocabulary, key[2])
    return found


def checked(when: str, vocabulary: Vocabulary) -> tuple[Node, list[str]]:
    """A condition parsed and type-checked against the vocabulary (remembered, see above)."""
    tree, facts = remembered(vocabulary, ("when", when, 0), _check_condition)
    return tree, list(facts)


def _check_condition(when: str, vocabulary: Vocabulary, _: int) -> tuple[Node, tuple[str, ...]]:
    tree, facts = check(parse(when), vocabulary)
    return tree, tuple(facts)


def forget_checked(vocabulary: Vocabulary) -> None:
    """Drop the vocabulary's remembered conditions and templates (for cold-load timings)."""
    vocabulary.__dict__.pop("_memo", None)


def _line(item: Item) -> int:
    """The 1-based file line of a YAML item; 0 for an item from data."""
    return 0 if isinstance(item.place, FieldPlace) else item.place.start_mark.line + 1


class PackLoader:
    def __init__(self, source: Source, vocabulary: Vocabulary):
        self.source = source
        self.vocabulary = vocabulary
        self.read = Reader(source)

    def pack(self, root: Item) -> Pack:
        keys = self.read.mapping(
            root, "the pack", PACK_KEYS, ("id", "version", "audience", "rules")
        )
        audience = self.read.choice(keys["audience"], "audience", AUDIENCES)
        policy = "collect"
        if "hit_policy" in keys:
            policy = self.read.choice(keys["hit_policy"], "hit policy", HIT_POLICIES)
        top = self.read.integer(keys["top"], "top", 1, 50) if "top" in keys else 3
        rule_items = self.read.sequence(keys["rules"], "rules", MAX_RULES)
        if not rule_items:
            raise self.read.fail("a pack needs at least one rule", keys["rules"])
        rules = self.rules(rule_items, audience)
        order = tuple(sorted(range(len(rules)), key=lambda i: (-rules[i].priority, i)))
        windows = {i: _window(rules[i]) for i in order}
        first_only = policy == "first" and not any(r.cooldown or r.suppress for r in rules)
        conditions = tuple((i, rules[i].tree, windows[i]) for i in order)
        examples = ()
        if "examples" in keys:
            examples = tuple(self.examples(keys["examples"], self.read, pack_level=True))
        return Pack(
            id=_slug(self.read, keys["id"], "pack id"),
            version=_version(self.read, keys["version"]),
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
            matcher=(conditions, first_only),
            declared_top=top if "top" in keys else None,
            holdout_salt=self.read.text(keys["holdout_salt"], "holdout_salt")
            if "holdout_salt" in keys
            else "",
        )

    def rules(self, items: list[Item], audience: str) -> list[Rule]:
        rules: list[Rule] = []
        errors: list[RuleError] = []
        seen: dict[str, int] = {}
        for position, item in enumerate(items):
            try:
                rule = self.rule(item, position, audience)
            except RuleError as error:
                errors.append(error)
                continue
            if rule.id in seen:
                where = Reader(self.source, rule.id)
                before = seen[rule.id]
                used = (
                    f"on line {rules[before].line}"
                    if rules[before].line
                    else f"by rule #{before + 1}"
                )
                errors.append(where.fail(f"rule id `{rule.id}` is already used {used}", item))
                continue
            seen[rule.id] = len(rules)
            rules.append(rule)
        if errors:
            first = errors[0]
            first.all = errors  # every bad rule, for `rules check`
            raise first
        return rules

    def rule(self, item: Item, position: int, pack_audience: str) -> Rule:
        given = item.value.get("id") if isinstance(item.value, dict) else None
        rule_id = given.value if given is not None and isinstance(given.value, str) else None
        read = Reader(self.source, rule_id or f"#{position + 1}")
        keys = read.mapping(item, "a rule", RULE_KEYS, ("id", "title", "when", "card"))
        rule_id = _slug(read, keys["id"], "rule id")
        read.rule = rule_id
        audience = (
            read.choice(keys["audience"], "audience", AUDIENCES)
            if "audience" in keys
            else pack_audience
        )
        when_item = keys["when"]
        when = read.text(when_item, "`when`")
        tree, facts = self.condition(read, when_item, when)
        card = self.card(read, keys["card"], audience)
        valid = read.mapping(keys["valid"], "`valid`", ("from", "until")) if "valid" in keys else {}
        suppress = None
        if "suppress" in keys:
            suppress = read.choice(keys["suppress"], "suppress", ("offers", "all"))
            if card.offer_type is not None:
                raise read.fail("a hard stop cannot carry an offer", keys["suppress"])
        holdout = self.holdout(read, keys["holdout"]) if "holdout" in keys else 0.0
        if holdout and suppress:
            raise read.fail(
                "a compliance hard stop is never held out: every subject must get it",
                keys["holdout"],
            )
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
            line=_line(item),
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
            holdout=holdout,
        )

    def holdout(self, read: Reader, item: Item) -> float:
        value = item.value
        try:
            share = float(Decimal(str(value).strip().removesuffix("%"))) / (
                100 if str(value).strip().endswith("%") else 1
            )
        except (InvalidOperation, ValueError):
            share = -1.0
        if isinstance(value, bool) or not 0 <= share <= MAX_HOLDOUT:
            raise read.fail(
                f"`holdout` is the share of subjects held out, from 0 to {MAX_HOLDOUT} (or 50%)",
                item,
            )
        return share

    def condition(self, read: Reader, item: Item, when: str) -> tuple[Node, list[str]]:
        try:
            return checked(when, self.vocabulary)
        except RuleError as error:
            if error.span is None:
                raise error.located(read.where(item)) from None
            raise error.located(read.where_in(item, error.span)) from None

    def template(self, read: Reader, item: Item, what: str, limit: int) -> Template:
        text = read.text(item, what)
        try:
            return remembered(self.vocabulary, ("template", text, limit), parse_template)
        except RuleError as error:
            raise error.located(read.where_in(item, error.span or (0, len(text)))) from None

    def card(self, read: Reader, item: Item, audience: str) -> CardSpec:
        keys = read.mapping(item, "a card", CARD_KEYS, ("headline", "actions"))
        headline = self.template(read, keys["headline"], "the headline", HEADLINE_LIMIT)
        details = []
        if "details" in keys:
            for detail in read.sequence(keys["details"], "details", 3):
                details.append(self.template(read, detail, "a detail line", DETAIL_LIMIT))
        actions = []
        for action, action_item in read.strings(keys["actions"], "actions", 4):
            if action not in ACTIONS[audience]:
                raise read.fail(
                    f"`{action}` is not a {audience} action; use {', '.join(ACTIONS[audience])}",
                    action_item,
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

    def cooldown(self, read: Reader, item: Item, audience: str) -> Cooldown:
        if not isinstance(item.value, dict):
            every_item, per = item, SUBJECTS[audience]
        else:
            keys = read.mapping(item, "`cooldown`", ("every", "per"), ("every",))
            every_item = keys["every"]
            per = read.text(keys["per"], "`cooldown.per`") if "per" in keys else SUBJECTS[audience]
            if per not in self.vocabulary:
                raise read.fail(f"unknown fact `{per}` in `cooldown.per`", keys["per"])
        every = read.text(every_item, "`cooldown`")
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
                "a cooldown is `visit`, `once` or a duration such as 12h or 7d", every_item
            )
        return Cooldown(every, per, tokens[0].value[1])

    # -- examples ----------
    def examples(self, item: Item, read: Reader, pack_level: bool = False) -> list[Example]:
        examples = []
        allowed = (
            ("name", "facts", "cards", "history")
            if pack_level
            else ("name", "facts", "fires", "history")
        )
        for index, entry in enumerate(read.sequence(item, "examples", MAX_EXAMPLES)):
            keys = read.mapping(
                entry, "an example", allowed, ("facts", "cards" if pack_level else "fires")
            )
            name = read.text(keys["name"], "name") if "name" in keys else f"example {index + 1}"
            facts = self.facts(read, keys["facts"])
            history = self.history(read, keys["history"]) if "history" in keys else {}
            line = _line(entry)
            field = None if line else (entry.place.path or f"examples[{index}]")
            if pack_level:
                cards = tuple(text for text, _ in read.strings(keys["cards"], "cards", 50))
                examples.append(
                    Example(name, facts, line, cards=cards, history=history, field=field)
                )
            else:
                fires = read.boolean(keys["fires"], "fires")
                examples.append(
                    Example(name, facts, line, fires=fires, history=history, field=field)
                )
        return examples

    def facts(self, read: Reader, item: Item) -> dict[str, Any]:
        if not isinstance(item.value, dict):
            raise read.fail("`facts` must be a mapping of fact names to values", item)
        facts: dict[str, Any] = {}
        for name, value in item.value.items():
            if name not in self.vocabulary:
                try:
                    self.vocabulary[name]
                except RuleError as error:
                    raise read.fail(error.message, item.value.keys_at[name], type(error)) from None
            facts[name] = fact_value(read, self.vocabulary[name], value)
        return facts

    def history(self, read: Reader, item: Item) -> dict[str, Any]:
        if not isinstance(item.value, dict):
            raise read.fail("`history` maps cooldown keys (rule:subject) to datetimes", item)
        return {key: _datetime(read, value) for key, value in item.value.items()}


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


def fact_value(read: Reader, fact: Fact, item: Item) -> Any:
    """An example's fact value, in the type `evaluate` expects: text is read as YAML writes it
    (`2424.80`, `45%`, `2025-03-01`, `3d`); other data values must fit the fact's type."""
    value = item.value
    if value is None:
        return None
    if fact.type == "list":
        return [text for text, _ in read.strings(item, f"`{fact.name}`", 200)]
    if isinstance(value, str):
        try:
            return _CONVERT[fact.type](value, fact)
        except (ValueError, InvalidOperation, KeyError, RuleError):
            raise read.fail(
                f"`{value}` is not a valid {fact.type_label} for `{fact.name}`", item
            ) from None
    cleaned, why = clean(fact.type, fact.values, value)
    if why or isinstance(value, dict | list):
        shown = plain(item)
        raise read.fail(f"`{shown}` is not a valid {fact.type_label} for `{fact.name}`", item)
    return cleaned


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
    "money": lambda text, fact: money_text(text),
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


def _datetime(read: Reader, item: Item) -> dt.datetime:
    if isinstance(item.value, dt.datetime):
        return item.value
    try:
        return dt.datetime.fromisoformat(read.text(item, "a time"))
    except (ValueError, RuleError):
        raise read.fail("times are written like 2025-03-01 18:00", item) from None


def _money(read: Reader, item: Item, what: str) -> Decimal:
    value, why = clean("money", (), item.value)
    if why or value is None or isinstance(item.value, bool):
        value = Decimal(-1)
    value = to_decimal(value)
    if not value.is_finite() or value < 0 or value > 10**9:
        raise read.fail(f"{what} must be an amount such as 150 or 150.00", item)
    return value


def _version(read: Reader, item: Item) -> str:
    if isinstance(item.value, int) and not isinstance(item.value, bool):
        return str(item.value)  # `version: 3` in data
    return read.text(item, "version")


_SLUG = re.compile(r"[A-Za-z0-9_.-]{1,64}")  # ASCII letters and digits, `-`, `_` and `.`


def _slug(read: Reader, item: Item, what: str) -> str:
    text = read.text(item, what)
    if not _SLUG.fullmatch(text):
        raise read.fail(f"{what} uses letters, digits, `-`, `_` and `.` (at most 64)", item)
    return text


def _window(rule: Rule) -> tuple[dt.date | None, dt.date | None] | None:
    if rule.valid_from is None and rule.valid_until is None:
        return None
    return (rule.valid_from, rule.valid_until)
