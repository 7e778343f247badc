"""What the bundled dictionary data says an English word means in Japanese.

Two sources, both derived from JMdict (see data/samples/README.md):
  - the sample CSVs (distractors_train.csv, distractors_heldout.csv): English word -> its correct
    translations, most usual first;
  - the lexicon (lexicon_en_ja.csv): English word or short phrase -> every Japanese form of every
    entry glossed with it, usual entries (common or chiVe-known) first, rare ones in their own column.
Distractor mode uses them to know which answers must never come back in disguise; generation uses
them to give a model that expects an answer in its input (see engine.models.prompts) the usual one.
"""
import csv
from functools import lru_cache

from engine.core import paths
from engine.words import checks as check

SAMPLE_FILES = ("distractors_train.csv", "distractors_heldout.csv")
LEXICON_FILE = "lexicon_en_ja.csv"  # None: no lexicon (the benchmark's comparison row)
SPELLINGS_FILE = "kana_spellings.csv"  # written by tools/build_samples.py with the lexicon
RELATED_FILE = "related_ja.csv"  # JMdict antonyms and cross-references, by the same tool
KINDS_FILE = "kinds_ja.csv"  # Japanese word -> the English nouns it is a kind of, by the same tool


def _sample_rows(name: str) -> list:
    """The rows of a CSV in data/samples as dicts, or [] when there is no such file."""
    path = paths.SAMPLES_DIR / name if name else None
    if path is None or not path.exists():
        return []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@lru_cache(maxsize=1)
def _sample_dictionary() -> dict:
    """English word (lower case) -> correct translations, from the bundled sample CSVs."""
    found = {}
    for row in (row for name in SAMPLE_FILES for row in _sample_rows(name)):
        word = (row.get("Input") or "").strip().lower()
        if word:
            found.setdefault(word, [])
            found[word] += [a for a in check.split_correct(row.get("Correct")) if a not in found[word]]
    return found


def known_answers(english: str) -> list:
    """Correct translations that the bundled sample data lists for `english` (may be empty)."""
    return list(_sample_dictionary().get(check.clean(english).lower(), []))


@lru_cache(maxsize=1)
def _translations_of() -> dict:
    """Japanese word -> the English words whose correct translations list it (the reverse index)."""
    found = {}
    for english, answers in _sample_dictionary().items():
        for answer in answers:
            found.setdefault(answer, set()).add(english)
    return found


def synonyms(answers: list) -> list:
    """Words that translate the same English word as one of `answers` (食う for 食べる, via "eat"):
    in a quiz they would be right too. Only English words whose main (first) translation is the
    answer count: through "have" or "take", almost any verb would be a synonym of any other."""
    reverse, dictionary = _translations_of(), _sample_dictionary()
    found = []
    for answer in answers:
        for english in sorted(reverse.get(answer, ())):
            if dictionary[english][0] == answer:
                found += [w for w in dictionary[english] if w not in found]
    return found


def _english_key(english: str) -> str:
    """How the lexicon spells an English entry: lower case, single spaces, no leading "to "."""
    key = " ".join(check.clean(english).lower().split())
    return key[3:] if key.startswith("to ") else key


@lru_cache(maxsize=1)
def _lexicon() -> dict:
    """English word or phrase -> every Japanese form of the common JMdict entries glossed with it."""
    found = {}
    for row in _sample_rows(LEXICON_FILE):
        word = _english_key(row.get("English") or "")
        if word:
            usual = [w for w in (row.get("Japanese") or "").split("|") if w]
            found[word] = (usual, [w for w in (row.get("Rare") or "").split("|") if w])
    return found


def lexicon_answers(english: str) -> list:
    """Every Japanese form the bundled lexicon lists for `english`, usual entries first (may be empty)."""
    usual, rare = _lexicon().get(_english_key(english), ([], []))
    return usual + rare


def usual_answers(english: str) -> list:
    """The lexicon's forms of common (or chiVe-known) entries for `english`; the rare ones when it has no other."""
    usual, rare = _lexicon().get(_english_key(english), ([], []))
    return list(usual or rare)


def senses(english: str) -> list:
    """The different words the dictionaries give for `english`, main sense first (coma: 昏睡, コマ).
    A kana form that spells an earlier form's reading, or another spelling of the same word, is
    left out (こんすい after 昏睡, 吹きだまり after 吹き溜まり)."""
    return list(_senses(english))


@lru_cache(maxsize=4096)  # asked twice per word by the Try tab (the distractors, then the choices)
def _senses(english: str) -> tuple:
    kept, seen = [], set()
    for form in known_answers(english) + usual_answers(english):
        info = check.analyse(form)
        keys = {check.fold(form), check.fold(info.reading or form), info.normalized or form}
        if not keys & seen:
            kept.append(form)
        seen |= keys
    return tuple(kept)


@lru_cache(maxsize=1)
def _kana_spellings() -> dict:
    return {row["Kanji"]: row["Kana"] for row in _sample_rows(SPELLINGS_FILE) if row.get("Kanji") and row.get("Kana")}


@lru_cache(maxsize=1)
def _related() -> dict:
    return {row["Japanese"]: row["Related"].split("|") for row in _sample_rows(RELATED_FILE) if row.get("Related")}


def related(word: str) -> list:
    """The dictionary's neighbours of a Japanese word: the antonyms, then the cross-references of
    its main sense in JMdict (暑い: 寒い; 右: 左)."""
    return list(_related().get(check.clean(word), []))


@lru_cache(maxsize=1)
def _kinds() -> dict:
    return {row["Japanese"]: set(row["Kinds"].split("|")) for row in _sample_rows(KINDS_FILE) if row.get("Kinds")}


def kinds(word: str) -> set:
    """The English nouns JMdict says a Japanese word is a kind of (パグ: dog; 松: tree; 自動車: vehicle)."""
    return set(_kinds().get(check.clean(word), ()))


@lru_cache(maxsize=1)
def _glosses() -> dict:
    """Japanese form -> the one-word English words whose usual translation it is: the lexicon's first
    form for them (犬: dog, not spy; the lexicon lists main senses and common words first)."""
    found = {}
    for english, (forms, _rare) in _lexicon().items():
        if " " not in english and forms:
            found.setdefault(forms[0], set()).add(english)
    return found


def usual_translations():
    """Every Japanese word that is the usual (first) translation of some one-word English entry (a view)."""
    return _glosses().keys()


def glosses(word: str) -> set:
    """The one-word English words the bundled lexicon translates first with `word` (犬: dog; 木: tree)."""
    return set(_glosses().get(check.clean(word), ()))


BROAD_GLOSS = 90  # an English gloss with more forms than this ("thing", "take") says little about a word


@lru_cache(maxsize=1)
def _glossed_by() -> dict:
    """Japanese form -> every English word or phrase of the lexicon that lists it (the reverse dictionary)."""
    found = {}
    for english, (usual, rare) in _lexicon().items():
        for form in usual + rare:
            found.setdefault(form, set()).add(english)
    return found


def gloss_set(word: str) -> set:
    """The English glosses of `word` in the lexicon, leaving out the broad ones (BROAD_GLOSS)."""
    lexicon = _lexicon()
    return {g for g in _glossed_by().get(check.clean(word), ()) if sum(map(len, lexicon[g])) <= BROAD_GLOSS}


@lru_cache(maxsize=1)
def _usual_forms() -> frozenset:
    return frozenset(form for usual, _rare in _lexicon().values() for form in usual)


def is_usual_word(word: str) -> bool:
    """Whether `word` is a form of a common (or chiVe-known) JMdict entry: a word a student meets."""
    return check.clean(word) in _usual_forms()


def is_dictionary_word(word: str) -> bool:
    """Whether `word` is a form of some JMdict entry (the lexicon lists every entry with an English gloss)."""
    word = check.clean(word)
    if not _lexicon():
        return True  # no lexicon loaded (the benchmark's comparison row): nothing to judge by
    return word in _glossed_by() or word in _kana_spellings().values()


def kind_relation(candidate: str, english: str, answers: list) -> str:
    """"narrower" when the dictionary says `candidate` is a kind of the quiz word or of an answer
    (パグ for dog), "broader" when an answer is a kind of `candidate` (木 for 松), else ""."""
    meant = {check.clean(english).lower()}.union(*(glosses(a) for a in answers))
    if kinds(candidate) & meant:
        return "narrower"
    wider = glosses(candidate)
    return "broader" if any(kinds(a) & wider for a in answers) else ""


def school_spelling(word: str) -> str:
    """`word` as schools write it: in kana when JMdict says it is usually written so (御八つ -> おやつ,
    the spelling SudachiPy and chiVe keep), else as it is."""
    return _kana_spellings().get(word, word)


def reload() -> None:
    """Forget the sample dictionary and lexicon (after SAMPLE_FILES or LEXICON_FILE changed, as the benchmark does)."""
    _sample_dictionary.cache_clear()
    _translations_of.cache_clear()
    _lexicon.cache_clear()
    _kana_spellings.cache_clear()
    _related.cache_clear()
    _kinds.cache_clear()
    _glosses.cache_clear()
    _glossed_by.cache_clear()
    _usual_forms.cache_clear()
    _senses.cache_clear()
