"""The floor: the month's harvest, valuation, grouping and inserts as hand-written SQLite SQL.

It does what `prebill run` does for the benchmark portfolio (installments, unit metrics, T&M
time at the most specific rate and article rule, rounding, grouping keys, lines, links, VAT per
rate), without the checks the real run makes (rule ties, ambiguous parts, Decimal exactness).
Usage: python sql_floor.py DATABASE.sqlite3 YYYY-MM
"""

import calendar
import sqlite3
import sys
import time
from datetime import date, datetime

DESIGNATION_SEP = " — "


def run_floor(path: str, period: str) -> dict:
    year, month = map(int, period.split("-"))
    first = date(year, month, 1).isoformat()
    last = date(year, month, calendar.monthrange(year, month)[1]).isoformat()
    now = datetime.now().isoformat(sep=" ")
    db = _TimedConnection(sqlite3.connect(path, isolation_level=None))
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    hours_per_day, rounding = db.execute(
        "SELECT hours_per_day, time_rounding_minutes FROM organisation_organisation LIMIT 1").fetchone()
    p = {"first": first, "last": last, "now": now, "hpd": hours_per_day, "step": rounding or 0,
         "label": f"{period}"}
    db.execute("BEGIN IMMEDIATE")
    columns = ("kind, client_id, engagement_id, part_id, installment_id, time_entry_id, unit_metric_id, collaborator_id, "
               "article_id, article_rule_id, period, service_date, invoice_date, quantity, unit, unit_price, amount, "
               "vat_rate, designation, decision, status, created_at, updated_at")
    db.execute(f"""
        INSERT INTO billing_billableitem ({columns})
        SELECT p.kind, e.client_id, e.id, p.id, i.id, NULL, NULL, NULL, p.article_id, NULL, :first, i.due_date,
               i.due_date, 1, a.unit, i.amount, i.amount, a.vat_rate, p.label || '{DESIGNATION_SEP}' || :label,
               'bill_now', 'pending', :now, :now
        FROM engagements_installment i
        JOIN engagements_engagementpart p ON p.id = i.part_id
        JOIN engagements_engagement e ON e.id = p.engagement_id
        JOIN catalogue_article a ON a.id = p.article_id
        WHERE i.due_date BETWEEN :first AND :last
          AND NOT EXISTS (SELECT 1 FROM billing_billableitem b WHERE b.installment_id = i.id)""", p)
    db.execute(f"""
        INSERT INTO billing_billableitem ({columns})
        SELECT 'units', m.client_id, e.id, p.id, NULL, NULL, m.id, NULL, p.article_id, NULL, :first, :last, :last,
               m.quantity, a.unit, p.unit_price, ROUND(m.quantity * p.unit_price, 2), a.vat_rate,
               p.label || '{DESIGNATION_SEP}' || :label, 'bill_now', 'pending', :now, :now
        FROM activity_unitmetric m
        JOIN engagements_engagement e ON e.client_id = m.client_id AND (m.engagement_id IS NULL OR m.engagement_id = e.id)
        JOIN engagements_engagementpart p ON p.engagement_id = e.id AND p.kind = 'units' AND p.metric_code = m.metric_code
        JOIN catalogue_article a ON a.id = p.article_id
        WHERE m.period = :first AND m.quantity > 0
          AND NOT EXISTS (SELECT 1 FROM billing_billableitem b WHERE b.unit_metric_id = m.id)""", p)
    db.execute("CREATE TEMP TABLE sole_tm (engagement_id INTEGER PRIMARY KEY, part_id INTEGER)")
    db.execute("""
        INSERT INTO sole_tm SELECT engagement_id, MIN(id) FROM engagements_engagementpart
        WHERE kind = 'time_and_materials' GROUP BY engagement_id HAVING COUNT(*) = 1""")
    db.execute(f"""
        INSERT INTO billing_billableitem ({columns})
        SELECT 'time', client_id, engagement_id, part_id, NULL, time_entry_id, NULL, collaborator_id,
               COALESCE((SELECT article_id FROM catalogue_articlerule WHERE id = rule_id), part_article),
               rule_id, :first, day, :last, quantity, unit, rate, ROUND(quantity * rate, 2),
               (SELECT vat_rate FROM catalogue_article WHERE id = COALESCE(
                    (SELECT article_id FROM catalogue_articlerule WHERE id = rule_id), part_article)),
               name || '{DESIGNATION_SEP}' || strftime('%d/%m/%Y', day) || '{DESIGNATION_SEP}' || billed_hours || ' h',
               CASE billable WHEN 'undecided' THEN 'on_hold' ELSE 'bill_now' END, 'pending', :now, :now
        FROM (
          SELECT t.id AS time_entry_id, e.client_id, e.id AS engagement_id, p.id AS part_id, c.id AS collaborator_id,
                 p.article_id AS part_article, t.date AS day, t.billable, c.name, p.billing_unit AS unit, billed_hours,
                 CASE p.billing_unit WHEN 'hour' THEN billed_hours ELSE ROUND(billed_hours / :hpd, 4) END AS quantity,
                 CASE p.billing_unit WHEN 'hour' THEN COALESCE(rc.hourly_rate, rg.hourly_rate, c.hourly_rate)
                      ELSE COALESCE(rc.daily_rate, rg.daily_rate, c.daily_rate) END AS rate,
                 (SELECT r.id FROM catalogue_articlerule r
                   WHERE (r.client_id IS NULL OR r.client_id = e.client_id)
                     AND (r.engagement_id IS NULL OR r.engagement_id = e.id)
                     AND (r.activity = '' OR r.activity = t.activity) AND (r.domain = '' OR r.domain = t.domain)
                     AND (r.collaborator_id IS NULL OR r.collaborator_id = c.id)
                     AND (r.group_id IS NULL OR r.group_id IN (
                          SELECT collaboratorgroup_id FROM team_collaborator_groups g WHERE g.collaborator_id = c.id))
                   ORDER BY (r.client_id IS NOT NULL) + (r.engagement_id IS NOT NULL) + (r.activity != '')
                          + (r.domain != '') + (r.collaborator_id IS NOT NULL) + (r.group_id IS NOT NULL) DESC
                   LIMIT 1) AS rule_id
          FROM (SELECT t.*, CASE WHEN :step = 0 THEN t.hours
                                 ELSE (CAST(t.hours * 60.0 / :step AS INTEGER)
                                       + (t.hours * 60.0 / :step > CAST(t.hours * 60.0 / :step AS INTEGER))) * :step / 60.0
                            END AS billed_hours
                FROM activity_timeentry t
                WHERE t.date <= :last AND t.billable != 'no'
                  AND NOT EXISTS (SELECT 1 FROM billing_billableitem b WHERE b.time_entry_id = t.id)) t
          JOIN engagements_engagement e ON e.id = t.engagement_id
          JOIN engagements_engagementpart p ON p.id = COALESCE(
               t.part_id, (SELECT part_id FROM engagements_task WHERE id = t.task_id),
               (SELECT part_id FROM sole_tm WHERE sole_tm.engagement_id = t.engagement_id))
          JOIN team_collaborator c ON c.id = t.collaborator_id
          LEFT JOIN engagements_partrate rc ON rc.part_id = p.id AND rc.collaborator_id = c.id
          LEFT JOIN engagements_partrate rg ON rg.part_id = p.id AND rg.collaborator_id IS NULL AND rg.grade = c.grade
          WHERE p.kind = 'time_and_materials'
        )""", p)
    # Grouping: the document key and the line key of every item to bill, then documents, lines, links, VAT.
    db.execute("""
        CREATE TEMP TABLE k AS
        SELECT b.id AS item_id, b.client_id, b.kind, b.article_id, b.quantity, b.unit, b.unit_price, b.amount,
               b.designation, b.service_date, b.invoice_date, b.collaborator_id,
               COALESCE(e.billing_address_id, (SELECT id FROM clients_billingaddress ad
                                               WHERE ad.client_id = b.client_id AND ad.is_default)) AS address_id,
               e.currency, c.vat_regime, c.payment_terms_days, c.end_of_month, c.payment_method, c.line_mode,
               CASE WHEN c.vat_regime = 'standard' THEN b.vat_rate ELSE 0 END AS vat_rate,
               CASE WHEN p.on_own_invoice THEN 'part:' || p.id
                    WHEN e.all_parts_on_one_invoice THEN 'engagement:' || e.id
                    WHEN b.installment_id IS NOT NULL THEN 'installment:' || b.installment_id
                    WHEN b.kind = 'time' THEN 'time' ELSE b.kind || ':' || e.id END AS doc_key,
               b.installment_id
        FROM billing_billableitem b
        JOIN engagements_engagement e ON e.id = b.engagement_id
        LEFT JOIN engagements_engagementpart p ON p.id = b.part_id
        LEFT JOIN clients_billingconditions c ON c.id = (
             SELECT id FROM clients_billingconditions bc WHERE bc.client_id = b.client_id
             AND bc.applies_from <= b.invoice_date ORDER BY bc.applies_from DESC LIMIT 1)
        WHERE b.period = :first AND b.status = 'pending' AND b.decision IN ('bill_now', 'standalone')""", p)
    db.execute("""ALTER TABLE k ADD COLUMN grouping_key TEXT""")
    db.execute("""ALTER TABLE k ADD COLUMN line_key TEXT""")
    db.execute("""
        UPDATE k SET grouping_key = invoice_date || '|' || address_id || '|' || currency || '|' || vat_regime || '|'
                     || payment_terms_days || '|' || payment_method || '|' || line_mode || '|' || doc_key,
                     line_key = CASE WHEN line_mode = 'detailed' OR installment_id IS NOT NULL THEN 'item:' || item_id
                                     ELSE kind || '|' || article_id || '|' || unit || '|' || unit_price || '|' || vat_rate
                                          || CASE WHEN line_mode = 'per_article_collaborator'
                                                  THEN '|' || IFNULL(collaborator_id, '') ELSE '' END END""")
    db.execute("CREATE INDEX k_doc ON k (client_id, grouping_key, line_key)")
    db.execute("""
        INSERT INTO billing_preinvoice (period, client_id, invoice_date, billing_address_id, currency, vat_regime,
               payment_terms_days, end_of_month, payment_method, line_mode, document_key, grouping_reason,
               total_excluding_vat, total_vat, total_including_vat, created_at, updated_at)
        SELECT :first, client_id, invoice_date, address_id, currency, vat_regime, payment_terms_days, end_of_month,
               payment_method, line_mode, grouping_key, doc_key, SUM(amount), 0, 0, :now, :now
        FROM k GROUP BY client_id, grouping_key""", p)
    db.execute("""
        INSERT INTO billing_preinvoiceline (pre_invoice_id, position, kind, line_key, article_id, designation,
               designation_override, quantity, unit, unit_price, amount, vat_rate, service_start, service_end)
        SELECT pi.id, ROW_NUMBER() OVER (PARTITION BY pi.id ORDER BY MIN(k.service_date), k.line_key), k.kind,
               k.line_key, k.article_id, MIN(k.designation), '', SUM(k.quantity), k.unit, k.unit_price, SUM(k.amount),
               k.vat_rate, MIN(k.service_date), MAX(k.service_date)
        FROM k JOIN billing_preinvoice pi
          ON pi.period = :first AND pi.client_id = k.client_id AND pi.document_key = k.grouping_key
        GROUP BY pi.id, k.line_key""", p)
    db.execute("""
        UPDATE billing_billableitem SET pre_invoice_line_id = l.id
        FROM k JOIN billing_preinvoice pi
               ON pi.period = :first AND pi.client_id = k.client_id AND pi.document_key = k.grouping_key
             JOIN billing_preinvoiceline l ON l.pre_invoice_id = pi.id AND l.line_key = k.line_key
        WHERE billing_billableitem.id = k.item_id""", p)
    db.execute("""
        INSERT INTO billing_preinvoicevat (pre_invoice_id, rate, base, vat)
        SELECT l.pre_invoice_id, l.vat_rate, SUM(l.amount), ROUND(SUM(l.amount) * l.vat_rate / 100, 2)
        FROM billing_preinvoiceline l JOIN billing_preinvoice pi ON pi.id = l.pre_invoice_id
        WHERE pi.period = :first GROUP BY l.pre_invoice_id, l.vat_rate""", p)
    db.execute("""
        UPDATE billing_preinvoice SET
          total_vat = (SELECT SUM(vat) FROM billing_preinvoicevat v WHERE v.pre_invoice_id = billing_preinvoice.id),
          total_including_vat = total_excluding_vat
            + (SELECT SUM(vat) FROM billing_preinvoicevat v WHERE v.pre_invoice_id = billing_preinvoice.id)
        WHERE period = :first""", p)
    db.execute("COMMIT")
    counts = {
        "items": db.execute("SELECT COUNT(*) FROM billing_billableitem WHERE period = ?", (first,)).fetchone()[0],
        "pre_invoices": db.execute("SELECT COUNT(*) FROM billing_preinvoice WHERE period = ?", (first,)).fetchone()[0],
        "lines": db.execute("SELECT COUNT(*) FROM billing_preinvoiceline l JOIN billing_preinvoice pi "
                            "ON pi.id = l.pre_invoice_id WHERE pi.period = ?", (first,)).fetchone()[0],
    }
    db.close()
    counts["seconds_per_statement"] = [round(seconds, 2) for seconds in db.timings]
    return counts


class _TimedConnection:
    """Keeps the wall time of each statement, to see where the floor spends its time."""

    def __init__(self, connection: sqlite3.Connection):
        self.connection = connection
        self.timings: list[float] = []

    def execute(self, sql: str, parameters=()):
        started = time.perf_counter()
        cursor = self.connection.execute(sql, parameters)
        self.timings.append(time.perf_counter() - started)
        return cursor

    def close(self) -> None:
        self.connection.close()


if __name__ == "__main__":
    print(run_floor(sys.argv[1], sys.argv[2]))
