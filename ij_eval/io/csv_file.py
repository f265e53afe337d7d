"""Check a CSV file's bytes and records before polars reads it, so that nothing is read silently wrong.

Two streaming passes, each holding at most a line or a field in memory:

1. :func:`detect_encoding` reads the bytes 1 MiB at a time (C-speed searches, no per-row Python):
   UTF-16 and UTF-32 are named as such (by their byte-order mark, or by the NUL bytes every other
   byte of ASCII text carries in them); NUL bytes are refused; the text must be UTF-8 (with or
   without a byte-order mark) or Windows-1252. Windows-1252 is accepted only for a file that holds
   no valid multi-byte UTF-8 sequence: a file that has both (a UTF-8 export with one stray byte, two
   exports joined) is refused as mixed, naming the row of the first byte that is not UTF-8, rather
   than decoded whole as Windows-1252 ("CafÃ©"). A carriage return not followed by a line feed
   (old Mac line endings) and a line longer than :data:`MAX_LINE_BYTES` are refused too.
2. :func:`check_records` parses the records with Python's csv module in strict quoting mode: the
   header (which must be on row 1 and separated by commas), the number of fields of every record, a
   quote that never closes, a stray quote after a closing one, and fields longer than
   :data:`MAX_FIELD_CHARS` (Python's own limit of 131,072 characters is raised to it, and restored).

Rows are records as a spreadsheet shows them: the header is row 1, and a record whose quoted text
spans several lines is one row.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ij_eval.errors import InputError, Problem

Encoding = Literal["utf-8", "cp1252"]
MAX_FIELD_CHARS = 1 << 20  # 1,048,576 characters: far above any text an input table holds
MAX_LINE_BYTES = 8 << 20  # one physical line; a longer one is not a table's record
_CHUNK = 1 << 20
_SHOW = 5
_SAVE_AS_UTF8 = "open it in Excel and save it as \"CSV UTF-8 (Comma delimited)\""
_BARE_CR = re.compile(rb"\r(?!\n)")
_OTHER_DELIMITERS = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}


def _problem(table: str, path: Path, rule: str, row: int | None = None, value: str | None = None,
             hint: str = "") -> InputError:
    return InputError(Problem("error", table, path.name, "", rule, n_rows=1 if row else 0,
                              rows=(row,) if row else (), values=(value,) if value is not None else (),
                              hint=hint))


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            yield chunk


def _wide_encoding(head: bytes) -> str | None:
    """``UTF-16 LE`` etc. when the first bytes are a UTF-16/32 byte-order mark or look like UTF-16."""
    for bom, name in ((codecs.BOM_UTF32_LE, "UTF-32 LE"), (codecs.BOM_UTF32_BE, "UTF-32 BE"),
                      (codecs.BOM_UTF16_LE, "UTF-16 LE"), (codecs.BOM_UTF16_BE, "UTF-16 BE")):
        if head.startswith(bom):
            return name
    sample = head[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    # ASCII text in UTF-16 has a NUL in every other byte: the high byte of each character.
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "UTF-16 LE"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "UTF-16 BE"
    return None


def row_at(path: Path, offset: int) -> int:
    """The row (record; header = row 1) that holds byte ``offset`` of the file.

    Counts line feeds up to the byte; where quotes came before it, counts records with the csv
    module instead (a quoted field may hold line breaks). Bytes are read as Latin-1, which maps
    every byte, so a bad byte cannot stop the count.
    """
    newlines, quoted, seen = 0, False, 0
    for chunk in _chunks(path):
        part = chunk[: max(0, offset - seen)]
        newlines += part.count(b"\n")
        quoted = quoted or b'"' in part
        seen += len(chunk)
        if seen >= offset:
            break
    if not quoted:
        return newlines + 1

    def prefix_lines() -> Iterator[str]:
        left = offset
        with path.open("rb") as fh:
            while line := fh.readline(left):
                if len(line) >= left:
                    yield line[:left].decode("latin-1") + "x"  # the byte's own record is never empty
                    return
                left -= len(line)
                yield line.decode("latin-1")

    with field_limit(MAX_LINE_BYTES):
        return sum(1 for _ in csv.reader(prefix_lines()))


def _context(path: Path, offset: int) -> str:
    """The text of its line around byte ``offset``, with bytes that are not UTF-8 shown as ``\\xNN``."""
    start = max(0, offset - 24)
    with path.open("rb") as fh:
        fh.seek(start)
        raw = fh.read(offset - start + 24)
    before, after = raw[: offset - start], raw[offset - start:]
    before = before[before.rfind(b"\n") + 1:]
    ends = [i for i in (after.find(b"\n", 1), after.find(b"\r", 1)) if i > 0]
    after = after[: min(ends)] if ends else after
    return (before + after).decode("utf-8", errors="backslashreplace").replace("\x00", "\\x00").replace("\r", "\\r")


def _has_multibyte(path: Path) -> bool:
    """Whether the file holds a valid multi-byte UTF-8 sequence, whatever else it holds.

    Decoding with ``surrogateescape`` turns each byte that is not UTF-8 into one character and each
    valid sequence of n bytes into one: the text is shorter than the bytes exactly when there is one.
    """
    decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
    chars = size = 0
    for chunk in _chunks(path):
        chars += len(decoder.decode(chunk))
        size += len(chunk)
    return chars + len(decoder.decode(b"", final=True)) < size


@dataclass
class _Scan:
    """First offsets of each kind of problem in one pass over the bytes."""

    size: int = 0
    nul: int | None = None
    not_utf8: int | None = None
    bare_cr: int | None = None
    long_line: int | None = None
    newline: bool = False


def _scan(path: Path) -> _Scan:
    scan = _Scan()
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset, run, pending_cr = 0, 0, False
    for chunk in _chunks(path):
        if scan.nul is None and (i := chunk.find(b"\x00")) >= 0:
            scan.nul = offset + i
            break
        if scan.not_utf8 is None:
            buffered = len(decoder.getstate()[0])
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                scan.not_utf8 = offset - buffered + exc.start
        if scan.bare_cr is None:
            if pending_cr and not chunk.startswith(b"\n"):
                scan.bare_cr = offset - 1
            else:
                body = chunk[:-1] if chunk.endswith(b"\r") else chunk
                if body.count(b"\r") != body.count(b"\r\n"):
                    scan.bare_cr = offset + _BARE_CR.search(body).start()
            pending_cr = chunk.endswith(b"\r")
        first = chunk.find(b"\n")
        if first < 0:
            run += len(chunk)
        else:
            scan.newline = True
            if run + first > MAX_LINE_BYTES and scan.long_line is None:
                scan.long_line = offset - run
            run = len(chunk) - chunk.rfind(b"\n") - 1
        if run > MAX_LINE_BYTES and scan.long_line is None:
            scan.long_line = offset + len(chunk) - run
        offset += len(chunk)
    scan.size = offset
    if scan.nul is None:
        if pending_cr and scan.bare_cr is None:
            scan.bare_cr = offset - 1
        if scan.not_utf8 is None:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:  # a multi-byte sequence cut off by the end of the file
                scan.not_utf8 = offset - len(decoder.getstate()[0])
    return scan


def detect_encoding(path: Path, table: str) -> Encoding:
    """``utf-8`` (BOM allowed) or ``cp1252``; raise :class:`InputError` for anything read wrongly otherwise."""
    with path.open("rb") as fh:
        head = fh.read(4096)
    wide = _wide_encoding(head)
    if wide:
        raise _problem(table, path, f"file is {wide} text (Unicode text), not UTF-8",
                       hint=f"{_SAVE_AS_UTF8}; Excel's \"Unicode Text\" format is UTF-16 and cannot be read")
    scan = _scan(path)
    if scan.nul is not None:
        raise _problem(table, path, "file holds a NUL byte (not text: a binary, corrupt or UTF-16 file)",
                       row_at(path, scan.nul), _context(path, scan.nul),
                       hint=f"export the table again: {_SAVE_AS_UTF8}")
    encoding: Encoding = "utf-8"
    found: list[tuple[int, str, str, str]] = []  # (offset, rule, value, hint): the earliest is reported
    if scan.not_utf8 is not None:
        bad = scan.not_utf8
        if _has_multibyte(path):
            found.append((bad, "mixed encodings: the file is UTF-8 text but has bytes that are not UTF-8",
                          _context(path, bad),
                          f"the first is byte {bad} of the file (shown as \\x..); the file was probably joined "
                          "from two exports or edited in another program. Fix the characters on that row and "
                          + _SAVE_AS_UTF8.removeprefix("open it in Excel and ")))
        elif (at := _not_cp1252(path)) is not None:
            found.append((at, "file is neither UTF-8 nor Windows-1252 text", _context(path, at),
                          f"{_SAVE_AS_UTF8} (byte {at} of the file, shown as \\x.., is not a character in either "
                          "encoding)"))
        else:
            encoding = "cp1252"
    if scan.bare_cr is not None:
        old_mac = not scan.newline
        found.append((scan.bare_cr,
                      "lines end in a bare carriage return (old Mac line endings)" if old_mac
                      else "a carriage return without a line feed (a broken line ending, or a line break inside "
                           "a cell)", None,
                      f"{_SAVE_AS_UTF8}, which ends lines with CR LF" if old_mac
                      else "remove line breaks inside cells, then "
                           + _SAVE_AS_UTF8.removeprefix("open it in Excel and ")))
    if scan.long_line is not None:
        found.append((scan.long_line, f"a line longer than {MAX_LINE_BYTES:,} bytes (not a record of a table)", None,
                      "check that the file is the table's export and that its lines end with line breaks"))
    if found:
        at, rule, value, hint = min(found, key=lambda f: f[0])
        raise _problem(table, path, rule, row_at(path, at), value, hint=hint)
    return encoding


def _not_cp1252(path: Path) -> int | None:
    """The offset of the first byte Windows-1252 does not define (0x81, 0x8D, 0x8F, 0x90, 0x9D), if any."""
    decoder = codecs.getincrementaldecoder("cp1252")()
    offset = 0
    for chunk in _chunks(path):
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            return offset + exc.start
        offset += len(chunk)
    return None


@contextlib.contextmanager
def field_limit(limit: int) -> Iterator[None]:
    """Raise the csv module's process-wide field size limit for the duration, then restore it."""
    old = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(old)


@dataclass(frozen=True)
class CsvShape:
    """What the csv module read: the header as written and the number of records after it."""

    header: tuple[str, ...]
    records: int


def _title_row_hint(records: list[list[str]], required: tuple[str, ...], normalise) -> int | None:
    """The row (2..10) whose fields hold every required column, if the header row does not."""
    want = set(required)
    for row, record in enumerate(records, start=1):
        if want <= {normalise(f) for f in record}:
            return row
    return None


def check_records(path: Path, encoding: Encoding, table: str, *, required: tuple[str, ...] = (),
                  normalise=lambda s: s) -> CsvShape:
    """Parse every record (strict quoting); raise :class:`InputError` for the first structural problem.

    ``required`` (normalised by ``normalise``) lets a header below row 1 be recognised and named.
    """
    text_encoding = "utf-8-sig" if encoding == "utf-8" else "cp1252"
    row = 0
    bad: list[tuple[int, int]] = []
    n_bad = 0
    with field_limit(MAX_FIELD_CHARS), path.open("r", encoding=text_encoding, newline="") as fh:
        reader = csv.reader(fh, strict=True)
        try:
            header = next(reader, None)
            if header is None:
                raise _problem(table, path, "file is empty (no header row)",
                               hint="export the table again with its header row and data")
            row = 1
            if len(header) == 1:
                for delimiter, name in _OTHER_DELIMITERS.items():
                    if delimiter in header[0]:
                        raise _problem(table, path, f"fields are separated by {name}, not commas", 1,
                                       header[0][:60],
                                       hint=f"{_SAVE_AS_UTF8} (Excel set to a European locale writes semicolons)")
            if required and not set(required) <= {normalise(h) for h in header}:
                head = [header]
                for record in reader:
                    head.append(record)
                    if len(head) == 10:
                        break
                found = _title_row_hint(head, required, normalise)
                if found and found > 1:
                    raise _problem(table, path, f"the header is not on row 1: row {found} holds the table's "
                                   "columns", found, ", ".join(head[found - 1])[:60],
                                   hint="delete the rows above the header: a CSV file starts with its header row")
                records: Iterator[list[str]] = iter(head[1:])
            else:
                records = iter(())
            width = len(header)
            for source in (records, reader):
                for record in source:
                    row += 1
                    if record and len(record) != width:
                        n_bad += 1
                        if len(bad) < _SHOW:
                            bad.append((row, len(record)))
        except csv.Error as exc:
            raise _record_error(path, table, str(exc), row + 1) from None
    if n_bad:
        raise InputError(Problem(
            "error", table, path.name, "", f"row does not have the {width} fields of the header",
            n_rows=n_bad, rows=tuple(r for r, _ in bad), values=tuple(f"{n} fields" for _, n in bad),
            hint="check for unquoted commas in text, or missing trailing fields",
        ))
    return CsvShape(tuple(header), row - 1)


def _record_error(path: Path, table: str, message: str, row: int) -> InputError:
    if "field larger than field limit" in message:
        return _problem(table, path, f"a field longer than {MAX_FIELD_CHARS:,} characters", row,
                        hint="no cell of an input table holds this much text: check for a quote that never closes, "
                             "or text pasted by mistake")
    if "unexpected end of data" in message:
        return _problem(table, path, "a quoted field that starts on this row is never closed (its quote runs to "
                        "the end of the file)", row,
                        hint='check for a stray " in the text; a quote inside a quoted field is written twice ("")')
    if "expected after" in message:
        return _problem(table, path, "a quote inside a field is not doubled (text follows a closing quote)", row,
                        hint='a field with a quote in it is quoted and the quote written twice: "say ""hello"""')
    return _problem(table, path, f"not a readable CSV file: {message}", row,
                    hint="check that every row has the same number of fields as the header")


def find_stray_quote(path: Path, encoding: Encoding) -> int | None:
    """The row of the first quote inside an unquoted field (polars refuses what csv accepts), if any.

    Used only after polars has failed to read the file, to say where.
    """
    text_encoding = "utf-8-sig" if encoding == "utf-8" else "cp1252"
    row, in_quotes = 1, False
    with path.open("r", encoding=text_encoding, newline="") as fh:
        for line in fh:
            if '"' in line:
                at_start, i = True, 0
                while i < len(line):
                    ch = line[i]
                    if in_quotes:
                        if ch == '"':
                            if line[i + 1:i + 2] == '"':
                                i += 1
                            else:
                                in_quotes = False
                    elif ch == '"':
                        if not at_start:
                            return row
                        in_quotes = True
                    at_start = ch == ","
                    i += 1
            if not in_quotes:
                row += 1
    return None
