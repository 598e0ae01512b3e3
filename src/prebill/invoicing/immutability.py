"""Database triggers that refuse any change to a validated invoice's content, its issued documents, the journal
and the audit trail.

The models are not the only way in (admin, raw SQL, a script): the database itself says no.
Only `state` (and nothing else) of an invoice may be updated, by the lifecycle services.

Migrations of several apps add frozen tables and invoice columns: each one that does drops the triggers and
creates them again (`recreate_triggers`), over the tables and columns that exist at that point of the history.
"""

INVOICE_CONTENT = (
    "kind", "series_id", "sequence", "sequence_year", "number", "issue_date", "due_date", "client_id",
    "credited_invoice_id", "period", "seller_name", "seller_siren", "seller_vat_number", "seller_address",
    "seller_legal_form", "seller_iban", "seller_bic", "seller_logo", "seller_logo_type",
    "seller_share_capital", "seller_rcs_city", "seller_vat_on_debits", "buyer_category", "buyer_endpoint_scheme",
    "buyer_endpoint",
    "buyer_code", "buyer_name", "buyer_siren", "buyer_vat_number", "buyer_address", "currency",
    "exchange_rate", "total_vat_eur", "vat_regime", "exemption_wording",
    "payment_terms_days", "end_of_month", "payment_method", "total_excluding_vat", "total_vat",
    "total_including_vat", "validated_at", "validated_by_id",
)
FROZEN_TABLES = ("invoicing_invoiceline", "invoicing_invoicelineitem", "invoicing_invoicevat", "audit_auditevent",
                 "documents_issueddocument", "accounting_journalentry", "accounting_journalline")
MESSAGE = "validated invoices, credit notes, their issued documents, the journal and the audit trail never change"


def _triggers(vendor: str, tables: tuple[str, ...] = FROZEN_TABLES,
              content: tuple[str, ...] = INVOICE_CONTENT) -> tuple[list[str], list[str]]:
    """(create statements, drop statements) for the database vendor."""
    columns = ", ".join(content)
    create, drop = [], []
    if vendor == "postgresql":
        create.append(
            "CREATE OR REPLACE FUNCTION prebill_refuse_change() RETURNS trigger AS $$ BEGIN "
            f"RAISE EXCEPTION 'prebill: % on % refused: {MESSAGE}', TG_OP, TG_TABLE_NAME; END; $$ LANGUAGE plpgsql")
        create.append(f"CREATE TRIGGER prebill_frozen_invoice BEFORE UPDATE OF {columns} OR DELETE "
                      "ON invoicing_invoice FOR EACH ROW EXECUTE FUNCTION prebill_refuse_change()")
        drop.append("DROP TRIGGER IF EXISTS prebill_frozen_invoice ON invoicing_invoice")
        for table in tables:
            create.append(f"CREATE TRIGGER prebill_frozen_{table} BEFORE UPDATE OR DELETE ON {table} "
                          "FOR EACH ROW EXECUTE FUNCTION prebill_refuse_change()")
            drop.append(f"DROP TRIGGER IF EXISTS prebill_frozen_{table} ON {table}")
        return create, drop
    raise_ = f"BEGIN SELECT RAISE(ABORT, 'prebill: {MESSAGE}'); END"
    create.append(f"CREATE TRIGGER prebill_frozen_invoice_update BEFORE UPDATE OF {columns} ON invoicing_invoice {raise_}")
    create.append(f"CREATE TRIGGER prebill_frozen_invoice_delete BEFORE DELETE ON invoicing_invoice {raise_}")
    drop += ["DROP TRIGGER IF EXISTS prebill_frozen_invoice_update", "DROP TRIGGER IF EXISTS prebill_frozen_invoice_delete"]
    for table in tables:
        for event in ("UPDATE", "DELETE"):
            create.append(f"CREATE TRIGGER prebill_frozen_{table}_{event.lower()} BEFORE {event} ON {table} {raise_}")
            drop.append(f"DROP TRIGGER IF EXISTS prebill_frozen_{table}_{event.lower()}")
    return create, drop


def _present(connection) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The frozen tables and the invoice content columns that exist now (a migration runs at one point of history)."""
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        columns = {column.name for column in connection.introspection.get_table_description(
            cursor, "invoicing_invoice")} if "invoicing_invoice" in existing else set()
    return (tuple(table for table in FROZEN_TABLES if table in existing),
            tuple(column for column in INVOICE_CONTENT if column in columns))


def create_triggers(apps, schema_editor, *, leave_out: tuple[str, ...] = ()) -> None:
    tables, content = _present(schema_editor.connection)
    content = tuple(column for column in content if column not in leave_out)
    for statement in _triggers(schema_editor.connection.vendor, tables, content)[0]:
        schema_editor.execute(statement, params=None)


def drop_triggers(apps, schema_editor) -> None:
    tables, content = _present(schema_editor.connection)
    for statement in _triggers(schema_editor.connection.vendor, tables, content)[1]:
        schema_editor.execute(statement, params=None)


def recreate_triggers(apps, schema_editor) -> None:
    """Drop then create: the set of frozen tables or invoice columns has changed."""
    drop_triggers(apps, schema_editor)
    create_triggers(apps, schema_editor)
