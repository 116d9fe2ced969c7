"""screens: one alert per arrival keeps the other rules that fired; a decline says why

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 21:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN: a batch copy would drop tables that others reference (SQLite).
    op.add_column('cards', sa.Column('also_fired', sa.JSON(), nullable=True))
    op.add_column('approvals', sa.Column('decision_note', sa.Text(), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('approvals', schema=None) as batch_op:
        batch_op.drop_column('decision_note')
    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.drop_column('also_fired')
