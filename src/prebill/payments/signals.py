"""What payments tell the apps built on them, so that payments never imports them.

- `invoice_settled(allocation, user)`: money (a payment, or a deposit received earlier) was allocated to an invoice,
  inside the allocation's transaction; a receiver that raises undoes it. Accounting moves the VAT due on receipts
  of the part paid; e-invoicing declares the amount received to the platform (status 212 "Encaissée").
- `allocation_removed(allocation, user)`: an allocation was undone (its money is back on the deposit, or its payment
  is being cancelled), inside that transaction. Accounting reverses the VAT it moved; e-invoicing corrects the 212
  it declared (or cancels it if it was never sent).
- `payment_cancelled(payment, user)`: a payment recorded by mistake no longer counts (its allocations were removed
  first). Accounting reverses its bank entry.
"""

from django.dispatch import Signal

invoice_settled = Signal()
allocation_removed = Signal()
payment_cancelled = Signal()
