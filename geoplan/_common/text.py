"""Decoding the text files planners receive: one cascade for plans, logs and layers.

Chinese offices save text as UTF-8 (with or without a byte-order mark), GB18030/GBK from
older Windows tools, Big5 for traditional-character documents, or UTF-16 from Word's and
Excel's "Unicode text". :func:`decode_bytes` tries them in that order and names the codec
it used; a caller that knows the codec passes it and gets no guessing.
"""

from __future__ import annotations

import codecs
import logging

from .._errors import DataReadError, GeoplanError

logger = logging.getLogger("geoplan")

#: Leading bytes of binary formats that arrive where text was expected.
BINARY_MAGIC: dict[bytes, str] = {
    b"\x89PNG": "a PNG image",
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a zip archive (a Word .docx or Excel .xlsx is one)",
    b"\xd0\xcf\x11\xe0": "an old Word/Excel (.doc/.xls) file",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
}

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

#: Codecs tried, in order, for bytes without a byte-order mark.
FALLBACK_CODECS: tuple[str, ...] = ("utf-8", "gb18030", "big5")


#: Member names that tell an Office file from another zip archive.
_ZIP_KINDS: tuple[tuple[bytes, str], ...] = (
    (b"xl/", "an Excel workbook (.xlsx)"),
    (b"word/", "a Word document (.docx)"),
    (b"ppt/", "a PowerPoint file (.pptx)"),
    (b"content.xml", "an OpenDocument file (.ods/.odt)"),
)


def binary_kind(data: bytes) -> str | None:
    """Return what binary format ``data`` starts with (``"a PDF document"``), or None.

    Examples
    --------
    >>> binary_kind(b"PK\x03\x04....[Content_Types].xml....xl/workbook.xml")
    'an Excel workbook (.xlsx)'
    >>> binary_kind("任务编号,日期".encode()) is None
    True
    """
    for magic, kind in BINARY_MAGIC.items():
        if data.startswith(magic):
            if magic == b"PK\x03\x04":
                # member names are stored in clear in the local headers and the directory
                for member, office in _ZIP_KINDS:
                    if member in data:
                        return office
            return kind
    return None


def decode_bytes(
    data: bytes,
    name: str,
    *,
    expected: str,
    encoding: str | None = None,
    error: type[GeoplanError] = DataReadError,
    codecs_to_try: tuple[str, ...] = FALLBACK_CODECS,
    noun: str = "file",
) -> tuple[str, str]:
    """Decode ``data`` and return ``(text, codec)``.

    Parameters
    ----------
    data
        The file's bytes.
    name
        How messages name the input, e.g. ``"plan file 计划.txt"``.
    expected
        What the input should be, appended to every message (``"expected CSV text"``).
    encoding
        A codec the caller was told; then only it is tried.
    error
        The exception class to raise (a :class:`~geoplan.GeoplanError`).
    codecs_to_try
        The cascade for bytes without a byte-order mark.
    noun
        What the input is in the fix (``"plan"``: "save the plan as UTF-8 text").

    Examples
    --------
    >>> decode_bytes("福道10公里".encode("gbk"), "demo", expected="text")
    ('福道10公里', 'gb18030')
    """
    if encoding is not None:
        try:
            return data.decode(encoding), encoding
        except LookupError as exc:
            raise error(
                f"unknown encoding {encoding!r} for {name}; use e.g. 'utf-8' or 'gbk'"
            ) from exc
        except UnicodeDecodeError as exc:
            raise error(
                f"{name} is not {encoding} text (byte {exc.start}); drop the encoding to "
                f"detect it, or pass the one it was saved in; {expected}"
            ) from exc
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec).lstrip("\ufeff"), codec
            except UnicodeDecodeError as exc:
                raise error(
                    f"{name} starts with a {codec} byte-order mark but is not valid {codec} "
                    f"at byte {exc.start}; {expected}"
                ) from exc
    if kind := binary_kind(data):
        raise error(f"{name} is {kind}, not text; {expected}")
    if b"\x00" in data[:4096]:
        text = _utf16_without_bom(data)
        if text is not None:
            logger.info("%s has no byte-order mark; decoded it as UTF-16", name)
            return text, "utf-16"
        raise error(
            f"{name} holds NUL bytes: it is a binary file or UTF-16 without a byte-order "
            f"mark; {expected}: save the {noun} as UTF-8 text (Notepad: Save As, Encoding UTF-8)"
        )
    for codec in codecs_to_try:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if codec == "gb18030" and "big5" in codecs_to_try:
            text, codec = _gb_or_big5(data, text)
        controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t\f")
        if controls > len(text) // 100:
            raise error(
                f"{name} has {controls} control characters in {len(text)}: it looks like a "
                f"binary file; {expected}"
            )
        if codec != "utf-8":
            logger.info("%s is not UTF-8; decoded it as %s", name, codec)
        return text, codec
    tried = ", ".join(c.upper() for c in codecs_to_try)
    raise error(f"{name} is not text in any of {tried}; {expected}")


def _utf16_without_bom(data: bytes) -> str | None:
    """Decode UTF-16 written without a byte-order mark, or return None.

    Some Windows tools save "Unicode" text without the mark. Chinese text in UTF-16 has NUL
    bytes only beside its ASCII characters (digits, punctuation, line breaks); it is taken
    as UTF-16 when one byte order decodes it with line breaks, no control characters and
    mostly Chinese characters, which bytes of a binary file do not.
    """
    if len(data) % 2:
        return None
    for codec in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        chars = [ch for ch in text if not ch.isspace()]
        cjk = sum(1 for ch in chars if "\u4e00" <= ch <= "\u9fff")
        controls = any(ord(ch) < 32 and ch not in "\r\n\t\f" for ch in text)
        if "\n" in text and not controls and chars and cjk >= len(chars) // 3:
            return text
    return None


def _gb_or_big5(data: bytes, gb_text: str) -> tuple[str, str]:
    """Choose between GB18030 and Big5 (traditional documents) for bytes valid in both.

    Read in the wrong one of the two, Chinese text loses its commonest characters and
    punctuation, so the reading that has more of them wins.
    """
    try:
        big5_text = data.decode("big5")
    except UnicodeDecodeError:
        return gb_text, "gb18030"

    def common(text: str) -> int:
        return sum(text.count(ch) for ch in "。，、的年和区區")

    return (big5_text, "big5") if common(big5_text) > common(gb_text) else (gb_text, "gb18030")
