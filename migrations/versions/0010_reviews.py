"""Reviews: a company rates the provider of a closed booking once; the provider replies once;
an admin may hide an abusive one with a reason

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 21:47:06.155417

"""
from alembic import op
import sqlalchemy as sa
import marketplace.dbtypes


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('offer_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.SmallInteger(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', marketplace.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reply', sa.Text(), nullable=False),
    sa.Column('replied_at', marketplace.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('replied_by_id', sa.Integer(), nullable=True),
    sa.Column('hidden_at', marketplace.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('hidden_by_id', sa.Integer(), nullable=True),
    sa.Column('hidden_reason', sa.Text(), nullable=False),
    sa.CheckConstraint("(replied_at IS NULL) = (reply = '')", name=op.f('ck_reviews_reply_dated')),
    sa.CheckConstraint("hidden_at IS NULL OR hidden_reason <> ''", name=op.f('ck_reviews_hiding_has_reason')),
    sa.CheckConstraint('rating BETWEEN 1 AND 5', name=op.f('ck_reviews_rating_in_range')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_reviews_author_id_users')),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_reviews_booking_id_bookings')),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_reviews_company_id_companies')),
    sa.ForeignKeyConstraint(['hidden_by_id'], ['users.id'], name=op.f('fk_reviews_hidden_by_id_users')),
    sa.ForeignKeyConstraint(['offer_id'], ['offers.id'], name=op.f('fk_reviews_offer_id_offers')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_reviews_provider_id_providers')),
    sa.ForeignKeyConstraint(['replied_by_id'], ['users.id'], name=op.f('fk_reviews_replied_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviews')),
    sa.UniqueConstraint('booking_id', name=op.f('uq_reviews_booking_id'))
    )
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reviews_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reviews_offer_id'), ['offer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reviews_provider_id'), ['provider_id'], unique=False)



def downgrade():
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reviews_provider_id'))
        batch_op.drop_index(batch_op.f('ix_reviews_offer_id'))
        batch_op.drop_index(batch_op.f('ix_reviews_company_id'))

    op.drop_table('reviews')
