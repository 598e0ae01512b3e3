"""E-invoicing through a Plateforme Agréée (AFNOR XP Z12-013): life-cycle statuses, CDAR status messages,
the FNFE-MPE rule files, and a PA simulator for the tests and the demo.

A plain package (no Django): the simulator runs in its own process or thread, beside the product.
"""
