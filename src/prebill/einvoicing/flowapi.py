"""Names and rules of the AFNOR XP Z12-013 Flow Service (OpenAPI 1.3.0) shared by its client and the simulator.

The enumerations are the OpenAPI's, value for value; the webhook signature is the one its `createWebhook`
operation describes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

FLOW_SYNTAXES = ("CII", "UBL", "Factur-X", "CDAR", "FRR")
FLOW_PROFILES = ("Basic", "CIUS", "Extended-CTC-FR", "Undefined")
PROCESSING_RULES = ("B2B", "B2BInt", "B2C", "B2G", "B2GInt", "OutOfScope", "B2GOutOfScope", "ArchiveOnly",
                    "NotApplicable", "Undefined")
FLOW_TYPES = ("CustomerInvoice", "SupplierInvoice", "CustomerInvoiceLC", "SupplierInvoiceLC", "StateCustomerInvoiceLC",
              "StateSupplierInvoiceLC", "AggregatedCustomerTransactionReport", "UnitaryCustomerTransactionReport",
              "AggregatedCustomerPaymentReport", "UnitaryCustomerPaymentReport", "UnitarySupplierTransactionReport",
              "MultiFlowReport", "StateCustomerInvoice", "StateSupplierInvoice", "StateTransactionReport",
              "StateTransactionReportLC", "StatePaymentReport", "StatePaymentReportLC", "Undefined")
FLOW_DIRECTIONS = ("In", "Out")  # In: from the platform to the software; Out: from the software to the platform
ACK_STATUSES = ("Pending", "Ok", "Error")
DOC_TYPES = ("Metadata", "Original", "Converted", "ReadableView")
REASON_CODES = ("EmptyAttachement", "AttachmentTypeError", "EmptyFlow", "OtherTechnicalError", "InvalidSchema",
                "FileSizeExceeded", "FlowTypeError", "AlreadyExistingFlow", "VirusFound", "ChecksumMismatch",
                "InvoiceLCInvalidStatus", "InvoiceLCStatusError", "InvoiceLCRuleError", "InvoiceLCAccessDenied",
                "InvoiceLCAmountError")  # extensible: any other string is allowed too
MAX_ID_LENGTH = 64  # NotOnlyUuid: flowId, trackingId
MAX_NAME_LENGTH = 255
MAX_LIMIT, DEFAULT_LIMIT = 100, 25
MAX_FILE_SIZE = 100 * 1024 * 1024  # "Flow file: Max size = 100 MB"

# The BAR note of the invoice (BT-21 "BAR") → the processing rule a platform computes from it.
PROCESSING_RULE_OF_CATEGORY = {"B2B": "B2B", "B2BINT": "B2BInt", "B2C": "B2C", "OUTOFSCOPE": "OutOfScope",
                               "ARCHIVEONLY": "ArchiveOnly"}


def webhook_signature(payload: bytes, timestamp: int, signing_key: str) -> str:
    """The Afnor-Signature header of a callback: base64(HMAC-SHA-256(key, SHA-256 hex of payload "@" timestamp)).

    The OpenAPI says "a SHA-256 fingerprint of the JSON payload as is, '@', the epoch time in seconds, then an HMAC
    over the fingerprint with the signing key": here the key is the base64-decoded `signingKey` and the
    fingerprint its lowercase hex digest.
    """
    fingerprint = hashlib.sha256(payload + b"@" + str(timestamp).encode()).hexdigest()
    digest = hmac.new(base64.b64decode(signing_key), fingerprint.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()
