"""open cards by age: the expiry job finds host cards open past the limit without reading history

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 03:45:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.create_index('ix_cards_open_by_age', ['audience', 'status', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.drop_index('ix_cards_open_by_age')
