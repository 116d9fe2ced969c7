"""scoreboard: held-out cards, uplift observations, indexes for the funnel

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 21:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('held_out_cards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('audience', sa.String(length=16), nullable=False),
    sa.Column('subject_type', sa.String(length=16), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('rule_id', sa.String(length=80), nullable=False),
    sa.Column('pack_id', sa.String(length=80), nullable=False),
    sa.Column('pack_version', sa.String(length=40), nullable=False),
    sa.Column('headline', sa.String(length=200), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_held_out_cards_event_id_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_held_out_cards'))
    )
    with op.batch_alter_table('held_out_cards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_held_out_cards_at'), ['at'], unique=False)
        batch_op.create_index('ix_held_out_cards_rule', ['rule_id', 'pack_version'], unique=False)

    op.create_table('uplift_observations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('audience', sa.String(length=16), nullable=False),
    sa.Column('rule_id', sa.String(length=80), nullable=False),
    sa.Column('pack_version', sa.String(length=40), nullable=False),
    sa.Column('subject_type', sa.String(length=16), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('held_out', sa.Boolean(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('reached', sa.Boolean(), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_uplift_observations')),
    sa.UniqueConstraint('rule_id', 'pack_version', 'subject_type', 'subject_id', name='uq_uplift_subject')
    )
    with op.batch_alter_table('uplift_observations', schema=None) as batch_op:
        batch_op.create_index('ix_uplift_observations_rule', ['rule_id', 'pack_version', 'held_out'], unique=False)

    # Plain CREATE INDEX: a batch copy would drop tables that others reference (SQLite).
    op.create_index('ix_cards_scoreboard', 'cards', ['created_at', 'audience', 'pack_id', 'rule_id', 'pack_version', 'status', 'outcome', 'subject_type', 'subject_id', 'assignee_id'], unique=False)
    op.create_index('ix_card_actions_scoreboard', 'card_actions', ['card_id', 'action', 'user_id', 'at'], unique=False)


def downgrade():
    op.drop_index('ix_card_actions_scoreboard', table_name='card_actions')
    op.drop_index('ix_cards_scoreboard', table_name='cards')
    with op.batch_alter_table('uplift_observations', schema=None) as batch_op:
        batch_op.drop_index('ix_uplift_observations_rule')

    op.drop_table('uplift_observations')
    with op.batch_alter_table('held_out_cards', schema=None) as batch_op:
        batch_op.drop_index('ix_held_out_cards_rule')
        batch_op.drop_index(batch_op.f('ix_held_out_cards_at'))

    op.drop_table('held_out_cards')
