"""An app whose event processing fails for guests named FAULT*: for retry tests under gunicorn."""

from __future__ import annotations

from flask import Flask


def faulty_app() -> Flask:
    from frontline import create_app
    from frontline.casino import arrivals

    real = arrivals.issue_cards

    def failing(audience, subject_type, subject_id, facts, *args, **kwargs):
        if str(facts.get("guest.id", "")).startswith("FAULT"):
            raise RuntimeError("injected failure while making cards")
        return real(audience, subject_type, subject_id, facts, *args, **kwargs)

    arrivals.issue_cards = failing
    return create_app()
