"""Parsing XML that reaches us from outside (SOAP calls, qbXML responses) without XML's traps.

defusedxml-level safety with lxml: no DTDs at all (so no entity expansion, no billion laughs, no
external entities), no network access, no huge trees.
"""

import re

from lxml import etree

_XML_DECLARATION = re.compile(r"^\ufeff?\s*<\?xml[^>]*\?>")
# Characters XML 1.0 cannot carry at all, even escaped; lxml refuses them in text.
_NOT_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_NO_DOCTYPE = "Documents with a DOCTYPE are not accepted."


class XMLRejected(ValueError):
    """Not well-formed, or using a feature we refuse (a DOCTYPE). The message is safe to send back."""


class _RefuseExternal(etree.Resolver):
    """Nothing outside the document is ever read: no DTD, entity or XInclude, local or remote."""

    def resolve(self, url, public_id, context):
        raise XMLRejected("External resources are not accepted.")


def parse_xml(data: bytes | str) -> etree._Element:
    """Parse one document and return its root element, or raise :class:`XMLRejected`."""
    if data is None:
        raise XMLRejected("No XML was given.")
    if isinstance(data, str):
        # lxml will not parse a str that declares an encoding; the str is already decoded.
        data = _XML_DECLARATION.sub("", data, count=1)
        if _DOCTYPE.search(data.encode("utf-8", "replace")):
            raise XMLRejected(_NO_DOCTYPE)
    elif _DOCTYPE.search(data):
        raise XMLRejected(_NO_DOCTYPE)
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )
    parser.resolvers.add(_RefuseExternal())
    try:
        root = etree.fromstring(data, parser)
    except XMLRejected:
        raise
    except (etree.XMLSyntaxError, ValueError):
        # The parser's own message can quote the input: do not echo it back.
        raise XMLRejected("The XML is not well-formed.") from None
    if root is None:
        raise XMLRejected("The XML document is empty.")
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise XMLRejected(_NO_DOCTYPE)
    return root


def iter_beginning(data: bytes):
    """``(event, element)`` pairs (``"start"``/``"end"``) of the beginning of a document that may be cut
    off, with :func:`parse_xml`'s refusals; raises :class:`XMLRejected` if what is there is not XML."""
    if _DOCTYPE.search(data):
        raise XMLRejected(_NO_DOCTYPE)
    parser = etree.XMLPullParser(
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    parser.resolvers.add(_RefuseExternal())
    try:
        parser.feed(data)
        yield from parser.read_events()
    except (etree.XMLSyntaxError, ValueError):
        raise XMLRejected("The XML is not well-formed.") from None


def clean_text(value: object) -> str:
    """``value`` as text that XML can carry (characters XML 1.0 forbids are dropped)."""
    return _NOT_XML_CHARS.sub("", "" if value is None else str(value))


def local_name(element: etree._Element) -> str:
    return etree.QName(element).localname
