"""What validation tells the apps built on invoicing, so that invoicing never imports them.

Both are sent inside the validation's transaction; a receiver that raises undoes the validation.
- `draft_invoiced(invoice, pre_invoice_id, user)`: the draft became `invoice` and is about to be removed
  (payments settles the invoice with the deposits set aside for the draft).
- `invoice_issued(invoice, user)`: an invoice or credit note has its number (accounting posts it when the firm
  posts on validation; documents renders and keeps its PDF and XML once the transaction commits).
- `exchange_rate_wanted(currency, day)`: validation of an invoice in another currency than the euro asks for the
  firm's rate of that day (accounting keeps the rates and answers the latest on or before it, in euros for one
  unit; None when it has none, and validation is refused saying which rate to enter).
"""

from django.dispatch import Signal

draft_invoiced = Signal()
invoice_issued = Signal()
exchange_rate_wanted = Signal()
