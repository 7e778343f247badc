"""Vector sets on disk: a safe word2vec reader for untrusted files, and the store in the data home.

Untrusted files (uploads, Hub downloads) are read only in the word2vec text or binary format,
by our own parser: gensim's `KeyedVectors.load` and `Word2Vec.load` unpickle, and a pickle can
run any code while it loads. Before a single vector is read, the header's count × dimensions is
checked against the file size (a lying header must not make us allocate gigabytes) and against
a memory budget. NaN and infinite values are refused.

A stored set is a folder vectors/<name>/ holding vectors.npy (read with allow_pickle=False),
words.json and meta.json; the built-in chiVe set also has aliases.json. Sets are written into a
hidden staging folder and renamed into place, so a crash never leaves half a set that looks whole.
"""
import json
import os
import re
import secrets
import shutil
from pathlib import Path

import numpy as np

from engine.core import paths
from engine.core.jsonio import clean_staged, read_json, staged_folder, write_json
from engine.core.messages import StudioError
from engine.core.names import check_name
from engine.core.runs import now_iso

FORMAT_VERSION = 1
BUILTIN_NAME = "chive"
MAX_DIM = 4096  # published word vectors have 50-1000 dimensions
MAX_COUNT = 5_000_000
MAX_WORD_BYTES = 1000  # a longer "word" means we are reading the wrong format
MAX_FILE_BYTES = 2 * 1024**3


def memory_budget_bytes() -> int:
    """Largest matrix we agree to hold; 1 GiB fits a free Space next to a small T5."""
    return int(float(os.environ.get("T5STUDIO_VECTORS_BUDGET_MB", "1024")) * 1024 * 1024)


# ---------------------------------------------------------------- reading word2vec files

# Magic bytes of formats that are (or wrap) pickles: pickle protocol 2+, zip (torch, npz), npy.
PICKLE_MAGIC = (b"\x80", b"PK\x03\x04", b"\x93NUMPY")
_HEADER = re.compile(rb"^\s*(\d+)\s+(\d+)\s*$")


class Word2VecFile:
    """What read_word2vec found: the words, the matrix, the format and any warnings."""

    def __init__(self, words, matrix, binary, warnings):
        self.words = words
        self.matrix = matrix
        self.binary = binary
        self.warnings = warnings


def read_word2vec(path, budget_bytes: int = None) -> Word2VecFile:
    """Read a word2vec text or binary file that nobody vouches for, or raise StudioError."""
    path = Path(path)
    size = path.stat().st_size
    budget = budget_bytes or memory_budget_bytes()
    if size > MAX_FILE_BYTES:
        raise StudioError("vectors.file_too_large", size_mb=f"{size / 1e6:.0f}", limit_mb=f"{MAX_FILE_BYTES / 1e6:.0f}")
    with open(path, "rb") as handle:
        head = handle.read(4096)
        count, dim, header_len = _parse_header(head)
        need = count * dim * 4
        if need > budget:
            raise StudioError("vectors.over_budget", count=count, dim=dim,
                              need_mb=f"{need / 2**20:.0f}", limit_mb=f"{budget / 2**20:.0f}")
        handle.seek(header_len)
        binary = not _looks_like_text(handle.read(dim * 32 + MAX_WORD_BYTES), dim)
        # Smallest honest file: every row has a 1-byte word and a separator, then dim values of
        # 4 bytes (binary) or at least 2 characters each ("0 ") in text.
        smallest = header_len + count * (2 + dim * (4 if binary else 2))
        largest = header_len + count * (2 + MAX_WORD_BYTES + dim * 4) if binary else MAX_FILE_BYTES
        if not smallest - 1 <= size <= largest:
            raise StudioError("vectors.header_mismatch", count=count, dim=dim, size=size)
        handle.seek(header_len)
        reader = _read_binary if binary else _read_text
        words, matrix = reader(handle, count, dim)
    return _clean(words, matrix, binary)


def _parse_header(head: bytes) -> tuple:
    if head.startswith(PICKLE_MAGIC):
        raise StudioError("vectors.pickle_refused")
    bom = 3 if head.startswith(b"\xef\xbb\xbf") else 0  # Notepad saves UTF-8 with a BOM
    line, newline, _ = head[bom:].partition(b"\n")
    match = _HEADER.match(line) if newline else None
    if not match:
        if b"(" in head[:2] or head[:1] in (b"c", b"]", b"}"):  # protocol 0/1 pickles start so
            raise StudioError("vectors.pickle_refused")
        raise StudioError("vectors.not_word2vec")
    count, dim = int(match.group(1)), int(match.group(2))
    if not (1 <= count <= MAX_COUNT and 1 <= dim <= MAX_DIM):
        raise StudioError("vectors.bad_header_numbers", count=count, dim=dim, max_count=MAX_COUNT, max_dim=MAX_DIM)
    return count, dim, bom + len(line) + 1


def _looks_like_text(sample: bytes, dim: int) -> bool:
    """True when the first row reads as `word v1 … v_dim` text; binary rows never do."""
    line = sample.lstrip(b"\n").split(b"\n", 1)[0]
    try:
        parts = line.decode("utf-8").split()
        np.asarray(parts[1:], dtype=np.float32)
    except (UnicodeDecodeError, ValueError):
        return False
    return len(parts) == dim + 1


def _read_text(handle, count: int, dim: int) -> tuple:
    words = []
    matrix = np.empty((count, dim), dtype=np.float32)
    for raw in handle:
        if len(words) == count:
            if raw.strip():
                raise StudioError("vectors.extra_rows", count=count)
            continue
        if not raw.strip():
            continue  # blank lines carry nothing; tolerated, as gensim does
        row = len(words) + 1
        try:
            parts = raw.decode("utf-8").split()
        except UnicodeDecodeError:
            raise StudioError("vectors.bad_word", row=row) from None
        if len(parts) != dim + 1:
            raise StudioError("vectors.bad_row", row=row, found=len(parts) - 1, expected=dim)
        try:
            with np.errstate(over="ignore"):  # 1e39 becomes inf here and is refused with the NaNs
                matrix[len(words)] = np.asarray(parts[1:], dtype=np.float32)
        except ValueError:
            bad = next((p for p in parts[1:] if not _is_number(p)), "?")
            raise StudioError("vectors.bad_value", row=row, value=bad[:20]) from None
        words.append(_check_word(parts[0], row))
    if len(words) < count:
        raise StudioError("vectors.too_few_rows", count=count, found=len(words))
    return words, matrix


def _read_binary(handle, count: int, dim: int) -> tuple:
    data = handle.read()  # bounded: the size was checked against the header above
    row_bytes = dim * 4
    words = []
    matrix = np.empty((count, dim), dtype=np.float32)
    pos = 0
    for i in range(count):
        while pos < len(data) and data[pos] in b"\n ":
            pos += 1  # the C tool ends each row with "\n"; gensim does not
        space = data.find(b" ", pos, pos + MAX_WORD_BYTES + 1)
        if pos >= len(data):
            raise StudioError("vectors.too_few_rows", count=count, found=i)
        if space < 0:
            raise StudioError("vectors.bad_word", row=i + 1)
        try:
            word = data[pos:space].decode("utf-8")
        except UnicodeDecodeError:
            raise StudioError("vectors.bad_word", row=i + 1) from None
        start = space + 1
        if start + row_bytes > len(data):
            raise StudioError("vectors.too_few_rows", count=count, found=i)
        matrix[i] = np.frombuffer(data, dtype="<f4", count=dim, offset=start)
        words.append(_check_word(word, i + 1))
        pos = start + row_bytes
    if data[pos:].strip(b"\n "):
        raise StudioError("vectors.extra_rows", count=count)
    return words, matrix


def _check_word(word: str, row: int) -> str:
    if not word or len(word.encode("utf-8")) > MAX_WORD_BYTES or not word.isprintable():
        raise StudioError("vectors.bad_word", row=row)
    return word


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _clean(words: list, matrix: np.ndarray, binary: bool) -> Word2VecFile:
    """Refuse NaN/Inf; drop duplicate words and all-zero rows, which cosine cannot use."""
    finite = np.isfinite(matrix).all(axis=1)
    if not finite.all():
        raise StudioError("vectors.not_finite", word=words[int(np.argmin(finite))])
    warnings = []
    keep, seen = [], set()
    nonzero = np.any(matrix != 0, axis=1)
    duplicates = 0
    for i, word in enumerate(words):
        if word in seen:
            duplicates += 1
        elif nonzero[i]:
            seen.add(word)
            keep.append(i)
    zero = int((~nonzero).sum())
    if not keep:
        raise StudioError("vectors.all_zero")
    if duplicates:
        warnings.append(("vectors.dropped_duplicates", {"count": duplicates}))
    if zero:
        warnings.append(("vectors.dropped_zero", {"count": zero}))
    if len(keep) < len(words):
        words = [words[i] for i in keep]
        matrix = matrix[keep]
    return Word2VecFile(words, matrix, binary, warnings)


# ---------------------------------------------------------------- the store in the data home


def sets_root() -> Path:
    return paths.vectors_dir()


def set_folder(name: str) -> Path:
    if name == BUILTIN_NAME:
        return sets_root() / BUILTIN_NAME
    return sets_root() / check_name(name)


def is_complete(folder: Path) -> bool:
    return all((folder / f).exists() for f in ("meta.json", "words.json", "vectors.npy"))


def list_sets() -> list:
    """meta.json of every complete stored set (the chiVe cache included), oldest first."""
    found = []
    for folder in sorted(sets_root().iterdir()):
        if folder.name.startswith(".") or not folder.is_dir() or not is_complete(folder):
            continue
        meta = read_json(folder / "meta.json") or {}
        meta["name"] = folder.name
        found.append(meta)
    return sorted(found, key=lambda m: m.get("created", ""))


def check_new_name(name: str) -> str:
    name = check_name(name)
    if name.lower() == BUILTIN_NAME:
        raise StudioError("vectors.source_reserved", name=name)
    if (sets_root() / name).exists():
        raise StudioError("vectors.source_exists", name=name)
    return name


def staging(name: str, replace: bool = False):
    """Yield an empty hidden folder that becomes vectors/<name> on normal exit, or vanishes on error."""
    return staged_folder(sets_root(), name, StudioError("vectors.source_exists", name=name), replace=replace)


def write_set(folder: Path, words: list, matrix: np.ndarray, meta: dict, aliases: dict = None) -> dict:
    """Write one set's files into `folder` (a staging folder); returns the meta written."""
    meta = {"format": FORMAT_VERSION, "created": now_iso(), "count": len(words), "dim": int(matrix.shape[1]), **meta}
    np.save(folder / "vectors.npy", np.ascontiguousarray(matrix, dtype=np.float32), allow_pickle=False)
    (folder / "words.json").write_text(json.dumps(words, ensure_ascii=False), encoding="utf-8")
    if aliases is not None:
        (folder / "aliases.json").write_text(json.dumps(aliases, ensure_ascii=False), encoding="utf-8")
    write_json(folder / "meta.json", meta)
    return meta


def save_set(name: str, words: list, matrix: np.ndarray, meta: dict) -> dict:
    """Store a new user set atomically under a fresh name; returns its meta."""
    name = check_new_name(name)
    with staging(name) as tmp:
        written = write_set(tmp, words, matrix, meta)
    return {**written, "name": name}


def read_set(folder: Path) -> tuple:
    """(words, matrix, meta) of a stored set; never unpickles."""
    meta = read_json(folder / "meta.json") or {}
    words = json.loads((folder / "words.json").read_text(encoding="utf-8"))
    matrix = np.load(folder / "vectors.npy", allow_pickle=False)
    return words, matrix, meta


def read_aliases(folder: Path) -> dict:
    return read_json(folder / "aliases.json", {}) or {}


def delete_set(name: str) -> None:
    folder = set_folder(name)
    if name == BUILTIN_NAME or not folder.exists():
        raise StudioError("vectors.source_not_found", name=name)
    trash = sets_root() / f".deleting-{name}-{secrets.token_hex(4)}"
    os.replace(folder, trash)
    shutil.rmtree(trash, ignore_errors=True)


def clean_staging() -> int:
    return clean_staged(sets_root())
