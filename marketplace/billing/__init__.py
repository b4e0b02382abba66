"""Money: amounts, VAT, subsidies, invoices, payments and the ledger (DESIGN §3).

Depends on domain models and plain values, never on blueprints; `money` is pure and any
package may import it.
"""
