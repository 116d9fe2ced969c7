"""Frontline: next-best-action guidance for frontline sales, on the phone."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from . import (
    api,
    assets,
    auth,
    casino,
    cli,
    database,
    errors,
    filters,
    guidance,
    push,
    scoring,
    security,
)
from .admin import bp as admin_bp
from .analyst import bp as analyst_bp
from .casino import zones
from .config import init_app as configure
from .extensions import csrf, db, migrate
from .host import bp as host_bp
from .leads import bp as leads_bp
from .phone import bp as phone_bp
from .rep import bp as rep_bp

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Assemble the app: configuration, extensions, blueprints, commands, in that order."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    configure(app, config)
    security.init_app(app)
    assets.init_app(app)
    database.init_app(app)
    zones.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(MIGRATIONS),
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
        render_item=database.render_item,
    )
    csrf.init_app(app)
    auth.init_app(app)
    filters.init_app(app)
    push.init_app(app)
    scoring.init_app(app)
    guidance.init_app(app)
    casino.init_app(app)
    api.init_app(app)
    errors.init_app(app)  # after the API: its handler would answer JSON for every page
    for blueprint in (auth.bp, host_bp, rep_bp, analyst_bp, admin_bp, leads_bp, phone_bp):
        app.register_blueprint(blueprint)
    app.jinja_env.globals["script_tags"] = assets.script_tags
    cli.init_app(app)
    return app
