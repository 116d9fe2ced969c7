"""The fact vocabulary: every name a rule may read, with its type, unit, description and source."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import UnknownFactError, VocabularyError, did_you_mean

TYPES = (
    "number",
    "integer",
    "money",
    "percent",
    "string",
    "enum",
    "boolean",
    "date",
    "datetime",
    "duration",
    "list",
)
DEFAULT_PATH = Path(__file__).with_name("vocabulary.yaml")
_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_.")


@dataclass(frozen=True)
class Fact:
    """One named fact: `guest.tier`, `flight.load_factor`, `price.recommended`."""

    name: str
    type: str
    description: str
    source: str = "data"
    unit: str | None = None
    values: tuple[str, ...] = ()
    ordered: bool = False
    range: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        problem = _fact_problem(self)
        if problem:
            raise VocabularyError(f"fact `{self.name}`: {problem}")

    @property
    def type_label(self) -> str:
        """The type as the docs and error messages spell it: `enum(member, gold, ...)`."""
        if self.type == "enum":
            return f"enum({', '.join(self.values)})"
        if self.type == "list":
            return "list of strings"
        return self.type


def _fact_problem(fact: Fact) -> str:
    segments = fact.name.split(".")
    if (
        not fact.name
        or set(fact.name) - _NAME_CHARS
        or any(not s or s[0] in "_0123456789" for s in segments)
    ):
        return "names are lowercase dotted words, e.g. `guest.tier`"
    if fact.type not in TYPES:
        return f"unknown type `{fact.type}`{did_you_mean(fact.type, TYPES)}"
    if (fact.type == "enum") != bool(fact.values):
        return "an enum lists its values (and only an enum has values)"
    if not fact.description:
        return "every fact needs a description"
    return ""


@dataclass(frozen=True)
class Vocabulary:
    """A declared registry of facts, looked up by name."""

    facts: Mapping[str, Fact]
    version: str = "1"
    _names: tuple[str, ...] = field(default=(), repr=False, compare=False)

    @classmethod
    def of(cls, facts: list[Fact], version: str = "1") -> Vocabulary:
        by_name: dict[str, Fact] = {}
        for fact in facts:
            if fact.name in by_name:
                raise VocabularyError(f"fact `{fact.name}` is declared twice")
            by_name[fact.name] = fact
        return cls(by_name, str(version), tuple(by_name))

    def __contains__(self, name: object) -> bool:
        return name in self.facts

    def __iter__(self) -> Iterator[Fact]:
        return iter(self.facts.values())

    def __len__(self) -> int:
        return len(self.facts)

    def __getitem__(self, name: str) -> Fact:
        try:
            return self.facts[name]
        except KeyError:
            raise UnknownFactError(
                f"unknown fact `{name}`{did_you_mean(name, self.facts)}"
            ) from None

    def complete(self, prefix: str) -> list[Fact]:
        """Facts whose names start with `prefix`, for the editor's autocomplete."""
        return [fact for fact in self if fact.name.startswith(prefix)]


def vocabulary_from_data(data: object) -> Vocabulary:
    """Build a vocabulary from parsed YAML/JSON data: `{version, facts: [{name, type, ...}]}`."""
    if not isinstance(data, dict) or not isinstance(data.get("facts"), list):
        raise VocabularyError("a vocabulary is a mapping with a `facts` list")
    facts = []
    for entry in data["facts"]:
        if not isinstance(entry, dict):
            raise VocabularyError(f"each fact is a mapping, not {entry!r}")
        unknown = set(entry) - {f for f in Fact.__dataclass_fields__}
        if unknown:
            raise VocabularyError(f"fact {entry.get('name')!r}: unknown keys {sorted(unknown)}")
        values = tuple(str(v) for v in entry.get("values", ()))
        span = entry.get("range")
        facts.append(
            Fact(
                name=str(entry.get("name", "")),
                type=str(entry.get("type", "")),
                description=str(entry.get("description", "")),
                source=str(entry.get("source", "data")),
                unit=entry.get("unit"),
                values=values,
                ordered=bool(entry.get("ordered", False)),
                range=(float(span[0]), float(span[1])) if span else None,
            )
        )
    return Vocabulary.of(facts, str(data.get("version", "1")))


def load_vocabulary(path: str | Path | None = None) -> Vocabulary:
    """The default vocabulary (guidance_rules/vocabulary.yaml), or the one at `path`."""
    if path is None:
        return _default_vocabulary()
    return _read_vocabulary(Path(path))


@functools.cache
def _default_vocabulary() -> Vocabulary:
    return _read_vocabulary(DEFAULT_PATH)


def _read_vocabulary(path: Path) -> Vocabulary:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except (OSError, yaml.YAMLError) as error:
        raise VocabularyError(f"{path}: cannot read the vocabulary: {error}") from None
    return vocabulary_from_data(data)


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
