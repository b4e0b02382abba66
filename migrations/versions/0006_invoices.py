"""Invoices, credit notes, their lines and number counters; providers' auto-invoicing

Numbers come from invoice_counters rows raised in the issuing transaction (no sequence: a
sequence would leave gaps). The CHECKs carry the money rules the database can state.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 04:53:52.439244

"""
from alembic import op
import sqlalchemy as sa
import marketplace.dbtypes


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('invoice_counters',
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('series', sa.String(length=1), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.CheckConstraint("series IN ('F', 'A')", name=op.f('ck_invoice_counters_series_known')),
    sa.CheckConstraint('last_number >= 0', name=op.f('ck_invoice_counters_last_number_not_negative')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_invoice_counters_provider_id_providers')),
    sa.PrimaryKeyConstraint('provider_id', 'series', 'year', name=op.f('pk_invoice_counters'))
    )
    op.create_table('invoices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('series', sa.String(length=1), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=24), nullable=False),
    sa.Column('status', sa.Enum('issued', 'cancelled', name='invoicestatus', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('issue_date', sa.Date(), nullable=False),
    sa.Column('issued_at', marketplace.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('service_start', sa.Date(), nullable=False),
    sa.Column('service_end', sa.Date(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('booking_reference', sa.String(length=24), nullable=False),
    sa.Column('seller_name', sa.String(length=160), nullable=False),
    sa.Column('seller_siren', sa.String(length=9), nullable=False),
    sa.Column('seller_siret', sa.String(length=14), nullable=False),
    sa.Column('seller_vat_number', sa.String(length=13), nullable=True),
    sa.Column('buyer_name', sa.String(length=160), nullable=False),
    sa.Column('buyer_siren', sa.String(length=9), nullable=False),
    sa.Column('buyer_vat_number', sa.String(length=13), nullable=True),
    sa.Column('buyer_department_code', sa.String(length=3), nullable=False),
    sa.Column('total_excl_vat_cents', sa.BigInteger(), nullable=False),
    sa.Column('total_vat_cents', sa.BigInteger(), nullable=False),
    sa.Column('total_incl_vat_cents', sa.BigInteger(), nullable=False),
    sa.Column('subsidies_cents', sa.BigInteger(), nullable=False),
    sa.Column('company_share_cents', sa.BigInteger(), nullable=False),
    sa.Column('payment_reference', sa.String(length=25), nullable=False),
    sa.Column('late_penalty_rate_bp', sa.Integer(), nullable=False),
    sa.Column('recovery_indemnity_cents', sa.BigInteger(), nullable=False),
    sa.Column('mentions', sa.JSON(), nullable=False),
    sa.Column('cancelled_at', marketplace.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', marketplace.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(status = 'cancelled') = (cancelled_at IS NOT NULL)", name=op.f('ck_invoices_cancelled_when_dated')),
    sa.CheckConstraint("series = 'F'", name=op.f('ck_invoices_series_fixed')),
    sa.CheckConstraint('company_share_cents + subsidies_cents = total_incl_vat_cents', name=op.f('ck_invoices_split_is_whole')),
    sa.CheckConstraint('company_share_cents >= 0', name=op.f('ck_invoices_company_share_not_negative')),
    sa.CheckConstraint('due_date >= issue_date', name=op.f('ck_invoices_due_after_issue')),
    sa.CheckConstraint('late_penalty_rate_bp >= 0', name=op.f('ck_invoices_penalty_not_negative')),
    sa.CheckConstraint('recovery_indemnity_cents >= 0', name=op.f('ck_invoices_indemnity_not_negative')),
    sa.CheckConstraint('sequence >= 1', name=op.f('ck_invoices_sequence_positive')),
    sa.CheckConstraint('service_end >= service_start', name=op.f('ck_invoices_service_dates_ordered')),
    sa.CheckConstraint('subsidies_cents >= 0', name=op.f('ck_invoices_subsidies_not_negative')),
    sa.CheckConstraint('total_excl_vat_cents >= 0', name=op.f('ck_invoices_excl_vat_not_negative')),
    sa.CheckConstraint('total_incl_vat_cents = total_excl_vat_cents + total_vat_cents', name=op.f('ck_invoices_incl_vat_is_sum')),
    sa.CheckConstraint('total_vat_cents >= 0', name=op.f('ck_invoices_vat_not_negative')),
    sa.CheckConstraint('year >= 2000 AND year <= 9999', name=op.f('ck_invoices_year_range')),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_invoices_booking_id_bookings')),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_invoices_company_id_companies')),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_invoices_issued_by_id_users')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_invoices_provider_id_providers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoices')),
    sa.UniqueConstraint('booking_id', name=op.f('uq_invoices_booking_id')),
    sa.UniqueConstraint('payment_reference', name=op.f('uq_invoices_payment_reference')),
    sa.UniqueConstraint('provider_id', 'number', name='uq_invoices_number_text_per_provider'),
    sa.UniqueConstraint('provider_id', 'series', 'year', 'sequence', name='uq_invoices_number_per_provider')
    )
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoices_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoices_issue_date'), ['issue_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoices_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoices_status'), ['status'], unique=False)

    op.create_table('credit_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('series', sa.String(length=1), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=24), nullable=False),
    sa.Column('issue_date', sa.Date(), nullable=False),
    sa.Column('issued_at', marketplace.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('total_excl_vat_cents', sa.BigInteger(), nullable=False),
    sa.Column('total_vat_cents', sa.BigInteger(), nullable=False),
    sa.Column('total_incl_vat_cents', sa.BigInteger(), nullable=False),
    sa.Column('subsidies_cents', sa.BigInteger(), nullable=False),
    sa.Column('company_share_cents', sa.BigInteger(), nullable=False),
    sa.Column('released_subsidies_cents', sa.BigInteger(), nullable=False),
    sa.Column('mentions', sa.JSON(), nullable=False),
    sa.Column('created_at', marketplace.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("series = 'A'", name=op.f('ck_credit_notes_series_fixed')),
    sa.CheckConstraint('company_share_cents + subsidies_cents = total_incl_vat_cents', name=op.f('ck_credit_notes_split_is_whole')),
    sa.CheckConstraint('company_share_cents >= 0', name=op.f('ck_credit_notes_company_share_not_negative')),
    sa.CheckConstraint('released_subsidies_cents >= 0 AND released_subsidies_cents <= subsidies_cents', name=op.f('ck_credit_notes_released_within_subsidies')),
    sa.CheckConstraint('sequence >= 1', name=op.f('ck_credit_notes_sequence_positive')),
    sa.CheckConstraint('subsidies_cents >= 0', name=op.f('ck_credit_notes_subsidies_not_negative')),
    sa.CheckConstraint('total_excl_vat_cents >= 0', name=op.f('ck_credit_notes_excl_vat_not_negative')),
    sa.CheckConstraint('total_incl_vat_cents = total_excl_vat_cents + total_vat_cents', name=op.f('ck_credit_notes_incl_vat_is_sum')),
    sa.CheckConstraint('total_vat_cents >= 0', name=op.f('ck_credit_notes_vat_not_negative')),
    sa.CheckConstraint('year >= 2000 AND year <= 9999', name=op.f('ck_credit_notes_year_range')),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_credit_notes_company_id_companies')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_credit_notes_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_credit_notes_issued_by_id_users')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_credit_notes_provider_id_providers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_notes')),
    sa.UniqueConstraint('invoice_id', name=op.f('uq_credit_notes_invoice_id')),
    sa.UniqueConstraint('provider_id', 'number', name='uq_credit_notes_number_text_per_provider'),
    sa.UniqueConstraint('provider_id', 'series', 'year', 'sequence', name='uq_credit_notes_number_per_provider')
    )
    with op.batch_alter_table('credit_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_notes_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_credit_notes_issue_date'), ['issue_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_credit_notes_provider_id'), ['provider_id'], unique=False)

    op.create_table('invoice_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_code', sa.String(length=3), nullable=False),
    sa.Column('unit_label', sa.String(length=20), nullable=False),
    sa.Column('unit_price_excl_vat_cents', sa.BigInteger(), nullable=False),
    sa.Column('vat_rate_bp', sa.Integer(), nullable=False),
    sa.Column('total_excl_vat_cents', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('position >= 1', name=op.f('ck_invoice_lines_position_positive')),
    sa.CheckConstraint('quantity >= 1', name=op.f('ck_invoice_lines_quantity_positive')),
    sa.CheckConstraint('total_excl_vat_cents = quantity * unit_price_excl_vat_cents', name=op.f('ck_invoice_lines_total_is_product')),
    sa.CheckConstraint('unit_price_excl_vat_cents >= 0', name=op.f('ck_invoice_lines_unit_price_not_negative')),
    sa.CheckConstraint('vat_rate_bp >= 0 AND vat_rate_bp <= 10000', name=op.f('ck_invoice_lines_vat_rate_range')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_invoice_lines_invoice_id_invoices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_lines')),
    sa.UniqueConstraint('invoice_id', 'position', name='uq_invoice_lines_one_per_position')
    )
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_lines_invoice_id'), ['invoice_id'], unique=False)

    op.create_table('invoice_subsidies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('allocation_id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('programme_code', sa.String(length=40), nullable=False),
    sa.Column('programme_name', sa.String(length=160), nullable=False),
    sa.Column('funder', sa.String(length=16), nullable=False),
    sa.Column('applied_rate_bp', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_invoice_subsidies_amount_positive')),
    sa.CheckConstraint('applied_rate_bp >= 0 AND applied_rate_bp <= 10000', name=op.f('ck_invoice_subsidies_rate_range')),
    sa.ForeignKeyConstraint(['allocation_id'], ['subsidy_allocations.id'], name=op.f('fk_invoice_subsidies_allocation_id_subsidy_allocations')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_invoice_subsidies_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['programme_id'], ['subsidy_programmes.id'], name=op.f('fk_invoice_subsidies_programme_id_subsidy_programmes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_subsidies')),
    sa.UniqueConstraint('allocation_id', name=op.f('uq_invoice_subsidies_allocation_id')),
    sa.UniqueConstraint('invoice_id', 'position', name='uq_invoice_subsidies_one_per_position')
    )
    with op.batch_alter_table('invoice_subsidies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_subsidies_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoice_subsidies_programme_id'), ['programme_id'], unique=False)

    op.create_table('invoice_taxes',
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('vat_rate_bp', sa.Integer(), nullable=False),
    sa.Column('base_cents', sa.BigInteger(), nullable=False),
    sa.Column('vat_cents', sa.BigInteger(), nullable=False),
    sa.Column('category_code', sa.String(length=2), nullable=False),
    sa.Column('exemption_reason', sa.Text(), nullable=False),
    sa.CheckConstraint('base_cents >= 0', name=op.f('ck_invoice_taxes_base_not_negative')),
    sa.CheckConstraint('vat_cents = (base_cents * vat_rate_bp + 5000) / 10000', name=op.f('ck_invoice_taxes_vat_rounded_half_up')),
    sa.CheckConstraint('vat_rate_bp >= 0 AND vat_rate_bp <= 10000', name=op.f('ck_invoice_taxes_vat_rate_range')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_invoice_taxes_invoice_id_invoices')),
    sa.PrimaryKeyConstraint('invoice_id', 'vat_rate_bp', name=op.f('pk_invoice_taxes'))
    )
    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('auto_invoice', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade():
    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.drop_column('auto_invoice')

    op.drop_table('invoice_taxes')
    with op.batch_alter_table('invoice_subsidies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_subsidies_programme_id'))
        batch_op.drop_index(batch_op.f('ix_invoice_subsidies_invoice_id'))

    op.drop_table('invoice_subsidies')
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_lines_invoice_id'))

    op.drop_table('invoice_lines')
    with op.batch_alter_table('credit_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credit_notes_provider_id'))
        batch_op.drop_index(batch_op.f('ix_credit_notes_issue_date'))
        batch_op.drop_index(batch_op.f('ix_credit_notes_company_id'))

    op.drop_table('credit_notes')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoices_status'))
        batch_op.drop_index(batch_op.f('ix_invoices_provider_id'))
        batch_op.drop_index(batch_op.f('ix_invoices_issue_date'))
        batch_op.drop_index(batch_op.f('ix_invoices_company_id'))

    op.drop_table('invoices')
    op.drop_table('invoice_counters')
