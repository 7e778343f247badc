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

With a Correct column (the quiz-distractor use), see the end of this file: similarity to the
correct answer, and the distractor metrics leak_rate, validity, closeness and diversity.

Aggregates: exact_match and similarity are means over rows; chrF, BLEU and CER are corpus
values (n-gram and edit counts summed over all rows first), as their authors define them.
"""
import unicodedata

from rapidfuzz.distance import Levenshtein
from sacrebleu.metrics import BLEU, CHRF

METRICS = ("exact_match", "chrf", "bleu", "cer", "similarity")
HIGHER_IS_BETTER = {"exact_match": True, "chrf": True, "bleu": True, "cer": False, "similarity": True,
                    "leak_rate": False, "validity": True, "closeness": True, "diversity": True}
# Metrics of the distractor use, where "better" means a better quiz option rather than "closer".
DISTRACTOR_METRICS = ("leak_rate", "validity", "closeness", "diversity")

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
# every row also gets the metrics below. To add a metric, register a function with
# register_correct_metric(); it receives (generated, expected, correct) and returns a dict of extra
# per-row values; a function that also takes `outputs` gets every output of the row (when several
# were generated per input, else [generated]). Values that are numbers are averaged into the
# aggregate under the same name. Correct may hold several translations separated by |.

_CORRECT_METRICS = []


def register_correct_metric(fn):
    """Add fn(generated, expected, correct[, outputs]) -> dict to the per-row metrics used with a Correct column."""
    if fn not in _CORRECT_METRICS:
        _CORRECT_METRICS.append(fn)
    return fn


def _answers(correct) -> list:
    from engine.words.checks import split_correct

    return split_correct(correct) or [normalize(correct)]


@register_correct_metric
def similarity_to_correct(generated: str, expected: str, correct: str) -> dict:
    """How close the output is in form to the nearest correct answer (chrF and edit similarity, higher = closer)."""
    answers = _answers(correct)
    return {"correct_chrf": round(max(chrf(generated, a) for a in answers), 4),
            "correct_similarity": round(max(similarity(generated, a) for a in answers), 4)}


@register_correct_metric
def distractor_quality(generated: str, expected: str, correct: str, outputs: list = None) -> dict:
    """The quiz-distractor view of a row's outputs (rules in engine.words.checks):

    correct_leak_rate   share of outputs that are a correct answer or one in disguise (いぬ, 子犬 for 犬). Lower is better.
    correct_validity    share of outputs that are real Japanese content words. Higher is better.
                        (correct_leak_rate counts only outputs with text: NaN when every output is empty,
                        which would otherwise read as a perfect 0.)
    correct_closeness   mean cosine (word vectors) of the valid, non-leaking outputs to the nearest answer; NaN when
                        none can be measured. Higher = more tempting.
    correct_diversity   distinct outputs / outputs, only when several were generated per input.
    """
    from engine.words import checks as check

    outputs = [o for o in (outputs if outputs else [generated])]
    vs = _vectors()
    answers = check.split_correct(correct)
    leaks = [check.is_leak(o, answers, vs) for o in outputs]
    valid = [check.is_valid(o, vs) for o in outputs]
    usable = [o for o, leak, ok in zip(outputs, leaks, valid) if ok and not leak]
    cosines = [check.closeness(o, answers, vs) for o in usable] if vs else []
    cosines = [c for c in cosines if c is not None]
    written = [leak for o, leak in zip(outputs, leaks) if o.strip()]  # an empty output leaks nothing, and says nothing
    values = {
        "correct_leak_rate": round(sum(written) / len(written), 4) if written else float("nan"),
        "correct_validity": round(sum(valid) / len(outputs), 4),
        "correct_closeness": round(sum(cosines) / len(cosines), 4) if cosines else float("nan"),
    }
    if len(outputs) > 1:
        values["correct_diversity"] = round(len({check.fold(o) for o in outputs}) / len(outputs), 4)
    return values


def _vectors():
    """The built-in word vectors for closeness, or None when they cannot be loaded (closeness is then NaN)."""
    from engine.core.messages import StudioError
    from engine.vectors import sources

    try:
        return sources.load_vectors()
    except StudioError:
        return None


def correct_row_metrics(generated: str, expected: str, correct: str, outputs: list = None) -> dict:
    """Every registered Correct-column metric for one row, merged into one dict."""
    import inspect

    values = {}
    for fn in _CORRECT_METRICS:
        if "outputs" in inspect.signature(fn).parameters:
            values.update(fn(generated, expected, correct, outputs=outputs))
        else:
            values.update(fn(generated, expected, correct))
    return values


def direction(name: str) -> str:
    """'higher' or 'lower': which way is better (closer) for a metric name."""
    base = name.removeprefix("correct_")
    return "higher" if HIGHER_IS_BETTER.get(base, True) else "lower"


def is_distractor_metric(name: str) -> bool:
    """True for the quiz-distractor metrics, whose direction reads "better", not "closer"."""
    return name.removeprefix("correct_") in DISTRACTOR_METRICS
