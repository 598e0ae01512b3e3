"""What payments tell the apps built on them, so that payments never imports them.

- `invoice_settled(allocation, user)`: money (a payment, or a deposit received earlier) was allocated to an invoice,
  inside the allocation's transaction; a receiver that raises undoes it. Accounting moves the VAT due on receipts
  of the part paid; e-invoicing declares the amount received to the platform (status 212 "Encaissée").
"""

from django.dispatch import Signal

invoice_settled = Signal()
