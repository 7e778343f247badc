"""Word vectors: similarity, nearest words, word arithmetic and odd-one-out, from Python or a CLI.

Sources (see list_sources()):
  - "chive": built in and offline; chiVe from the ja-ginza package (engine.vectors_chive), converted
    once and cached in the data home.
  - sets people add, stored under <data home>/vectors/<name>/: an uploaded word2vec text/binary
    file (import_word2vec), vectors trained on their own corpus (engine.vectors_train.train_vectors),
    or a word2vec file from the Hub (engine.vectors_hub.fetch_from_hub).

Python API (every function takes `source` as a name or an already loaded VectorSet):
    list_sources() -> list[dict]                      name, kind, count, dim, credit, created
    load_vectors(source="chive") -> VectorSet         KeyedVectors-like (attributes fall through
                                                      to gensim KeyedVectors), plus .resolve()
    lookup(word, source="chive") -> Lookup            which key answers for `word`, or StudioError
                                                      ("vectors.oov") listing close spellings
    similarity(word1, word2, source="chive") -> dict  {"similarity": cosine in -1..1, "words", "notes"}
    most_similar(word, topn=10, source="chive") -> dict              {"query", "results", "notes"}
    analogy(positive, negative=(), topn=10, source="chive") -> dict  王 + 女 - 男
    doesnt_match(words, source="chive") -> dict       {"odd", "scores"} (cosine to the group mean)
    import_word2vec(path, name, kind="upload", origin="", owner="") -> dict   the new set's meta
    delete_source(name) -> None
Results are plain dicts of str/float/list, ready for JSON; "notes" are Japanese sentences saying
when a word was respelled or stood in for by its nearest neighbour.

CLI (the last line printed is one JSON object):
    python -m engine.vectors similarity 犬 猫
    python -m engine.vectors most-similar 犬 --topn 10
    python -m engine.vectors analogy --positive 王 女 --negative 男
    python -m engine.vectors doesnt-match 犬 猫 自動車
    python -m engine.vectors sources | convert [--force] | import FILE --name NAME
    python -m engine.vectors train CORPUS --name NAME [--vector-size 100 --epochs 10 --cbow …]
    python -m engine.vectors hub REPO [--filename F] --name NAME
"""
import argparse
import json
import sys
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from gensim.models import KeyedVectors

from engine import runs, storage, vectors_chive, vectors_io, vectors_text
from engine.messages import StudioError, int_in_range, text

DEFAULT_SOURCE = vectors_io.BUILTIN_NAME
TOPN_RANGE = (1, 100)
MAX_WORDS = 20  # per arithmetic or odd-one-out query; more is a paste accident
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
                    self._aliases = vectors_io.read_aliases(self.folder) if self.folder else {}
        return self._aliases

    def resolve(self, word: str) -> Lookup:
        """The vocabulary key for `word`: as typed, respelled, or an alias; else StudioError("vectors.oov")."""
        word = (word or "").strip()
        if not word:
            raise StudioError("vectors.empty_word")
        if word in self:
            return Lookup(word, word, "exact")
        others = vectors_text.spellings(word)
        respelled = self.meta.get("respelled", {})  # chiVe: normalized spelling -> the one shown
        for spelling in [respelled.get(s, s) for s in [word, *others]]:
            if spelling in self:
                return Lookup(word, spelling, "normalized")
        for spelling in [word, *others]:
            if spelling in self.aliases:
                return Lookup(word, self.aliases[spelling], "alias")
        close = self.suggestions(word)
        if close:
            raise StudioError("vectors.oov", word=word, source=self.name, suggestions="、".join(close))
        raise StudioError("vectors.oov_nothing_close", word=word, source=self.name)

    def suggestions(self, word: str, limit: int = SUGGESTIONS) -> list:
        """Words in the vocabulary spelled like `word`: its in-vocabulary parts first, then fuzzy matches."""
        from rapidfuzz import fuzz, process

        # Up to two parts of a compound come first (女王様 -> 女王), then spellings close to the whole.
        found = [p for p in vectors_text.parts(word) if p in self and p != word][:2]
        if self._folded is None:
            self._folded = [vectors_text.fold(w) for w in self.kv.index_to_key]
        matches = process.extract(
            vectors_text.fold(word), self._folded, scorer=fuzz.ratio, limit=limit * 2, score_cutoff=40
        )
        # A word never starts with a small kana or a long-vowel mark; such entries are fragments.
        found += [self.kv.index_to_key[i] for folded, _, i in matches if not folded.startswith(FRAGMENT_STARTS)]
        return list(dict.fromkeys(found))[:limit]


# ---------------------------------------------------------------- sources


def list_sources() -> list:
    """Every source a person can pick: chiVe first (even before its first conversion), then stored sets."""
    sources = []
    try:
        vectors_chive.ginza_vocab_dir()
        chive_available = True
    except StudioError:
        chive_available = vectors_io.is_complete(vectors_chive.cache_folder())
    if chive_available:
        sources.append({"name": DEFAULT_SOURCE, "kind": "chive", "count": 20000, "dim": 300,
                        "credit": vectors_chive.CREDIT})
    for meta in vectors_io.list_sets():
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
            folder = vectors_chive.ensure_cache()
        else:
            try:
                folder = vectors_io.set_folder(name)
            except StudioError:
                raise StudioError("vectors.source_not_found", name=name) from None
            if not vectors_io.is_complete(folder):
                raise StudioError("vectors.source_not_found", name=name)
        stamp = (str(folder.resolve()), (folder / "meta.json").stat().st_mtime_ns)
        if stamp in _LOADED:
            _LOADED.move_to_end(stamp)
            return _LOADED[stamp]
        words, matrix, meta = vectors_io.read_set(folder)
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
    vectors_io.delete_set(name)
    with _LOAD_LOCK:
        for stamp in [s for s, vs in _LOADED.items() if vs.name == name]:
            del _LOADED[stamp]


def import_word2vec(path, name: str, kind: str = "upload", origin: str = "", owner: str = "") -> dict:
    """Check and store a word2vec text/binary file as a new set; never unpickles. Returns its meta."""
    vectors_io.check_new_name(name)  # fail before reading a big file
    storage.check_room(owner)
    parsed = vectors_io.read_word2vec(path)
    meta = {
        "kind": kind,
        "origin": origin or Path(path).name,
        "owner": runs.owner_id(owner),  # a digest: the key itself stays with its browser
        "format_read": "binary" if parsed.binary else "text",
        "warnings": [text(key, **params) for key, params in parsed.warnings],
    }
    return vectors_io.save_set(name, parsed.words, parsed.matrix, meta)


# ---------------------------------------------------------------- queries


def lookup(word: str, source=DEFAULT_SOURCE) -> Lookup:
    return load_vectors(source).resolve(word)


def _notes(lookups) -> list:
    return [note for note in (lk.note() for lk in lookups) if note]


def _check_topn(topn) -> int:
    return int_in_range(topn, *TOPN_RANGE, "vectors.topn_range")


def _word_list(words, minimum: int, role: str) -> list:
    words = vectors_text.split_words(words) if isinstance(words, str) else [w for w in (words or []) if w.strip()]
    if len(words) < minimum:
        raise StudioError("vectors.need_words", role=text(f"vectors.role_{role}"), minimum=minimum)
    if len(words) > MAX_WORDS:
        raise StudioError("vectors.too_many_words", count=len(words), limit=MAX_WORDS)
    return words


def _results(pairs) -> list:
    return [{"word": word, "score": round(float(score), 4)} for word, score in pairs]


def similarity(word1: str, word2: str, source=DEFAULT_SOURCE) -> dict:
    """Cosine similarity of two words, -1..1."""
    vs = load_vectors(source)
    a, b = vs.resolve(word1), vs.resolve(word2)
    value = float(np.clip(vs.kv.similarity(a.key, b.key), -1.0, 1.0))
    return {"source": vs.name, "words": [a.key, b.key], "similarity": round(value, 4), "notes": _notes([a, b])}


def most_similar(word: str, topn: int = 10, source=DEFAULT_SOURCE) -> dict:
    """The `topn` nearest words to `word`, with cosine scores."""
    vs = load_vectors(source)
    query = vs.resolve(word)
    pairs = vs.kv.most_similar(query.key, topn=_check_topn(topn))
    return {"source": vs.name, "query": query.key, "results": _results(pairs), "notes": _notes([query])}


def analogy(positive, negative=(), topn: int = 10, source=DEFAULT_SOURCE) -> dict:
    """Word arithmetic: the words nearest to sum(positive) - sum(negative) (王 + 女 - 男)."""
    vs = load_vectors(source)
    plus = [vs.resolve(w) for w in _word_list(positive, 1, "positive")]
    minus = [vs.resolve(w) for w in (_word_list(negative, 0, "positive") if negative else [])]
    pairs = vs.kv.most_similar(
        positive=[lk.key for lk in plus], negative=[lk.key for lk in minus], topn=_check_topn(topn)
    )
    return {
        "source": vs.name,
        "positive": [lk.key for lk in plus],
        "negative": [lk.key for lk in minus],
        "results": _results(pairs),
        "notes": _notes(plus + minus),
    }


def doesnt_match(words, source=DEFAULT_SOURCE) -> dict:
    """The word least like the rest: lowest cosine to the mean of the group's unit vectors."""
    vs = load_vectors(source)
    found = [vs.resolve(w) for w in _word_list(words, 3, "list")]
    keys = list(dict.fromkeys(lk.key for lk in found))
    if len(keys) < 3:
        raise StudioError("vectors.need_words", role=text("vectors.role_list"), minimum=3)
    unit = np.stack([vs.kv.get_vector(k, norm=True) for k in keys])
    mean = unit.mean(axis=0)
    scores = unit @ (mean / np.linalg.norm(mean))
    order = np.argsort(scores)
    return {
        "source": vs.name,
        "odd": keys[int(order[0])],
        "scores": _results((keys[i], scores[i]) for i in order),
        "notes": _notes(found),
    }


# ---------------------------------------------------------------- CLI


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m engine.vectors", description="Word vectors (T5 Studio)")
    parser.add_argument("--source", default=DEFAULT_SOURCE, help="vector set name (default: chive)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("similarity", help="cosine similarity of two words")
    p.add_argument("word1")
    p.add_argument("word2")
    p = sub.add_parser("most-similar", help="nearest words")
    p.add_argument("word")
    p.add_argument("--topn", type=int, default=10)
    p = sub.add_parser("analogy", help="word arithmetic, e.g. --positive 王 女 --negative 男")
    p.add_argument("--positive", nargs="+", required=True)
    p.add_argument("--negative", nargs="*", default=[])
    p.add_argument("--topn", type=int, default=10)
    p = sub.add_parser("doesnt-match", help="the word that does not belong")
    p.add_argument("words", nargs="+")
    sub.add_parser("sources", help="list vector sets")
    p = sub.add_parser("convert", help="convert the bundled chiVe vectors into the cache")
    p.add_argument("--force", action="store_true")
    p = sub.add_parser("import", help="store a word2vec text/binary file as a set")
    p.add_argument("path")
    p.add_argument("--name", required=True)
    p = sub.add_parser("train", help="train vectors on a plain-text corpus")
    p.add_argument("corpus")
    p.add_argument("--name", required=True)
    p.add_argument("--vector-size", type=int, default=100)
    p.add_argument("--window", type=int, default=5)
    p.add_argument("--min-count", type=int, default=2)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--cbow", action="store_true", help="CBOW instead of skip-gram")
    p = sub.add_parser("hub", help="fetch a word2vec file from the Hugging Face Hub")
    p.add_argument("repo")
    p.add_argument("--filename", default="")
    p.add_argument("--name", required=True)
    return parser


def _run(args) -> dict:
    if args.command == "similarity":
        return similarity(args.word1, args.word2, args.source)
    if args.command == "most-similar":
        return most_similar(args.word, args.topn, args.source)
    if args.command == "analogy":
        return analogy(args.positive, args.negative, args.topn, args.source)
    if args.command == "doesnt-match":
        return doesnt_match(args.words, args.source)
    if args.command == "sources":
        return {"sources": list_sources()}
    if args.command == "convert":
        return {"folder": str(vectors_chive.ensure_cache(force=args.force))}
    if args.command == "import":
        return import_word2vec(args.path, args.name, origin=Path(args.path).name)
    if args.command == "train":
        from engine.vectors_train import VectorTrainConfig, train_vectors

        config = VectorTrainConfig(vector_size=args.vector_size, window=args.window, min_count=args.min_count,
                                   epochs=args.epochs, sg=not args.cbow)
        return train_vectors(args.corpus, args.name, config, progress=_print_progress)
    if args.command == "hub":
        from engine.vectors_hub import fetch_from_hub

        return fetch_from_hub(args.repo, args.filename, args.name)
    raise AssertionError(args.command)


def _print_progress(fraction: float, message: str) -> None:
    print(f"[{fraction:5.0%}] {message}", file=sys.stderr, flush=True)


def _print_human(result: dict) -> None:
    for note in result.get("notes", []):
        print(note)
    if "similarity" in result:
        print(f"{result['words'][0]} / {result['words'][1]}: {result['similarity']:+.4f}")
    for row in result.get("results", []) or result.get("scores", []):
        print(f"{row['score']:+.4f}  {row['word']}")
    if "odd" in result:
        print(f"odd one out: {result['odd']}")


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        result = _run(args)
    except StudioError as exc:
        print(json.dumps({"ok": False, "error": exc.key, "message": exc.message()}, ensure_ascii=False))
        return 1
    _print_human(result)
    print(json.dumps({"ok": True, **result}, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
