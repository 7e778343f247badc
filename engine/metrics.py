"""Similarity between a generated output and a reference, for Japanese and short outputs.

Computed with the libraries themselves, offline (evaluate.load would fetch scripts from the Hub):
- exact_match  1 if the texts are equal after Unicode NFKC and trimming, else 0. Higher = closer.
- chrf         chrF (sacrebleu): F-score over character 1..6-grams, 0..100. Characters suit
               Japanese, which has no spaces between words. Higher = closer.
- bleu         BLEU (sacrebleu) over characters, 0..100. sacrebleu's Japanese tokenizer
               ("ja-mecab") needs MeCab and a dictionary, which are not installed; character
               tokens need nothing and keep short words meaningful. BLEU uses the effective n-gram
               order, so 2-character words are not scored 0 for lacking 4-grams.
               Higher = closer.
- cer          character error rate: Levenshtein edits / reference length (rapidfuzz). 0 = same;
               can exceed 1 when the output is much longer. Lower = closer.
- similarity   normalised edit similarity 1 - edits / longer length (rapidfuzz), 0..1.
               Higher = closer.

Aggregates: exact_match and similarity are means over rows; chrF, BLEU and CER are corpus
values (n-gram and edit counts summed over all rows first), as their authors define them.
"""
import unicodedata

from rapidfuzz.distance import Levenshtein
from sacrebleu.metrics import BLEU, CHRF

METRICS = ("exact_match", "chrf", "bleu", "cer", "similarity")
HIGHER_IS_BETTER = {"exact_match": True, "chrf": True, "bleu": True, "cer": False, "similarity": True}

_CHRF = CHRF()
# Effective order for the corpus too: a list of 2-3 character words has no 4-grams at all, and
# plain corpus BLEU would then be 0 whatever the outputs.
_BLEU_SENTENCE = BLEU(tokenize="char", effective_order=True)
_BLEU_CORPUS = BLEU(tokenize="char", effective_order=True)


def normalize(text) -> str:
    """NFKC (full-width letters and digits become half-width) and trimmed."""
    return unicodedata.normalize("NFKC", str(text if text is not None else "")).strip()


def exact_match(hyp: str, ref: str) -> float:
    return float(normalize(hyp) == normalize(ref))


def chrf(hyp: str, ref: str) -> float:
    return _CHRF.sentence_score(normalize(hyp), [normalize(ref)]).score


def bleu(hyp: str, ref: str) -> float:
    hyp, ref = normalize(hyp), normalize(ref)
    if not hyp or not ref:
        return 100.0 if hyp == ref else 0.0
    return _BLEU_SENTENCE.sentence_score(hyp, [ref]).score


def cer(hyp: str, ref: str) -> float:
    hyp, ref = normalize(hyp), normalize(ref)
    if not ref:
        return 0.0 if not hyp else 1.0
    return Levenshtein.distance(hyp, ref) / len(ref)


def similarity(hyp: str, ref: str) -> float:
    return Levenshtein.normalized_similarity(normalize(hyp), normalize(ref))


_ROW_FUNCTIONS = {"exact_match": exact_match, "chrf": chrf, "bleu": bleu, "cer": cer, "similarity": similarity}


def row_metrics(hyp: str, ref: str) -> dict:
    """Every metric for one output against one reference, rounded for display."""
    return {name: round(fn(hyp, ref), 4) for name, fn in _ROW_FUNCTIONS.items()}


def compute_metrics(hyps: list, refs: list) -> dict:
    """Aggregate metrics over rows (see the module docstring for how each is pooled)."""
    if len(hyps) != len(refs):
        raise ValueError("hyps and refs differ in length")
    if not hyps:
        return {name: None for name in METRICS} | {"rows": 0}
    hyps = [normalize(h) for h in hyps]
    refs = [normalize(r) for r in refs]
    edits = sum(Levenshtein.distance(h, r) for h, r in zip(hyps, refs))
    ref_chars = sum(len(r) for r in refs)
    return {
        "rows": len(hyps),
        "exact_match": round(sum(h == r for h, r in zip(hyps, refs)) / len(hyps), 4),
        "chrf": round(_CHRF.corpus_score(hyps, [refs]).score, 4),
        "bleu": round(_BLEU_CORPUS.corpus_score(hyps, [refs]).score, 4),
        "cer": round(edits / ref_chars, 4) if ref_chars else None,
        "similarity": round(sum(Levenshtein.normalized_similarity(h, r) for h, r in zip(hyps, refs)) / len(hyps), 4),
    }


# ---------------------------------------------------------------------------------------------
# Against the correct answer (the quiz-distractor use case)
#
# Training data there is (English word, wrong Japanese translation); a good distractor is close to
# the correct translation in form or meaning, yet not the same. When the CSV has a Correct column,
# every row also gets the metrics below. To add a metric (e.g. a leak rate: the output equals the
# correct answer), register a function with register_correct_metric(); it receives
# (generated, expected, correct) and returns a dict of extra per-row values. Values that are
# numbers are averaged into the aggregate under the same name.

_CORRECT_METRICS = []


def register_correct_metric(fn):
    """Add fn(generated, expected, correct) -> dict to the per-row metrics used with a Correct column."""
    if fn not in _CORRECT_METRICS:
        _CORRECT_METRICS.append(fn)
    return fn


@register_correct_metric
def similarity_to_correct(generated: str, expected: str, correct: str) -> dict:
    """How close the output is to the correct answer (chrF and edit similarity, higher = closer)."""
    return {"correct_chrf": round(chrf(generated, correct), 4),
            "correct_similarity": round(similarity(generated, correct), 4)}


def correct_row_metrics(generated: str, expected: str, correct: str) -> dict:
    """Every registered Correct-column metric for one row, merged into one dict."""
    values = {}
    for fn in _CORRECT_METRICS:
        values.update(fn(generated, expected, correct))
    return values


def direction(name: str) -> str:
    """'higher' or 'lower': which way is better (closer) for a metric name."""
    base = name.removeprefix("correct_")
    return "higher" if HIGHER_IS_BETTER.get(base, True) else "lower"
