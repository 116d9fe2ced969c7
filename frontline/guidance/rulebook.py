"""Rule packs as versioned data: drafts, checks, publishing, rollback, diffs and the audit log.

A pack's draft is YAML text an analyst edits; publishing checks it with the rule engine (the
same load as a file pack: syntax, types against the vocabulary, every example) and stores it
as the next version number. Versions never change: a rollback publishes an old text anew.
Two analysts publishing at once: the version number is unique per pack, so one insert wins
and the other gets `PublishConflict`, with nothing half-written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

import guidance_rules

from ..extensions import db
from ..tables import PackChange, PackVersion, RulePack, User, utcnow
from ..tables.packs import RUNNING

VERSION_LINE = re.compile(r"(?m)^version:.*$")
MAX_REASON = 200
MAX_TEXT = 200_000


class PackRefused(ValueError):
    """The change cannot be made; the message says why (the engine's, where it is the engine)."""


class PublishConflict(PackRefused):
    """Someone published this pack after the draft was based on it."""


@dataclass(frozen=True)
class Check:
    """What the engine says of a text: the pack when it checks, else its message."""

    pack: guidance_rules.Pack | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.pack is not None

    @property
    def summary(self) -> str:
        """The message without its source excerpt: where, and why (and any suggestion)."""
        lines = self.error.splitlines()
        excerpt = _excerpt_at(lines)
        return " ".join(x.strip() for i, x in enumerate(lines) if i not in excerpt)

    def excerpt(self, width: int = 34) -> str:
        """The offending source line and its caret, cut to WIDTH columns around the caret."""
        lines = self.error.splitlines()
        where = _excerpt_at(lines)
        if not where:
            return ""
        return excerpt_around(lines[where[0]], lines[where[1]], width)


def excerpt_around(source: str, caret: str, width: int = 34) -> str:
    """A source line and the caret line under it, cut to WIDTH columns around the caret so a
    phone shows the place without scrolling sideways."""
    column = len(caret) - len(caret.lstrip())
    start = max(0, min(column - width // 2, len(source) - width))
    cut = "..." if start else ""
    return f"{cut}{source[start : start + width]}\n{' ' * len(cut)}{caret[start:]}"


def _excerpt_at(lines: list[str]) -> tuple[int, int] | tuple[()]:
    """Where the engine put the source line and the caret under it (none: nothing)."""
    for i in range(1, len(lines)):
        if lines[i].strip() and set(lines[i].strip()) <= {"^", "~"}:
            return (i - 1, i)
    return ()


@dataclass(frozen=True)
class RuleChange:
    rule_id: str
    kind: str  # added, removed or changed
    fields: tuple[str, ...] = ()


@dataclass
class Diff:
    changes: list[RuleChange] = field(default_factory=list)
    pack_fields: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.changes and not self.pack_fields


def check(text: str, audience: str, name: str = "") -> Check:
    """Load the text as the engine loads a pack file; a problem comes back as its message,
    naming the text NAME (default: the audience's draft)."""
    if len(text) > MAX_TEXT:
        return Check(None, f"the pack is {len(text):,} characters; at most {MAX_TEXT:,}")
    try:
        pack = guidance_rules.pack_from_yaml(text, name=name or f"{audience} draft")
    except guidance_rules.RuleError as error:
        return Check(None, str(error))
    if pack.audience != audience:
        return Check(None, f"this is a pack for {pack.audience}s, not for {audience}s")
    return Check(pack)


def with_version(text: str, number: int) -> str:
    """The text with its `version:` line naming the published version number."""
    label = f'version: "v{number}"'
    if VERSION_LINE.search(text):
        return VERSION_LINE.sub(label, text, count=1)
    return f"{label}\n{text}"


def pack_for(audience: str) -> RulePack:
    found = db.session.scalar(select(RulePack).where(RulePack.audience == audience))
    if found is None:
        raise LookupError(f"no pack for {audience!r}")
    return found


def latest(pack: RulePack) -> PackVersion | None:
    query = select(PackVersion).where(PackVersion.pack_id == pack.id)
    return db.session.scalar(query.order_by(PackVersion.number.desc()).limit(1))


def version(pack: RulePack, number: int) -> PackVersion:
    found = db.session.scalar(
        select(PackVersion).where(PackVersion.pack_id == pack.id, PackVersion.number == number)
    )
    if found is None:
        raise LookupError(f"{pack.audience} pack has no version {number}")
    return found


def history(pack: RulePack) -> tuple[list[PackVersion], list[PackChange]]:
    """Versions newest first, and the audit log newest first."""
    versions = db.session.scalars(
        select(PackVersion)
        .where(PackVersion.pack_id == pack.id)
        .order_by(PackVersion.number.desc())
    )
    changes = db.session.scalars(
        select(PackChange).where(PackChange.pack_id == pack.id).order_by(PackChange.id.desc())
    )
    return list(versions), list(changes)


def import_pack(
    text: str, user: User | None, reason: str = "", publish_it: bool = False, name: str = ""
) -> RulePack:
    """A pack from YAML text (a file, an export) as its audience's draft, published if asked.

    Refused, with the engine's message, unless it checks; a new audience gets its pack row.
    """
    result = check(text, _audience_of(text), name or "the imported pack")
    if not result.ok:
        raise PackRefused(result.error)
    audience = result.pack.audience
    found = db.session.scalar(select(RulePack).where(RulePack.audience == audience))
    if found is None:
        found = RulePack(audience=audience, draft=text, draft_base=0)
        db.session.add(found)
        db.session.flush()
    current = latest(found)
    base = current.number if current else 0
    found.draft, found.draft_base = text, base
    found.draft_saved_at, found.draft_saved_by_id = utcnow(), user.id if user else None
    _log(found, user, "imported", None, reason or "imported")
    if publish_it:
        _publish(found, text, user, reason, base, "published")
    db.session.commit()
    return found


def _audience_of(text: str) -> str:
    audience = _plain(text).get("audience")
    return audience if isinstance(audience, str) else "?"


def export(pack: RulePack, number: int | None = None) -> str:
    """A published version's text (the newest by default), ready for `import_pack`."""
    found = version(pack, number) if number is not None else latest(pack)
    if found is None:
        raise LookupError(f"the {pack.audience} pack has no published version")
    return found.text


def save_draft(pack: RulePack, text: str, user: User, base: int) -> Check:
    """Keep the analyst's text (even one that does not check yet) and say what the engine says."""
    if len(text) > MAX_TEXT:
        raise PackRefused(f"the pack is {len(text):,} characters; at most {MAX_TEXT:,}")
    result = check(text, pack.audience)
    pack.draft, pack.draft_base = text, base
    pack.draft_saved_at, pack.draft_saved_by_id = utcnow(), user.id
    detail = "checks" if result.ok else result.error.splitlines()[0][:MAX_REASON]
    _log(pack, user, "draft_saved", None, detail)
    db.session.commit()
    return result


def publish(pack: RulePack, user: User, reason: str, base: int) -> PackVersion:
    """Publish the draft as the next version, or refuse with nothing written."""
    return _publish(pack, pack.draft, user, reason, base, "published")


def rollback(pack: RulePack, number: int, user: User, reason: str, base: int) -> PackVersion:
    """Publish an earlier version's text again, as a new version."""
    return _publish(pack, version(pack, number).text, user, reason, base, "rolled_back")


def _publish(
    pack: RulePack, text: str, user: User | None, reason: str, base: int, action: str
) -> PackVersion:
    reason = _reason(reason)
    current = latest(pack)
    if (current.number if current else 0) != base:
        raise PublishConflict(_conflict(pack, current))
    number = base + 1
    text = with_version(text, number)
    result = check(text, pack.audience)
    if not result.ok:
        raise PackRefused(f"it does not check, so it cannot be published: {result.error}")
    published = PackVersion(
        pack_id=pack.id,
        number=number,
        text=text,
        published_by_id=user.id if user else None,
        reason=reason,
        signoff="pending" if pack.requires_signoff else "none",
    )
    try:
        with db.session.begin_nested():
            db.session.add(published)
    except IntegrityError:
        db.session.rollback()
        raise PublishConflict(_conflict(pack, latest(pack))) from None
    pack.draft, pack.draft_base = text, number
    _log(pack, user, "awaits_signoff" if pack.requires_signoff else action, number, reason)
    db.session.commit()
    return published


def in_force(pack: RulePack) -> PackVersion | None:
    """The newest version that may make cards (signed off, or needing no sign-off)."""
    query = select(PackVersion).where(
        PackVersion.pack_id == pack.id, PackVersion.signoff.in_(RUNNING)
    )
    return db.session.scalar(query.order_by(PackVersion.number.desc()).limit(1))


def awaiting_signoff(audience: str) -> list[PackVersion]:
    """Versions of AUDIENCE's pack published but not yet signed off, oldest first."""
    query = (
        select(PackVersion)
        .join(PackVersion.pack)
        .where(RulePack.audience == audience, PackVersion.signoff == "pending")
        .order_by(PackVersion.number)
    )
    return list(db.session.scalars(query))


def require_signoff(pack: RulePack, required: bool, user: User) -> None:
    """Turn sales sign-off on or off for the pack (versions already published keep theirs)."""
    pack.requires_signoff = required
    _log(pack, user, "signoff_required" if required else "signoff_dropped", None, "")
    db.session.commit()


def sign_off(version: PackVersion, lead: User, approve: bool, note: str) -> None:
    """A sales lead lets a version run, or returns it to marketing with a note."""
    pack = version.pack
    if lead.signs_off != pack.audience:
        raise PackRefused(f"only a sales lead of the {pack.audience} pack signs it off")
    if version.signoff != "pending":
        raise PackRefused(f"version {version.number} is not waiting for sign-off")
    note = " ".join((note or "").split())[:500]
    if not approve and not note:
        raise PackRefused("say what to change, so marketing can act on it")
    version.signoff = "approved" if approve else "returned"
    version.signed_off_by_id, version.signed_off_at, version.signoff_note = lead.id, utcnow(), note
    _log(pack, lead, "signed_off" if approve else "returned", version.number, note)
    db.session.commit()


def _reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise PackRefused("say in one line why (the reason goes in the audit log)")
    if len(reason) > MAX_REASON:
        raise PackRefused(f"keep the reason to one line of at most {MAX_REASON} characters")
    return reason


def _conflict(pack: RulePack, current: PackVersion | None) -> str:
    who = current.published_by.display_name if current and current.published_by else "someone"
    number = current.number if current else 0
    return (
        f"{who} published version {number} of the {pack.audience} pack meanwhile; "
        "review their change, then publish again"
    )


def _log(pack: RulePack, user: User | None, action: str, number: int | None, detail: str) -> None:
    db.session.add(
        PackChange(
            pack_id=pack.id,
            user_id=user.id if user else None,
            action=action,
            number=number,
            detail=detail[:500],
            at=utcnow(),
        )
    )


def diff(old_text: str, new_text: str) -> Diff:
    """Rule by rule: added, removed, or changed (and in which fields: condition, card, ...)."""
    old, new = _plain(old_text), _plain(new_text)
    old_rules = {r.get("id"): r for r in old.get("rules") or [] if isinstance(r, dict)}
    new_rules = {r.get("id"): r for r in new.get("rules") or [] if isinstance(r, dict)}
    result = Diff(pack_fields=_changed_fields(old, new, skip={"rules", "version"}))
    for rule_id, rule in new_rules.items():
        if rule_id not in old_rules:
            result.changes.append(RuleChange(rule_id, "added"))
        elif fields := _changed_fields(old_rules[rule_id], rule):
            result.changes.append(RuleChange(rule_id, "changed", tuple(fields)))
    result.changes += [RuleChange(r, "removed") for r in old_rules if r not in new_rules]
    return result


FIELD_NAMES = {"when": "condition"}


def _changed_fields(old: dict, new: dict, skip: frozenset | set = frozenset()) -> list[str]:
    keys = sorted((set(old) | set(new)) - set(skip))
    return [FIELD_NAMES.get(k, k) for k in keys if old.get(k) != new.get(k)]


def _plain(text: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}
