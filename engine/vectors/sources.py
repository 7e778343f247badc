"""Word-vector sources: chiVe (built in) and the sets people add, loaded once and shared.

Every function takes `source` as a name or an already loaded VectorSet:
    list_sources() -> list[dict]                      name, kind, count, dim, credit, created
    load_vectors(source="chive") -> VectorSet         KeyedVectors-like (attributes fall through
                                                      to gensim KeyedVectors), plus .resolve()
    import_word2vec(path, name, kind="upload", origin="", owner="") -> dict   the new set's meta
    delete_source(name) -> None

Sets are stored under <data home>/vectors/<name>/ (engine.vectors.sets): an uploaded word2vec
file (import_word2vec), vectors trained on a corpus (engine.vectors.training) or a file from the
Hub (engine.vectors.hub). chiVe comes from the ja-ginza package (engine.vectors.chive).
"""
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from gensim.models import KeyedVectors

from engine.core import runs
from engine.core.messages import StudioError, listing, text
from engine.models import storage
from engine.vectors import chive, sets
from engine.words import japanese

DEFAULT_SOURCE = sets.BUILTIN_NAME
SUGGESTIONS = 5
FRAGMENT_STARTS = tuple("ァィゥェォッャュョヮーヽヾ")
LOADED_SETS = 4  # sets kept in memory at once (chiVe is 24 MB; uploads can be far bigger)


@dataclass(frozen=True)
class Lookup:
    """How a typed word was found: `key` is the vocabulary entry used; `how` says by which route."""

    word: str
    key: str
    how: str  # "exact" | "normalized" (another spelling) | "alias" (nearest kept word stands in)

    def note(self) -> str:
        if self.how == "normalized":
            return text("vectors.note_normalized", word=self.word, found=self.key)
        if self.how == "alias":
            return text("vectors.note_alias", word=self.word, found=self.key)
        return ""


class VectorSet:
    """One source's vectors: a gensim KeyedVectors plus its name, metadata and spelling help.

    Attribute access falls through to the KeyedVectors, so `vs.most_similar("犬")`,
    `vs.vector_size`, `vs.index_to_key` work as on gensim's object; `vs.kv` is the object itself.
    """

    def __init__(self, name: str, kv: KeyedVectors, meta: dict, folder: Path = None):
        self.name = name
        self.kv = kv
        self.meta = meta
        self.folder = folder
        self._aliases = None
        self._folded = None
        self._lock = threading.Lock()

    def __getattr__(self, attr):
        if attr == "kv":  # not set yet (copy, unpickle): avoid endless recursion
            raise AttributeError(attr)
        return getattr(self.kv, attr)

    def __contains__(self, word) -> bool:
        return word in self.kv.key_to_index

    def __len__(self) -> int:
        return len(self.kv.index_to_key)

    def __getitem__(self, word):
        return self.kv[self.resolve(word).key]

    @property
    def aliases(self) -> dict:
        """Dropped word -> kept word that stands in for it (chiVe only); read on first need."""
        if self._aliases is None:
            with self._lock:
                if self._aliases is None:
                    self._aliases = sets.read_aliases(self.folder) if self.folder else {}
        return self._aliases

    def find(self, word: str):
        """How `word` is found: as typed, respelled, or by its alias (a Lookup); None when it is not."""
        if word in self:
            return Lookup(word, word, "exact")
        others = japanese.spellings(word)
        respelled = self.meta.get("respelled", {})  # chiVe: normalized spelling -> the one shown
        for spelling in [respelled.get(s, s) for s in [word, *others]]:
            if spelling in self:
                return Lookup(word, spelling, "normalized")
        for spelling in [word, *others]:
            if spelling in self.aliases:
                return Lookup(word, self.aliases[spelling], "alias")
        return None

    def resolve(self, word: str) -> Lookup:
        """The vocabulary key for `word`: as typed, respelled, or an alias; else StudioError("vectors.oov")."""
        word = (word or "").strip()
        if not word:
            raise StudioError("vectors.empty_word")
        found = self.find(word)
        if found is not None:
            return found
        close = self.suggestions(word)
        if close:
            raise StudioError("vectors.oov", word=word, source=self.name, suggestions=listing(close))
        raise StudioError("vectors.oov_nothing_close", word=word, source=self.name)

    def suggestions(self, word: str, limit: int = SUGGESTIONS) -> list:
        """Words in the vocabulary spelled like `word`: its in-vocabulary parts first, then fuzzy matches."""
        from rapidfuzz import fuzz, process

        # Up to two parts of a compound come first (女王様 -> 女王), then spellings close to the whole.
        found = [p for p in japanese.parts(word) if p in self and p != word][:2]
        if self._folded is None:
            self._folded = [japanese.fold(w) for w in self.kv.index_to_key]
        matches = process.extract(
            japanese.fold(word), self._folded, scorer=fuzz.ratio, limit=limit * 2, score_cutoff=40
        )
        # A word never starts with a small kana or a long-vowel mark; such entries are fragments.
        found += [self.kv.index_to_key[i] for folded, _, i in matches if not folded.startswith(FRAGMENT_STARTS)]
        return list(dict.fromkeys(found))[:limit]


def list_sources() -> list:
    """Every source a person can pick: chiVe first (even before its first conversion), then stored sets."""
    sources = []
    try:
        chive.ginza_vocab_dir()
        chive_available = True
    except StudioError:
        chive_available = sets.is_complete(chive.cache_folder())
    if chive_available:
        sources.append({"name": DEFAULT_SOURCE, "kind": "chive", "count": 20000, "dim": 300,
                        "credit": chive.CREDIT})
    for meta in sets.list_sets():
        if meta["name"] != DEFAULT_SOURCE:
            sources.append(meta)
    return sources


def source_names() -> list:
    return [s["name"] for s in list_sources()]


_LOADED = OrderedDict()  # (folder, mtime) -> VectorSet; read-only, so safely shared by all users
_LOAD_LOCK = threading.Lock()


def load_vectors(source=DEFAULT_SOURCE) -> VectorSet:
    """The VectorSet for a source name (converting chiVe on first use); a VectorSet passes through."""
    if isinstance(source, VectorSet):
        return source
    name = (source or DEFAULT_SOURCE).strip()
    with _LOAD_LOCK:
        if name == DEFAULT_SOURCE:
            folder = chive.ensure_cache()
        else:
            try:
                folder = sets.set_folder(name)
            except StudioError:
                raise StudioError("vectors.source_not_found", name=name) from None
            if not sets.is_complete(folder):
                raise StudioError("vectors.source_not_found", name=name)
        stamp = (str(folder.resolve()), (folder / "meta.json").stat().st_mtime_ns)
        if stamp in _LOADED:
            _LOADED.move_to_end(stamp)
            return _LOADED[stamp]
        words, matrix, meta = sets.read_set(folder)
        vs = VectorSet(name, keyed_vectors(words, matrix), meta, folder)
        _LOADED[stamp] = vs
        while len(_LOADED) > LOADED_SETS:
            _LOADED.popitem(last=False)
        return vs


def keyed_vectors(words: list, matrix: np.ndarray) -> KeyedVectors:
    """A gensim KeyedVectors over `matrix` without copying it, norms computed up front.

    Filling the norms now keeps later queries read-only, so threads can share one object.
    """
    kv = KeyedVectors(vector_size=int(matrix.shape[1]), count=0, dtype=np.float32)
    kv.index_to_key = list(words)
    kv.key_to_index = {word: i for i, word in enumerate(words)}
    kv.vectors = matrix
    kv.next_index = len(words)
    kv.fill_norms()
    return kv


def delete_source(name: str) -> None:
    sets.delete_set(name)
    with _LOAD_LOCK:
        for stamp in [s for s, vs in _LOADED.items() if vs.name == name]:
            del _LOADED[stamp]


def import_word2vec(path, name: str, kind: str = "upload", origin: str = "", owner: str = "") -> dict:
    """Check and store a word2vec text/binary file as a new set; never unpickles. Returns its meta."""
    sets.check_new_name(name)  # fail before reading a big file
    storage.check_room(owner)
    parsed = sets.read_word2vec(path)
    meta = {
        "kind": kind,
        "origin": origin or Path(path).name,
        "owner": runs.owner_id(owner),  # a digest: the key itself stays with its browser
        "format_read": "binary" if parsed.binary else "text",
        "warnings": [text(key, **params) for key, params in parsed.warnings],
    }
    return sets.save_set(name, parsed.words, parsed.matrix, meta)
