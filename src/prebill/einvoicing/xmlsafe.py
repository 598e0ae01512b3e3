"""Parsing XML received from outside: no entity expansion, no network, no DTD loading."""

from __future__ import annotations

from lxml import etree


class NotXml(ValueError):
    """The bytes are not a well-formed XML document."""


def parse(content: bytes) -> etree._Element:
    """The root element of `content`, or NotXml with the parser's reason."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=False)
    try:
        root = etree.fromstring(content, parser=parser)
    except (etree.XMLSyntaxError, ValueError) as error:
        raise NotXml(str(error)) from None
    if root is None:
        raise NotXml("empty document")
    return root
