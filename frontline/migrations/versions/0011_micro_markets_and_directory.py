"""micro-markets and who to call: targets per market (history kept) and the directory

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 21:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'market_targets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('business', sa.String(length=16), nullable=False),
        sa.Column('market', sa.String(length=64), nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('note', sa.String(length=200), nullable=False),
        sa.Column('set_by_id', sa.Integer(), nullable=False),
        sa.Column('set_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['set_by_id'], ['users.id'], name=op.f('fk_market_targets_set_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_market_targets')),
    )
    op.create_index('ix_market_targets_market', 'market_targets', ['business', 'market', 'id'], unique=False)
    op.create_table(
        'directory_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('business', sa.String(length=16), nullable=False),
        sa.Column('market', sa.String(length=64), nullable=False),
        sa.Column('role', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('phone', sa.String(length=32), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('duty_days', sa.String(length=7), nullable=False),
        sa.Column('duty_from', sa.SmallInteger(), nullable=False),
        sa.Column('duty_to', sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_directory_entries')),
    )
    op.create_index('ix_directory_business_market', 'directory_entries', ['business', 'market'], unique=False)


def downgrade():
    op.drop_index('ix_directory_business_market', table_name='directory_entries')
    op.drop_table('directory_entries')
    op.drop_index('ix_market_targets_market', table_name='market_targets')
    op.drop_table('market_targets')
