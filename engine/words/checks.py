"""Is a candidate distractor a real Japanese word, and is it the correct answer in disguise?

Shared by distractor generation (engine.distractors, which filters with these rules) and by
evaluation (engine.evaluate.metrics, which counts how often a model breaks them), so the two agree.

A candidate *leaks* the answer when, against any correct translation, it is
  - the same string after NFKC, or the same word in another script (いぬ / イヌ for 犬: a kana-only
    spelling whose reading is the answer's reading),
  - the same word in its SudachiPy normalized or dictionary form (綺麗 / 奇麗, 走った / 走る),
  - the same entry of the word vectors (chiVe is keyed by normalized spellings),
  - a string containing it or contained in it (子犬 for 犬), compared with hiragana folded to
    katakana; for kana-only spellings their readings are compared too (こいぬ for 犬), but only
    readings of two or more kana, or every word with テ in it would leak 手.
  - another kanji spelling of the same sound that the vectors also place close (河 for 川, cosine
    >= 0.6). Two kanji words that merely sound alike (期間 / 機関, cosine 0.15) are kept.

A candidate is *valid* when it is written in Japanese (no Latin letters or digits, no spaces or
punctuation), is a known word (an entry of the word vectors, or one SudachiPy morpheme found in
its dictionary), and is a content word (not a particle, an auxiliary, a prefix or a suffix).
"""
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from engine.words import japanese

LATIN_OR_DIGIT = re.compile(r"[A-Za-z0-9]")
NOT_WORD = re.compile(r"[\s\u3000-\u3003\u3008-\u3011\u3014-\u301f!-/:-@\[-`{-~・]")
KANA_ONLY = re.compile(r"[\u3041-\u3096\u30a1-\u30fa\u30fc\u309d\u309e\u30fd\u30fe]+")
KANJI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々]")
GRAMMAR_POS = ("助詞", "助動詞", "接頭辞", "接尾辞", "補助記号", "記号", "空白", "感動詞")
TRAILING_POS = ("助詞", "助動詞")  # dropped when finding a headword: 走った -> 走る
MIN_READING_CONTAINED = 2
SAME_SOUND_COSINE = 0.6
CORRECT_SEPARATORS = re.compile(r"[|｜,，、;；/／\n]+")


@dataclass(frozen=True)
class WordInfo:
    """What SudachiPy says about one string (mode C, the long units chiVe was built on)."""

    text: str
    morphemes: int = 0
    reading: str = ""  # katakana
    normalized: str = ""  # normalized forms joined (奇麗 for 綺麗, 猫 for ネコ)
    headword: str = ""  # dictionary forms joined, trailing particles and auxiliaries dropped
    pos: tuple = ()  # the first content morpheme's part of speech (major, minor)
    oov: bool = False  # some morpheme was not in SudachiPy's dictionary
    inflected: bool = False  # a verb or adjective not in its dictionary form (飼い for 飼う)
    head_pos: str = ""  # the last content morpheme's major part of speech: 人 in 見知らぬ人 (Japanese is head-final)

    @property
    def major_pos(self) -> str:
        return self.pos[0] if self.pos else ""

    @property
    def slot_pos(self) -> str:
        """The part of speech of the slot the word fills: a phrase ending in a noun is a noun (見知らぬ人),
        a noun with する stays a noun (勉強する: its options are nouns that take する)."""
        return "名詞" if self.head_pos == "名詞" and self.morphemes > 1 else self.major_pos


def clean(word) -> str:
    return unicodedata.normalize("NFKC", str(word if word is not None else "")).strip()


def fold(word: str) -> str:
    """Hiragana folded to katakana, NFKC, lower case: いぬ and イヌ compare equal."""
    return japanese.fold(clean(word))


def is_kana(word: str) -> bool:
    return bool(KANA_ONLY.fullmatch(clean(word)))


def split_correct(value) -> list:
    """The correct translations in one cell or box: separated by | (as in the sample data), 、 , / or lines."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        parts = [p for v in value for p in split_correct(v)]
    else:
        parts = [clean(p) for p in CORRECT_SEPARATORS.split(str(value))]
    return list(dict.fromkeys(p for p in parts if p))


@lru_cache(maxsize=50000)
def analyse(word: str) -> WordInfo:
    word = clean(word)
    tokenizer = japanese.sudachi()
    if not word or tokenizer is None:
        return WordInfo(word)
    morphemes = [m for m in tokenizer[0].tokenize(word, tokenizer[1])]
    if not morphemes:
        return WordInfo(word)
    core = list(morphemes)
    while len(core) > 1 and core[-1].part_of_speech()[0] in TRAILING_POS:
        core.pop()
    first = next((m for m in core if m.part_of_speech()[0] not in GRAMMAR_POS), core[0])
    return WordInfo(
        text=word,
        morphemes=len(morphemes),
        reading="".join(m.reading_form() for m in morphemes),
        normalized="".join(m.normalized_form() for m in morphemes),
        headword="".join(m.dictionary_form() for m in core),
        pos=tuple(first.part_of_speech()[:2]),
        oov=any(m.is_oov() for m in morphemes),
        inflected=any(m.part_of_speech()[0] in ("動詞", "形容詞") and m.surface() != m.dictionary_form()
                      for m in morphemes),
        head_pos=core[-1].part_of_speech()[0],
    )


# ---------------------------------------------------------------- the answer in disguise


def disguise(candidate: str, answer: str, vs=None) -> str:
    """Why `candidate` is `answer` in disguise ("same", "script", "form", "vector", "contains"), or ""."""
    a, b = clean(candidate), clean(answer)
    if not a or not b:
        return ""
    if a == b:
        return "same"
    fa, fb = fold(a), fold(b)
    if fa == fb:
        return "script"
    ia, ib = analyse(a), analyse(b)
    if (is_kana(a) or is_kana(b)) and ia.reading and ia.reading == ib.reading:
        return "script"
    if ia.normalized and (ia.normalized == ib.normalized or ia.headword == ib.headword
                          or ia.normalized == b or ib.normalized == a):
        return "form"
    if vs is not None:
        ka, kb = vector_key(a, vs), vector_key(b, vs)
        if ka and ka == kb:
            return "vector"
        # Same sound and close meaning: another kanji for the same word (河 / 川), not a pun (期間 / 機関).
        if ka and kb and ia.reading and ia.reading == ib.reading and vs.kv.similarity(ka, kb) >= SAME_SOUND_COSINE:
            return "form"
    if fa in fb or fb in fa:
        return "contains"
    # A kana-only spelling hides its kanji: compare readings (こいぬ holds イヌ, the reading of 犬).
    if is_kana(a) or is_kana(b):
        ra, rb = (fa if is_kana(a) else ia.reading), (fb if is_kana(b) else ib.reading)
        shorter, longer = sorted((ra, rb), key=len)
        if len(shorter) >= MIN_READING_CONTAINED and shorter in longer:
            return "contains"
    return ""


def leak_reason(candidate: str, answers, vs=None) -> str:
    """The first disguise of any correct answer that `candidate` is, or ""."""
    for answer in split_correct(answers):
        reason = disguise(candidate, answer, vs)
        if reason:
            return reason
    return ""


def same_word_reason(candidate: str, answers, vs=None) -> str:
    """Like leak_reason, but containment does not count: for answers of one kanji (師 would
    otherwise hide in 講師 and 医師, which are other words)."""
    for answer in split_correct(answers):
        reason = disguise(candidate, answer, vs)
        if reason and reason != "contains":
            return reason
    return ""


def is_leak(candidate: str, answers, vs=None) -> bool:
    return bool(leak_reason(candidate, answers, vs))


def loanword(english: str) -> str:
    """The katakana loanword SudachiPy reads an English word as (dog -> ドッグ), or "".

    A katakana spelling of the English word itself is a correct answer of a kind, so it leaks.
    """
    english = clean(english)
    if not english or not LATIN_OR_DIGIT.search(english):
        return ""
    info = analyse(english)
    if info.morphemes != 1 or info.oov or not info.reading or not is_kana(info.reading):
        return ""
    return info.reading


# ---------------------------------------------------------------- a real word


def vector_key(word: str, vs) -> str:
    """The vocabulary entry of `word` as typed or respelled (not a stand-in neighbour), or ""."""
    word = clean(word)
    found = vs.find(word) if word and vs is not None else None
    return found.key if found is not None and found.how != "alias" else ""


def invalid_reason(candidate: str, vs=None) -> str:
    """Why `candidate` is not a usable Japanese word ("empty", "latin", "not_japanese", "not_word",
    "unknown", "grammar"), or "" when it is one."""
    word = clean(candidate)
    if not word:
        return "empty"
    if LATIN_OR_DIGIT.search(word):
        return "latin"
    if NOT_WORD.search(word):
        return "not_word"
    if not all(japanese.JAPANESE.search(c) or c in "々〆ヵヶ" for c in word):
        return "not_japanese"
    info = analyse(word)
    known = bool(vector_key(word, vs)) or (info.morphemes == 1 and not info.oov)
    if not known:
        return "unknown"
    if info.major_pos in GRAMMAR_POS:
        return "grammar"
    # A fragment starts with a small kana or a long-vowel mark, or is kana cut off at a small っ.
    if word[0] in "ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮーヽヾゝゞ々" or (is_kana(word) and word[-1] in "っッ"):
        return "not_word"
    return ""


def is_valid(candidate: str, vs=None) -> bool:
    return not invalid_reason(candidate, vs)


# ---------------------------------------------------------------- closeness


def answer_vector(word: str, vs):
    """Where an answer sits in the word vectors, as a unit vector: its own row; else the row the
    vectors map it to (chiVe's alias: 会計士 -> 税理士); else the mean of those parts of a kanji
    compound that have rows (提供者 -> 提供). None when none of these is known. So answers outside
    the vocabulary still have a neighbourhood."""
    import numpy as np

    word = clean(word)
    if vs is None or not word:
        return None
    found = vs.find(word)  # its own row, another spelling's, or its alias
    if found is not None:
        return vs.kv.get_vector(found.key, norm=True)
    # Only compounds with kanji are split: the pieces of a kana word (ぬばたま) are not its parts.
    parts = [p for p in japanese.parts(word) if p in vs and len(p) > 1] if not is_kana(word) else []
    if not parts:
        return None
    mean = np.mean([vs.kv.get_vector(p, norm=True) for p in parts], axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm else None


def closeness(candidate: str, answers, vs) -> float:
    """Cosine (-1..1) of `candidate` to the nearest correct answer in the word vectors; None if unmeasurable."""
    import numpy as np

    key = vector_key(candidate, vs)
    if not key:
        return None
    unit = vs.kv.get_vector(key, norm=True)
    best = None
    for answer in split_correct(answers):
        other = answer_vector(answer, vs)
        if other is not None:
            value = float(np.clip(np.dot(unit, other), -1.0, 1.0))
            best = value if best is None else max(best, value)
    return best


def surface_similarity(candidate: str, answers) -> float:
    """1 - edits / longer length against the nearest correct answer (kana folded), 0..1."""
    from rapidfuzz.distance import Levenshtein

    values = [Levenshtein.normalized_similarity(fold(candidate), fold(a)) for a in split_correct(answers)]
    return max(values) if values else None
