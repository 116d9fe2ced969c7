"""evaluation log days in columns, for fast backtests

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 22:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('evaluation_columns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('audience', sa.String(length=16), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('first_id', sa.Integer(), nullable=False),
    sa.Column('last_id', sa.Integer(), nullable=False),
    sa.Column('vocabulary', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_columns')),
    sa.UniqueConstraint('audience', 'day', name=op.f('uq_evaluation_columns_audience'))
    )


def downgrade():
    op.drop_table('evaluation_columns')
