"""The schema comes from migrations, and they match the tables the code declares."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from frontline.extensions import db


def test_migrations_build_the_declared_schema(app):
    with app.app_context():
        db.drop_all()
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
        downgrade(revision="base")
        tables = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()


def test_a_card_expires_in_the_migrated_schema(app):
    """`expired` needs no migration: the status column is a VARCHAR(16) without a CHECK."""
    from frontline.tables import CardStatus, IssuedCard

    with app.app_context():
        db.drop_all()
        upgrade()
        card = IssuedCard(
            audience="host", subject_type="guest", subject_id=1, rule_id="r", rule_title="R",
            pack_id="host", pack_version="1", priority=1, headline="h", status=CardStatus.EXPIRED,
        )  # fmt: skip
        db.session.add(card)
        db.session.commit()
        db.session.expire_all()
        assert db.session.get(IssuedCard, card.id).status == CardStatus.EXPIRED
        stored = db.session.scalar(sa.text("SELECT status FROM cards"))
        assert stored == "EXPIRED"
        db.session.remove()
        downgrade(revision="base")
