"""The text encoding of a CSV file: UTF-8 (with or without BOM), GBK/GB18030 (what Chinese Windows Excel writes
by default) or UTF-16 (Excel's "Unicode text"); anything else, or a file mixing two encodings, is refused.

UTF-8 is tried first (a strict decode is exact and fast); other files go to charset-normalizer, the maintained
detector, and are accepted only as one of the encodings above.

>>> decode("单位,unit\\n".encode("gbk"))[1]
'gbk'
>>> decode(b"\\xef\\xbb\\xbfunit\\n")
('unit\\n', 'utf-8-sig')
"""

from __future__ import annotations

import codecs
import re

_GB = ("gbk", "gb18030")  # what Windows writes (cp936) first, then its superset
_UTF16 = ("utf_16", "utf_16_le", "utf_16_be", "utf_32", "utf_32_le", "utf_32_be")
_FAMILIAR = {"big5": "Big5 (traditional Chinese)", "cp950": "Big5 (traditional Chinese)",
             "big5hkscs": "Big5 (traditional Chinese)", "shift_jis": "Shift-JIS (Japanese)",
             "cp932": "Shift-JIS (Japanese)", "euc_kr": "EUC-KR (Korean)", "cp949": "EUC-KR (Korean)",
             "cp1252": "Windows-1252 (Western European)", "latin_1": "Latin-1 (Western European)"}
_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
SAVE_AS_UTF8 = ("save it as UTF-8: in Excel, 另存为 → CSV UTF-8 (逗号分隔) / Save As → CSV UTF-8 (comma delimited); "
                "in WPS or a text editor choose the UTF-8 encoding")
_MAGIC = {b"PK\x03\x04": "an Excel workbook (.xlsx) or another zip file",
          b"\xd0\xcf\x11\xe0": "an old Excel 97-2003 workbook (.xls) or a password-protected workbook",
          b"%PDF": "a PDF document", b"\x89PNG": "a PNG picture", b"\xff\xd8\xff": "a JPEG picture"}


class Undecodable(ValueError):
    """The bytes are not text in an accepted encoding; ``message``, ``fix`` and ``row`` say why and what to do."""

    def __init__(self, message: str, fix: str, row: int | None = None) -> None:
        super().__init__(message)
        self.message, self.fix, self.row = message, fix, row


def utf8_head(data: bytes, size: int) -> str | None:
    """The text of the first ``size`` bytes when the file looks like UTF-8 there (no other mark, no NUL byte),
    else None.  The reader then lets pandas decode the whole file, strictly, and calls ``decode`` only if that
    fails: a second full decode of a large file costs more than anything else the reader checks."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff", *_MAGIC)) or b"\x00" in data:
        return None
    try:
        return codecs.getincrementaldecoder("utf-8-sig")().decode(data[:size], final=size >= len(data))
    except UnicodeDecodeError:
        return None


def decode(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read in (a Python codec name).

    Raises ``Undecodable`` for a binary file, an unknown encoding or a mix of two encodings.
    """
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise Undecodable(f"the file is not text: it is {what} saved under a .csv name",
                              "save the table from Excel or WPS as CSV (另存为 → CSV UTF-8), or give the workbook "
                              "itself (an .xlsx file) instead of the folder")
    if data.startswith(b"\xef\xbb\xbf"):
        return _strict(data, "utf-8-sig"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _strict(data, "utf-16"), "utf-16"
    if b"\x00" not in data:
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError as exc:
            first_bad = exc.start
    else:
        first_bad = None
    return _detected(data, first_bad)


def _strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        row = data[:exc.start].count(b"\n") + 1
        raise Undecodable(f"the file starts with the mark of {encoding.upper()} text but is not valid "
                          f"{encoding.upper()} further on", SAVE_AS_UTF8, row=row) from None


def _detected(data: bytes, first_bad: int | None) -> tuple[str, str]:
    """A file that is not UTF-8: GB18030 (and its subsets) or UTF-16 as charset-normalizer finds it, or refused."""
    from charset_normalizer import from_bytes

    row = data[:first_bad].count(b"\n") + 1 if first_bad is not None else None
    mixed = _mixed(data) if first_bad is not None else None
    if mixed is not None:
        utf8, other = mixed
        raise Undecodable(f"the file mixes two encodings: line {utf8} is UTF-8 but line {other} is not (it may have "
                          "been pasted together from files saved differently)", SAVE_AS_UTF8, row=other)
    matches = from_bytes(data)
    names = {m.encoding for m in matches} | {c for m in matches for c in m.could_be_from_charset}
    best = matches.best()
    if best is not None and best.encoding in _UTF16 and b"\x00" in data:  # (a short GBK text can look like it)
        return str(best), best.encoding.replace("_", "-")
    if b"\x00" in data and best is None:
        raise Undecodable("the file is not text (it holds binary data)",
                          "give the CSV files of the tables, saved from Excel or WPS as CSV UTF-8")
    for codec in _GB:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        # charset-normalizer needs some text to be sure; a short file of common Chinese characters (GB2312, both
        # bytes of each from 0xA1) is GB, the mainland default, unless the detector says otherwise.
        if names & {*_GB, "gb2312"} or (_is_gb2312(data) and _mostly_cjk(text)):
            return text, codec
        break
    known = best is not None and best.encoding in _FAMILIAR
    guess = f"it looks like {_FAMILIAR[best.encoding]}" if known else "its encoding is unknown"
    raise Undecodable(f"the file is not UTF-8, GBK/GB18030 or UTF-16 text ({guess})", SAVE_AS_UTF8, row=row)


def _is_gb2312(data: bytes) -> bool:
    try:
        data.decode("gb2312")
    except UnicodeDecodeError:
        return False
    return True


def _mostly_cjk(text: str) -> bool:
    wide = [ch for ch in text if ord(ch) > 127]
    return bool(wide) and len(_CJK.findall("".join(wide))) >= 0.9 * len(wide)


def _mixed(data: bytes) -> tuple[int, int] | None:
    """(a UTF-8 line, a non-UTF-8 line), 1-based, when both hold Chinese text; else None.

    A line of GBK text is almost never valid UTF-8 holding CJK characters, so one such line beside lines that
    are not UTF-8 means two encodings.  Only lines with non-ASCII bytes are decoded.
    """
    utf8 = other = None
    for k, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            other = other or k
        else:
            if utf8 is None and _CJK.search(text):
                utf8 = k
        if utf8 and other:
            return utf8, other
    return None
