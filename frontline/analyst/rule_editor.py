"""One rule of the draft as a form: live checks next to each field, the rule's examples run on
every change, a preview on a real logged case, and saving the rule into the draft."""

from flask import abort, flash, request, url_for
from flask_login import current_user

import guidance_rules

from ..auth import role_required
from ..guidance import evaluations, rule_editing, rulebook
from ..guidance.packs import published_pack
from ..rendering import render, see_other
from ..scoring.store import model_cards
from ..tables import Role
from . import bp
from .packs import find_pack


@bp.get("/packs/<audience>/rules/<rule_id>")
@role_required(Role.ANALYST)
def rule(audience: str, rule_id: str):
    found = find_pack(audience)
    try:
        values = rule_editing.form_values(found.draft, rule_id)
    except rule_editing.RuleNotFound as missing:
        flash(f"{missing}; edit the draft's text instead.")
        return see_other(url_for("analyst.draft", audience=audience))
    verdict = rule_editing.check_rule(found.draft, audience, rule_id, values)
    return _page(found, rule_id, verdict)


@bp.post("/packs/<audience>/rules/<rule_id>/check")
@role_required(Role.ANALYST)
def check_rule(audience: str, rule_id: str):
    """While typing: the verdict, each field's message (out of band) and the examples."""
    found = find_pack(audience)
    verdict = _verdict(found, rule_id)
    return render(
        "analyst/rule.html", block="verdict", pack=found, rule_id=rule_id, verdict=verdict,
        fields=rule_editing.FIELDS, live=True,
    )  # fmt: skip


@bp.post("/packs/<audience>/rules/<rule_id>/preview")
@role_required(Role.ANALYST)
def preview_rule(audience: str, rule_id: str):
    """The cards the draft, with this rule as typed, shows for one real logged evaluation."""
    found = find_pack(audience)
    verdict = _verdict(found, rule_id)
    logged = evaluations.one(request.form.get("evaluation", 0, type=int))
    if logged is None:
        abort(404)
    cards = guidance_rules.evaluate(verdict.pack, logged.facts) if verdict.ok else []
    return render(
        "analyst/rule.html", block="preview", pack=found, rule_id=rule_id, verdict=verdict,
        logged=logged, cards=cards, label=evaluations.subject_label,
    )  # fmt: skip


@bp.post("/packs/<audience>/rules/<rule_id>")
@role_required(Role.ANALYST)
def save_rule(audience: str, rule_id: str):
    found = find_pack(audience)
    verdict = _verdict(found, rule_id)
    if not verdict.ok:
        return _page(found, rule_id, verdict, status=422)
    text = rule_editing.rewrite(found.draft, rule_id, verdict.data)
    try:
        rulebook.save_draft(found, text, current_user, request.form.get("base", -1, type=int))
    except rulebook.PackRefused as refusal:
        flash(f"Not saved: {refusal}.")
        return _page(found, rule_id, verdict, status=409)
    flash(f"“{verdict.data['title']}” saved in the draft. Backtest it before you publish.")
    return see_other(url_for("analyst.pack", audience=audience))


def _verdict(found, rule_id: str) -> rule_editing.RuleCheck:
    values = {name: request.form.get(name, "") for name in rule_editing.FIELDS}
    values["actions"] = request.form.getlist("actions")
    try:
        return rule_editing.check_rule(found.draft, found.audience, rule_id, values)
    except rule_editing.RuleNotFound:
        abort(404)


def _page(found, rule_id: str, verdict: rule_editing.RuleCheck, status: int = 200):
    return render(
        "analyst/rule.html", status=status, pack=found, rule_id=rule_id, verdict=verdict,
        fields=rule_editing.FIELDS, actions=rule_editing.ACTIONS[found.audience],
        offer_types=rule_editing.OFFER_TYPES, suppress_choices=rule_editing.SUPPRESS_CHOICES,
        facts=_fact_guide(found.audience), subjects=evaluations.recent(found.audience),
        label=evaluations.subject_label,
    )  # fmt: skip


def _fact_guide(audience: str) -> list[dict]:
    """Every fact a condition may read, with where it comes from and, for a model's output,
    how well that model did on its holdout (the suggestions under the condition show it)."""
    cards = model_cards()
    guide = []
    for fact in sorted(published_pack(audience).vocabulary.facts.values(), key=lambda f: f.name):
        model = fact.source.removeprefix("model ") if fact.source.startswith("model ") else None
        guide.append(
            {
                "name": fact.name,
                "type": fact.type_label,
                "unit": fact.unit or "",
                "description": fact.description,
                "source": fact.source,
                "holdout": _holdout(cards.get(model)) if model else "",
            }
        )
    return guide


def _holdout(card) -> str:
    """The model's first two holdout metrics, as `auc 0.71 · brier 0.18`, or why there are none."""
    if card is None:
        return ""
    if isinstance(card, str):
        return "no trained model yet"
    numbers = [(k, v) for k, v in card.metrics.items() if isinstance(v, int | float)][:2]
    shown = " · ".join(f"{key.replace('_', ' ')} {value:.3g}" for key, value in numbers)
    return f"{card.version}: holdout {shown}" if shown else card.version
