"""One logged evaluation opened from a backtest: who or what, every fact it was made on, and
rule by rule why the version in force and the draft did or did not show a card."""

from flask import abort

import guidance_rules
from guidance_rules.cards import format_value

from ..auth import role_required
from ..guidance import evaluations, rulebook
from ..guidance.packs import published_pack
from ..rendering import render
from ..tables import Role
from . import bp
from .packs import find_pack


@bp.get("/packs/<audience>/evaluations/<int:evaluation_id>")
@role_required(Role.ANALYST)
def evaluation(audience: str, evaluation_id: int):
    found = find_pack(audience)
    logged = evaluations.one(evaluation_id, audience)
    if logged is None:
        abort(404)
    in_force = published_pack(audience)
    draft = rulebook.check(found.draft, audience)
    vocabulary = in_force.vocabulary
    facts = [
        (name, format_value(vocabulary[name], value) if name in vocabulary else str(value),
         vocabulary[name].description if name in vocabulary else "")
        for name, value in sorted(logged.facts.items())
    ]  # fmt: skip
    return render(
        "analyst/evaluation.html", pack=found, logged=logged, facts=facts,
        label=evaluations.subject_label,
        in_force=guidance_rules.explain(in_force, logged.facts),
        draft=guidance_rules.explain(draft.pack, logged.facts) if draft.ok else None,
    )  # fmt: skip
