"""Reading the CSV files people upload, and writing the ones they download.

Japanese CSVs arrive as UTF-8, UTF-8 with BOM, UTF-16 (Excel's "Unicode text") or cp932
(Excel's "CSV"). Charset detectors guess wrong on short cp932 files, so we decode in a fixed
order and refuse clearly when nothing fits.
"""
import csv
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from engine.core.messages import StudioError, text

MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # a class's word lists are far smaller; this stops abuse
MAX_CELL_CHARS = 2000  # longer cells are almost surely a wrong file or wrong column
MAX_COLUMNS = 100  # a word list has a few; thousands would each become a choice in the column pickers
# The csv module refuses fields over 131,072 characters with a bare error; a field can be as long
# as the file (the role columns' own limit, MAX_CELL_CHARS, then answers with a message).
csv.field_size_limit(MAX_UPLOAD_BYTES)
ENCODINGS_TRIED = "UTF-8 (BOM付き/なし), UTF-16, cp932 (Shift_JIS)"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Column names we recognise without asking, as fold() writes them.
COLUMN_ALIASES = {
    "Input": ("input", "english", "en", "source", "src", "word", "words", "入力", "英語", "英単語", "単語"),
    "Output": ("output", "japanese", "ja", "target", "tgt", "wrong", "出力", "日本語", "誤訳", "意味", "訳", "和訳",
               "日本語訳"),
    "Correct": ("correct", "answer", "answers", "reference", "正解", "正しい訳", "正訳", "答え", "解答"),
}
# A teacher's word list names its answer column in words (日本語, 意味); "Output" or "誤訳" in a training
# file is what a model is taught to write, often a wrong translation, so it is never taken for the answer.
ANSWER_WORDS = ("japanese", "ja", "日本語", "意味", "訳", "和訳", "日本語訳")


@dataclass
class Table:
    """A decoded CSV: every cell a string, plus what we noticed while reading it."""

    frame: pd.DataFrame
    encoding: str
    sha256: str
    warnings: list = field(default_factory=list)
    lines: list = field(default_factory=list)  # the file's line (Excel's row number) of each frame row

    @property
    def columns(self) -> list:
        return list(self.frame.columns)

    def notes(self) -> list:
        """What we noticed while reading it (rows skipped, ragged lines), in the reader's words."""
        return [text(key, **params) for key, params in self.warnings]


def decode_bytes(data: bytes) -> tuple:
    """Return (text, encoding name) or raise StudioError naming the encodings tried."""
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "cp932"]
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break  # decodes, but NUL characters mean a binary file
        return text, encoding
    raise StudioError("csv.undecodable", tried=ENCODINGS_TRIED)


def read_table(path, max_bytes: int = MAX_UPLOAD_BYTES) -> Table:
    """Read an uploaded CSV into a Table of strings, or raise StudioError."""
    path = Path(path)
    size = path.stat().st_size
    if size > max_bytes:
        # MB counted as 2**20 bytes, as the limit is written, so "20 MB" and 20 * 1024 * 1024 agree.
        raise StudioError("csv.too_large", size_mb=f"{size / 2**20:.1f}", limit_mb=f"{max_bytes / 2**20:.0f}")
    data = path.read_bytes()
    return parse_table(data)


def parse_table(data: bytes) -> Table:
    if not data.strip():
        raise StudioError("csv.empty")
    text, encoding = decode_bytes(data)
    rows = _records(text)
    if not rows:
        raise StudioError("csv.empty")
    header = [name.strip() for name in rows[0][1]]
    if len(set(header)) != len(header) or any(not name for name in header):
        raise StudioError("csv.bad_header", header=", ".join(header))
    warnings = []
    body = []
    for line_no, row in rows[1:]:
        if len(row) != len(header):
            warnings.append(("csv.ragged_row", {"row": line_no, "found": len(row), "expected": len(header)}))
            row = (row + [""] * len(header))[: len(header)]
        body.append([cell.strip() for cell in row])
    frame = pd.DataFrame(body, columns=header, dtype="string").fillna("")
    return Table(frame=frame, encoding=encoding, sha256=hashlib.sha256(data).hexdigest(), warnings=warnings,
                 lines=[line for line, _ in rows[1:]])


def _records(text: str) -> list:
    """(line where it starts, cells) of each non-blank record of a CSV text, the line counted as a
    spreadsheet numbers its rows; the header's width is checked before the rest is read."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    rows, start, last_start = [], 1, 1
    for row in reader:
        if any(cell.strip() for cell in row):
            if not rows and len(row) > MAX_COLUMNS:
                raise StudioError("csv.too_many_columns", count=len(row), limit=MAX_COLUMNS)
            rows.append((start, row))
            last_start = start
        start = reader.line_num + 1
    if rows and _ends_inside_quotes(text, last_start):
        raise StudioError("csv.unclosed_quote", line=last_start)
    return rows


LINE_END = re.compile(r"\r\n|\r|\n")  # what the csv module counts as a line end


def _ends_inside_quotes(text: str, line: int) -> bool:
    """Whether the record starting on `line` runs to the end of the file inside an opened quote.

    The lenient reader takes the rest of the file as one cell; the strict one says so."""
    ends = [m.end() for m in LINE_END.finditer(text)]
    rest = text[ends[line - 2]:] if line >= 2 else text
    try:
        for _ in csv.reader(io.StringIO(rest, newline=""), strict=True):
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


def fold(name: str) -> str:
    """A column name as it is compared: width and case folded (Ｅｎｇｌｉｓｈ, ENGLISH and english are one)."""
    return unicodedata.normalize("NFKC", name).strip().casefold()


def guess_column(columns: list, role: str, taken=()):
    """The column that most likely plays `role` (Input, Output, Correct), or None; `taken` columns
    already play another role."""
    aliases = COLUMN_ALIASES[role]
    for name in columns:
        if fold(name) in aliases and name not in taken:
            return name
    return None


def answer_columns(columns: list, taken=()) -> list:
    """The columns that could hold a word list's answers: those named as answers (正解, Correct) or,
    when there is none, those named as Japanese (日本語, 意味). More than one: the user should choose."""
    free = [name for name in columns if name not in taken]
    named = [name for name in free if fold(name) in COLUMN_ALIASES["Correct"]]
    return named or [name for name in free if fold(name) in ANSWER_WORDS]


JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def word_list_columns(columns: list, input_column: str = None, answer_column: str = None) -> dict:
    """{"Input": English column, "Correct": answer column or "", "candidates": every column that could
    be the answer} of a word list — the user's choices where given (None: guess it from the names; ""
    as the answer column: none), else guessed (English, 英単語 / 正解, 日本語, 意味)."""
    english = input_column or guess_column(columns, "Input")
    if answer_column is None:
        candidates = answer_columns(columns, taken=[english])
        return {"Input": english, "Correct": candidates[0] if candidates else "", "candidates": candidates}
    return {"Input": english, "Correct": answer_column, "candidates": [answer_column] if answer_column else []}


def select_word_list(table: Table, columns: dict, choosable: bool = False) -> pd.DataFrame:
    """The rows of a word list by word_list_columns' choice: Input, and Correct when there is one
    (choosable: as select_columns, the page offers column pickers)."""
    mapping = {"Input": columns["Input"]} | ({"Correct": columns["Correct"]} if columns["Correct"] else {})
    return select_columns(table, mapping, required=("Input",), choosable=choosable)


def looks_headerless(columns: list) -> bool:
    """Whether line 1 is most likely data (station, 駅): no name we know, and Japanese text in it (a
    mistyped English header, Inptu, gets the message that names the role instead)."""
    known = {alias for aliases in COLUMN_ALIASES.values() for alias in aliases}
    return not any(fold(name) in known for name in columns) and any(JAPANESE.search(name) for name in columns)


def select_columns(table: Table, mapping: dict, required: tuple = ("Input", "Output"),
                   choosable: bool = False) -> pd.DataFrame:
    """Rename the user's columns to our roles and check every row.

    mapping: {"Input": "English", "Output": "Japanese", ...}; a role left out is guessed.
    choosable: the caller lets the user choose the columns (the Train tab's pickers, a CLI option),
    so a missing column's message may suggest that; elsewhere it only says to rename the column.
    Raises StudioError listing every problem, so the user can fix them all at once.
    """
    from engine.core.messages import raise_all

    roles = required + tuple(r for r in mapping if r not in required)
    given = {role: mapping[role] for role in roles if mapping.get(role)}
    if len(set(given.values())) != len(given):
        raise StudioError("csv.same_column_twice")
    errors = []
    chosen = {}
    for role in roles:
        # A guess never takes a column the user gave another role (Input, Correct: Correct is not Output).
        name = given.get(role) or guess_column(table.columns, role, taken=[*given.values(), *chosen.values()])
        if role in given and name not in table.columns:  # a column the user named: never ignored
            errors.append(StudioError("csv.no_such_column", name=name, columns=", ".join(table.columns)))
            continue
        if name is None:
            if role in required:
                errors.append(_missing(table.columns, role, choosable))
            continue
        chosen[role] = name
    if errors and looks_headerless(table.columns):
        raise StudioError("csv.no_header", first=", ".join(table.columns))
    raise_all(errors)
    frame = table.frame[list(chosen.values())].copy()
    frame.columns = list(chosen)
    if frame.empty:
        raise StudioError("csv.header_only")
    frame, skipped = _without_blank_rows(frame, required, table.lines)
    if frame.empty:  # every row lacks a required cell: nothing to use
        raise StudioError("csv.blank_cells", role=", ".join(required), rows=_row_list(skipped))
    if skipped:
        table.warnings.append(("csv.skipped_blank", {"rows": _row_list(skipped), "count": len(skipped)}))
    lines = [table.lines[i] for i in frame.index] if table.lines else [i + 2 for i in frame.index]
    for role in required:
        long_rows = [line for line, value in zip(lines, frame[role]) if len(value) > MAX_CELL_CHARS]
        if long_rows:
            errors.append(StudioError("csv.cell_too_long", role=role, rows=_row_list(long_rows), limit=MAX_CELL_CHARS))
    raise_all(errors)
    return frame.reset_index(drop=True)


def _missing(columns: list, role: str, choosable: bool) -> StudioError:
    key = "csv.missing_column_choose" if choosable else "csv.missing_column"
    return StudioError(key, role=role, columns=", ".join(columns))


def _without_blank_rows(frame: pd.DataFrame, required: tuple, lines: list) -> tuple:
    """The rows whose required cells all have text, and the spreadsheet row numbers of the others
    (a teacher's list often has a row still to fill in; the rest of the file is still good)."""
    full = frame[list(required)].apply(lambda column: column.str.len() > 0).all(axis=1)
    skipped = [lines[i] if lines else i + 2 for i in frame.index[~full]]
    return frame[full], skipped


def _row_list(rows: list, shown: int = 10) -> str:
    more = text("csv.more_rows", count=len(rows) - shown) if len(rows) > shown else ""
    return ", ".join(str(r) for r in rows[:shown]) + more


def load_pairs(path, mapping: dict = None, required: tuple = ("Input", "Output"), choosable: bool = False) -> tuple:
    """Read and check a CSV in one call: (frame with role columns, Table)."""
    table = read_table(path)
    return select_columns(table, mapping or {}, required, choosable), table


def escape_formula(value):
    """Prefix cells Excel would run as a formula (= + - @) with a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_download(frame: pd.DataFrame, path) -> Path:
    """Write a CSV for people to open in Excel: UTF-8 with BOM, formula cells escaped."""
    path = Path(path)
    safe = frame.copy()
    safe.columns = [escape_formula(str(c)) for c in safe.columns]
    for column in safe.columns:
        safe[column] = safe[column].map(escape_formula)
    safe.to_csv(path, index=False, encoding="utf-8-sig")
    return path
