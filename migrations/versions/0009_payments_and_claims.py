"""Payments, refunds, Stripe events and subsidy claims; bookings close; claims can be refused

New tables for the company's share (payments by transfer or card, refunds after a credit note,
each Stripe event once) and for subsidy claims. Two checked enums gain a value: a booking's
state `closed` (everything paid) and a journal entry's source `subsidy_rejected`. SQLite cannot
alter a CHECK: its tables are rebuilt in batch mode, and the ledger's triggers (which a rebuild
drops, and which name `journal_entries`) are set again exactly as 0007 created them.

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-02 10:50:00

"""
import importlib.util
from pathlib import Path

from alembic import op
import sqlalchemy as sa
import marketplace.dbtypes


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0007'
branch_labels = None
depends_on = None

OLD_STATES = ('requested', 'quoted', 'agreed', 'delivered', 'disputed', 'confirmed', 'declined', 'cancelled', 'expired')
NEW_STATES = OLD_STATES + ('closed',)
OLD_SOURCES = ('invoice_issued', 'credit_note_issued', 'share_received', 'subsidy_claimed', 'subsidy_approved', 'subsidy_paid', 'refund', 'provider_paid')
NEW_SOURCES = OLD_SOURCES[:5] + ('subsidy_rejected',) + OLD_SOURCES[5:]


def _ledger_triggers():
    """0007's SQLite triggers, read from that migration: one source for their text."""
    path = Path(__file__).with_name('0007_ledger.py')
    spec = importlib.util.spec_from_file_location('migration_0007', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SQLITE


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _replace_checks(values_by_table):
    """Swap each named enum CHECK for one listing `values` (batch mode: SQLite rebuilds)."""
    for table, checks in values_by_table.items():
        with op.batch_alter_table(table, schema=None, recreate='auto') as batch_op:
            for name, column, values in checks:
                batch_op.drop_constraint(op.f(f'ck_{table}_{name}'), type_='check')
                batch_op.create_check_constraint(op.f(f'ck_{table}_{name}'), _in(column, values))


def _set_enums(states, sources):
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:  # a rebuild of journal_entries drops its trigger; journal_lines' names it
        op.execute('DROP TRIGGER journal_lines_balanced')
        op.execute('DROP TRIGGER journal_entries_never_change')
    _replace_checks(
        {
            'bookings': [('state', 'state', states)],
            'booking_events': [
                ('from_state', 'from_state', states),
                ('to_state', 'to_state', states),
            ],
            'journal_entries': [('entrysource', 'source', sources)],
        }
    )
    if sqlite:
        lines_balanced, entries_never_change, _ = _ledger_triggers()
        op.execute(lines_balanced)
        op.execute(entries_never_change)


def upgrade():
    _set_enums(NEW_STATES, NEW_SOURCES)

    op.create_table('payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.Enum('bank_transfer', 'card', name='paymentmethod', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('status', sa.Enum('pending', 'succeeded', 'failed', name='paymentstatus', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=True),
    sa.Column('payer_reference', sa.String(length=140), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=80), nullable=True),
    sa.Column('stripe_payment_intent_id', sa.String(length=255), nullable=True),
    sa.Column('failure_message', sa.Text(), nullable=False),
    sa.Column('created_at', marketplace.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('settled_at', marketplace.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_payments_amount_positive')),
    sa.CheckConstraint("(status = 'succeeded') = (received_on IS NOT NULL)", name=op.f('ck_payments_received_when_succeeded')),
    sa.CheckConstraint("method = 'card' OR (stripe_payment_intent_id IS NULL AND status = 'succeeded')", name=op.f('ck_payments_transfers_are_received')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_payments_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_payments_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_payments_idempotency_key')),
    sa.UniqueConstraint('stripe_payment_intent_id', name=op.f('uq_payments_stripe_payment_intent_id'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payments_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payments_status'), ['status'], unique=False)

    op.create_table('refunds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('credit_note_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'succeeded', 'failed', name='refundstatus', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=80), nullable=False),
    sa.Column('stripe_refund_id', sa.String(length=255), nullable=True),
    sa.Column('sent_on', sa.Date(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('failure_message', sa.Text(), nullable=False),
    sa.Column('created_at', marketplace.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('settled_at', marketplace.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_refunds_amount_positive')),
    sa.CheckConstraint("(status = 'succeeded') = (sent_on IS NOT NULL)", name=op.f('ck_refunds_sent_when_succeeded')),
    sa.ForeignKeyConstraint(['credit_note_id'], ['credit_notes.id'], name=op.f('fk_refunds_credit_note_id_credit_notes')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_refunds_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_refunds_payment_id_payments')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_refunds_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refunds')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_refunds_idempotency_key')),
    sa.UniqueConstraint('stripe_refund_id', name=op.f('uq_refunds_stripe_refund_id'))
    )
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refunds_credit_note_id'), ['credit_note_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refunds_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refunds_payment_id'), ['payment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refunds_status'), ['status'], unique=False)

    op.create_table('stripe_events',
    sa.Column('id', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=80), nullable=False),
    sa.Column('payment_intent_id', sa.String(length=255), nullable=True),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('received_at', marketplace.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stripe_events'))
    )
    with op.batch_alter_table('stripe_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stripe_events_payment_intent_id'), ['payment_intent_id'], unique=False)

    op.create_table('subsidy_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('invoice_subsidy_id', sa.Integer(), nullable=False),
    sa.Column('allocation_id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('submitted', 'approved', 'rejected', 'paid', name='claimstatus', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('submitted_at', marketplace.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', marketplace.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('rejection_reason', sa.Text(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.Column('funder_payment_reference', sa.String(length=140), nullable=False),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_subsidy_claims_amount_positive')),
    sa.CheckConstraint("(status = 'paid') = (paid_on IS NOT NULL)", name=op.f('ck_subsidy_claims_paid_when_dated')),
    sa.CheckConstraint("status <> 'rejected' OR rejection_reason <> ''", name=op.f('ck_subsidy_claims_rejection_has_reason')),
    sa.ForeignKeyConstraint(['allocation_id'], ['subsidy_allocations.id'], name=op.f('fk_subsidy_claims_allocation_id_subsidy_allocations')),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_subsidy_claims_booking_id_bookings')),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_subsidy_claims_company_id_companies')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_subsidy_claims_decided_by_id_users')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_subsidy_claims_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['invoice_subsidy_id'], ['invoice_subsidies.id'], name=op.f('fk_subsidy_claims_invoice_subsidy_id_invoice_subsidies')),
    sa.ForeignKeyConstraint(['programme_id'], ['subsidy_programmes.id'], name=op.f('fk_subsidy_claims_programme_id_subsidy_programmes')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_subsidy_claims_provider_id_providers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subsidy_claims')),
    sa.UniqueConstraint('allocation_id', name=op.f('uq_subsidy_claims_allocation_id')),
    sa.UniqueConstraint('invoice_subsidy_id', name=op.f('uq_subsidy_claims_invoice_subsidy_id'))
    )
    with op.batch_alter_table('subsidy_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subsidy_claims_booking_id'), ['booking_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_subsidy_claims_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_subsidy_claims_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_subsidy_claims_programme_id'), ['programme_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_subsidy_claims_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_subsidy_claims_status'), ['status'], unique=False)


def downgrade():
    op.drop_table('subsidy_claims')
    op.drop_table('stripe_events')
    op.drop_table('refunds')
    op.drop_table('payments')
    _set_enums(OLD_STATES, OLD_SOURCES)
