"""Ledger: journal entries and lines on the PCG chart, balanced by the database

An entry states its total and line count; the database refuses one whose lines do not add up:
PostgreSQL with a deferred constraint trigger (checked at commit, whatever the insert order),
SQLite (no deferred triggers) by taking lines in order and checking the balance on the last
one. Entries and lines never change on either (corrections are new entries).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 05:53:47.711843

"""
from alembic import op
import sqlalchemy as sa
import marketplace.dbtypes


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

POSTGRESQL = (
    """
    CREATE FUNCTION journal_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        target integer;
        expected bigint;
        expected_lines integer;
        debits bigint;
        credits bigint;
        lines integer;
    BEGIN
        IF TG_TABLE_NAME = 'journal_entries' THEN
            target := CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END;
        ELSE
            target := CASE WHEN TG_OP = 'DELETE' THEN OLD.entry_id ELSE NEW.entry_id END;
        END IF;
        SELECT total_cents, line_count INTO expected, expected_lines
          FROM journal_entries WHERE id = target;
        IF NOT FOUND THEN
            RETURN NULL;  -- the entry is gone (its lines' foreign key says they are too)
        END IF;
        SELECT coalesce(sum(debit_cents), 0), coalesce(sum(credit_cents), 0), count(*)
          INTO debits, credits, lines FROM journal_lines WHERE entry_id = target;
        IF debits <> expected OR credits <> expected OR lines <> expected_lines THEN
            RAISE EXCEPTION 'journal entry % is unbalanced: debits %, credits %, total %, '
                '% line(s) of %', target, debits, credits, expected, lines, expected_lines
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE CONSTRAINT TRIGGER journal_lines_balanced
    AFTER INSERT OR DELETE ON journal_lines DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION journal_entry_balanced()
    """,
    """
    CREATE CONSTRAINT TRIGGER journal_entries_balanced
    AFTER INSERT ON journal_entries DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION journal_entry_balanced()
    """,
    """
    CREATE FUNCTION journal_never_changes() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '% never change: post a new entry', TG_TABLE_NAME
            USING ERRCODE = 'check_violation';
    END $$
    """,
    """
    CREATE TRIGGER journal_entries_never_change BEFORE UPDATE ON journal_entries
    FOR EACH ROW EXECUTE FUNCTION journal_never_changes()
    """,
    """
    CREATE TRIGGER journal_lines_never_change BEFORE UPDATE ON journal_lines
    FOR EACH ROW EXECUTE FUNCTION journal_never_changes()
    """,
)

_SQLITE_SUMS = """
    (SELECT coalesce(sum(l.{side}_cents), 0) FROM journal_lines l WHERE l.entry_id = e.id)
    + NEW.{side}_cents"""

SQLITE = (
    f"""
    CREATE TRIGGER journal_lines_balanced BEFORE INSERT ON journal_lines
    BEGIN
        SELECT RAISE(ABORT, 'journal line of an unknown entry')
        WHERE NOT EXISTS (SELECT 1 FROM journal_entries WHERE id = NEW.entry_id);
        SELECT RAISE(ABORT, 'journal lines come in order, up to their entry''s line count')
        FROM journal_entries e
        WHERE e.id = NEW.entry_id AND (
            NEW.position > e.line_count
            OR NEW.position <> 1 + (SELECT count(*) FROM journal_lines l WHERE l.entry_id = e.id)
        );
        SELECT RAISE(ABORT, 'unbalanced journal entry')
        FROM journal_entries e
        WHERE e.id = NEW.entry_id AND (
            {_SQLITE_SUMS.format(side='debit')} > e.total_cents
            OR {_SQLITE_SUMS.format(side='credit')} > e.total_cents
            OR (NEW.position = e.line_count AND (
                {_SQLITE_SUMS.format(side='debit')} <> e.total_cents
                OR {_SQLITE_SUMS.format(side='credit')} <> e.total_cents
            ))
        );
    END
    """,
    """
    CREATE TRIGGER journal_entries_never_change BEFORE UPDATE ON journal_entries
    BEGIN
        SELECT RAISE(ABORT, 'journal entries never change: post a new entry');
    END
    """,
    """
    CREATE TRIGGER journal_lines_never_change BEFORE UPDATE ON journal_lines
    BEGIN
        SELECT RAISE(ABORT, 'journal lines never change: post a new entry');
    END
    """,
)


def upgrade():
    op.create_table('journal_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_date', sa.Date(), nullable=False),
    sa.Column('journal_code', sa.Enum('VT', 'BQ', 'OD', name='journal', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('piece_ref', sa.String(length=40), nullable=False),
    sa.Column('piece_date', sa.Date(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('source', sa.Enum('invoice_issued', 'credit_note_issued', 'share_received', 'subsidy_claimed', 'subsidy_approved', 'subsidy_paid', 'refund', 'provider_paid', name='entrysource', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('total_cents', sa.BigInteger(), nullable=False),
    sa.Column('line_count', sa.Integer(), nullable=False),
    sa.Column('created_at', marketplace.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('line_count >= 2', name=op.f('ck_journal_entries_two_lines_or_more')),
    sa.CheckConstraint('total_cents > 0', name=op.f('ck_journal_entries_total_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journal_entries')),
    sa.UniqueConstraint('source', 'source_id', name='uq_journal_entries_one_per_event')
    )
    with op.batch_alter_table('journal_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journal_entries_entry_date'), ['entry_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_journal_entries_journal_code'), ['journal_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_journal_entries_piece_ref'), ['piece_ref'], unique=False)

    op.create_table('journal_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('account', sa.String(length=8), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('debit_cents', sa.BigInteger(), nullable=False),
    sa.Column('credit_cents', sa.BigInteger(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=True),
    sa.Column('provider_id', sa.Integer(), nullable=True),
    sa.Column('programme_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("account IN ('411', '4191', '441', '4687', '467', '44571', '512', '706')", name=op.f('ck_journal_lines_account_in_chart')),
    sa.CheckConstraint('(debit_cents = 0) <> (credit_cents = 0)', name=op.f('ck_journal_lines_one_side_only')),
    sa.CheckConstraint('CASE WHEN company_id IS NULL THEN 0 ELSE 1 END + CASE WHEN provider_id IS NULL THEN 0 ELSE 1 END + CASE WHEN programme_id IS NULL THEN 0 ELSE 1 END <= 1', name=op.f('ck_journal_lines_one_third_party_at_most')),
    sa.CheckConstraint('debit_cents >= 0 AND credit_cents >= 0', name=op.f('ck_journal_lines_amounts_not_negative')),
    sa.CheckConstraint('position >= 1', name=op.f('ck_journal_lines_position_positive')),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_journal_lines_company_id_companies')),
    sa.ForeignKeyConstraint(['entry_id'], ['journal_entries.id'], name=op.f('fk_journal_lines_entry_id_journal_entries')),
    sa.ForeignKeyConstraint(['programme_id'], ['subsidy_programmes.id'], name=op.f('fk_journal_lines_programme_id_subsidy_programmes')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_journal_lines_provider_id_providers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journal_lines')),
    sa.UniqueConstraint('entry_id', 'position', name='uq_journal_lines_one_per_position')
    )
    with op.batch_alter_table('journal_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journal_lines_account'), ['account'], unique=False)
        batch_op.create_index(batch_op.f('ix_journal_lines_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_journal_lines_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_journal_lines_programme_id'), ['programme_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_journal_lines_provider_id'), ['provider_id'], unique=False)

    dialect = op.get_bind().dialect.name
    for statement in POSTGRESQL if dialect == 'postgresql' else SQLITE if dialect == 'sqlite' else ():
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER journal_lines_balanced ON journal_lines')
        op.execute('DROP TRIGGER journal_entries_balanced ON journal_entries')
        op.execute('DROP TRIGGER journal_lines_never_change ON journal_lines')
        op.execute('DROP TRIGGER journal_entries_never_change ON journal_entries')
        op.execute('DROP FUNCTION journal_entry_balanced()')
        op.execute('DROP FUNCTION journal_never_changes()')
    with op.batch_alter_table('journal_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journal_lines_provider_id'))
        batch_op.drop_index(batch_op.f('ix_journal_lines_programme_id'))
        batch_op.drop_index(batch_op.f('ix_journal_lines_entry_id'))
        batch_op.drop_index(batch_op.f('ix_journal_lines_company_id'))
        batch_op.drop_index(batch_op.f('ix_journal_lines_account'))

    op.drop_table('journal_lines')
    with op.batch_alter_table('journal_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journal_entries_piece_ref'))
        batch_op.drop_index(batch_op.f('ix_journal_entries_journal_code'))
        batch_op.drop_index(batch_op.f('ix_journal_entries_entry_date'))

    op.drop_table('journal_entries')
