"""The life-cycle statuses of an e-invoice (XP Z12-012, CDAR messages), as the French reform names them.

The codes and labels are those of the reform's status table; the phase, the issuer's role and the reason codes
allowed for each status follow the FNFE-MPE rules on status messages (BR-FR-CDV-09, -15, -CL-02, -CL-09, v1.4).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Phase(StrEnum):
    """MDT-77, the type code of the acknowledgement: who moves the invoice on."""

    TRANSMISSION = "305"  # the platforms (deposit, transmission, making available, technical rejection)
    PROCESSING = "23"  # the parties (buyer's decisions, seller's payment received)


class Role(StrEnum):
    """UNTDID 3035 party roles used by the status messages."""

    PLATFORM = "WK"
    SELLER = "SE"
    BUYER = "BY"
    STATE = "DFH"  # the PPF, the tax administration's data concentrator


@dataclass(frozen=True)
class LifecycleStatus:
    code: int
    label: str  # French, as the reform and the platforms show it
    meaning: str
    phase: Phase
    issued_by: Role
    final: bool  # nothing follows in the normal course (212 may repeat: partial payments, corrections)
    reason_required: bool = False
    reasons: tuple[str, ...] = ()  # the only reason codes allowed, when the rules restrict them


_REJECTION_REASONS = ("MONTANTTOTAL_ERR", "CALCUL_ERR", "DOUBLON", "DEST_INC", "ADR_ERR", "REJ_SEMAN", "REJ_UNI",
                      "REJ_COH", "REJ_ADR", "REJ_CONT_B2G", "REJ_REF_PJ", "REJ_ASS_PJ")
_REFUSAL_REASONS = ("TX_TVA_ERR", "MONTANTTOTAL_ERR", "CALCUL_ERR", "NON_CONFORME", "DOUBLON", "DEST_ERR",
                    "TRANSAC_INC", "EMMET_INC", "CONTRAT_TERM", "DOUBLE_FACT", "CMD_ERR", "ADR_ERR", "REF_CT_ABSENT")
_DISPUTE_REASONS = ("AUTRE", "COORD_BANC_ERR", "TX_TVA_ERR", "MONTANTTOTAL_ERR", "CALCUL_ERR", "NON_CONFORME",
                    "DOUBLON", "DEST_INC", "DEST_ERR", "TRANSAC_INC", "EMMET_INC", "CONTRAT_TERM", "DOUBLE_FACT",
                    "CMD_ERR", "ADR_ERR", "SIRET_ERR", "CODE_ROUTAGE_ERR", "REF_CT_ABSENT", "REF_ERR", "PU_ERR",
                    "REM_ERR", "QTE_ERR", "ART_ERR", "MODPAI_ERR", "QUALITE_ERR", "LIVR_INCOMP")
_PARTIAL_APPROVAL_REASONS = ("AUTRE", "CMD_ERR", "SIRET_ERR", "CODE_ROUTAGE_ERR", "REF_CT_ABSENT", "REF_ERR",
                             "PU_ERR", "REM_ERR", "QTE_ERR", "ART_ERR", "MODPAI_ERR", "QUALITE_ERR", "LIVR_INCOMP")
_SUSPENSION_REASONS = ("JUSTIF_ABS", "COORD_BANC_ERR", "CMD_ERR", "SIRET_ERR", "CODE_ROUTAGE_ERR", "REF_CT_ABSENT",
                       "REF_ERR")
_INADMISSIBILITY_REASONS = ("IRR_VIDE_F", "IRR_TYPE_F", "IRR_SYNTAX", "IRR_TAILLE_PJ", "IRR_NOM_PJ", "IRR_VID_PJ",
                            "IRR_EXT_DOC", "IRR_TAILLE_F", "IRR_ANTIVIRUS", "IRR_NOM_F")

# BR-FR-CDV-CL-09: every status reason code a message may carry.
REASONS = tuple(dict.fromkeys(("RETRAIT_MAN_SERV", "ST_CT_NON_DECLAR", "SUPPR_COMP_AVOIR", "TRANSF_PMNT_REGIE",
                               "CONTACT_ACHTR", "NON_TRANSMISE", "JUSTIF_ABS", "ROUTAGE_ERR", *_DISPUTE_REASONS,
                               *_REJECTION_REASONS, *_INADMISSIBILITY_REASONS)))

_T, _P = Phase.TRANSMISSION, Phase.PROCESSING
_WK, _SE, _BY = Role.PLATFORM, Role.SELLER, Role.BUYER

STATUSES: dict[int, LifecycleStatus] = {status.code: status for status in (
    LifecycleStatus(200, "Déposée", "lodged at the seller's platform and technically accepted", _T, _WK, False,
                    reasons=("NON_TRANSMISE",)),
    LifecycleStatus(201, "Émise par la plateforme", "sent by the seller's platform", _T, _WK, False),
    LifecycleStatus(202, "Reçue par la plateforme", "received by the buyer's platform", _T, _WK, False),
    LifecycleStatus(203, "Mise à disposition", "made available to the buyer", _T, _WK, False),
    LifecycleStatus(204, "Prise en charge", "taken in charge by the buyer", _P, _BY, False),
    LifecycleStatus(205, "Approuvée", "approved by the buyer", _P, _BY, False),
    LifecycleStatus(206, "Approuvée partiellement", "partly approved by the buyer", _P, _BY, False, True,
                    _PARTIAL_APPROVAL_REASONS),
    LifecycleStatus(207, "En litige", "disputed by the buyer", _P, _BY, False, True, _DISPUTE_REASONS),
    LifecycleStatus(208, "Suspendue", "suspended by the buyer, waiting for a document", _P, _BY, False, True,
                    _SUSPENSION_REASONS),
    LifecycleStatus(209, "Complétée", "completed by the seller after a suspension", _P, _SE, False),
    LifecycleStatus(210, "Refusée", "refused by the buyer: settle it with a credit note", _P, _BY, True, True,
                    _REFUSAL_REASONS),
    LifecycleStatus(211, "Paiement transmis", "payment sent by the buyer", _P, _BY, False),
    LifecycleStatus(212, "Encaissée", "payment received, declared by the seller", _P, _SE, True),
    LifecycleStatus(213, "Rejetée", "failed the platform's compliance checks: never validly received", _T, _WK, True,
                    True, _REJECTION_REASONS),
    # Not one of the reform's 14, but the rules' answer to a file that cannot be read as an invoice at all.
    LifecycleStatus(501, "Irrecevable", "the file is not a readable invoice", _T, _WK, True, True,
                    _INADMISSIBILITY_REASONS),
)}

MANDATORY = (200, 210, 212, 213)  # the four statuses every platform must relay


class UnknownStatus(ValueError):
    """A status code outside the reform's table."""


def status(code: int | str) -> LifecycleStatus:
    """The status of a code (200 … 213, 501), or UnknownStatus."""
    try:
        return STATUSES[int(code)]
    except (KeyError, ValueError):
        raise UnknownStatus(f"unknown life-cycle status code {code!r}") from None


def reason_problem(code: int, reason_code: str | None) -> str | None:
    """Why `reason_code` cannot go with status `code` (None when it can)."""
    found = status(code)
    if not reason_code:
        return f"status {code} {found.label} needs a reason code" if found.reason_required else None
    if reason_code not in REASONS:
        return f"unknown status reason code {reason_code}"
    if found.reasons and reason_code not in found.reasons:
        return f"reason {reason_code} is not allowed with status {code} {found.label} (allowed: {', '.join(found.reasons)})"
    return None
