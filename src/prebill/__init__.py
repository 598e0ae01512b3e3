"""prebill: pre-billing and invoicing for professional-services firms."""

__version__ = "0.1.0"
