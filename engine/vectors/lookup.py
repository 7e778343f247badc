"""Word-vector queries: similarity, nearest words, word arithmetic and odd-one-out.

    lookup(word, source="chive") -> Lookup            which key answers for `word`, or StudioError
                                                      ("vectors.oov") listing close spellings
    similarity(word1, word2, source="chive") -> dict  {"similarity": cosine in -1..1, "words", "notes"}
    most_similar(word, topn=10, source="chive") -> dict              {"query", "results", "notes"}
    analogy(positive, negative=(), topn=10, source="chive") -> dict  王 + 女 - 男
    doesnt_match(words, source="chive") -> dict       {"odd", "scores"} (cosine to the group mean)

`source` is a name (engine.vectors.sources) or a loaded VectorSet. Results are plain dicts of
str/float/list, ready for JSON; "notes" are Japanese sentences saying when a word was respelled or
stood in for by its nearest neighbour.
"""
import numpy as np

from engine.core.messages import StudioError, int_in_range, text
from engine.vectors.sources import DEFAULT_SOURCE, Lookup, load_vectors
from engine.words import japanese

TOPN_RANGE = (1, 100)
MAX_WORDS = 20  # per arithmetic or odd-one-out query; more is a paste accident


def lookup(word: str, source=DEFAULT_SOURCE) -> Lookup:
    return load_vectors(source).resolve(word)


def _notes(lookups) -> list:
    return [note for note in (lk.note() for lk in lookups) if note]


def _check_topn(topn) -> int:
    return int_in_range(topn, *TOPN_RANGE, "vectors.topn_range")


def _word_list(words, minimum: int, role: str) -> list:
    words = japanese.split_words(words) if isinstance(words, str) else [w for w in (words or []) if w.strip()]
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
