"""Build the distractor sample CSVs (English word -> plausible but wrong Japanese) from JMdict.

Each row is one common English content word (noun, verb or adjective):

    Input    the English word, e.g. ``dog``
    Output   a real, ordinary Japanese word of the same kind that is *not* a translation, e.g. 猫
    Correct  its correct translations, most usual first, joined by ``|``, e.g. 犬

Sources (all offline, read at tool time only; the app never needs them):

* JMdict through the ``jamdict`` + ``jamdict-data`` packages (JMdict 1.08 as packaged there,
  CC BY-SA 4.0, (c) the Electronic Dictionary Research and Development Group). The SQLite file
  that jamdict-data ships is read in bulk with ``sqlite3``; going entry by entry through
  jamdict's lookup API would be two orders of magnitude slower for the same tables.
* chiVe word vectors (Apache-2.0, Works Applications) as shipped inside ``ja-ginza``:
  20,000 vectors whose own words are the most frequent words of chiVe, plus ~460,000 rarer
  words that spaCy pruned onto their nearest kept vector. Only the 20,000 "owner" words are
  used: their vectors are their own, and being frequent they are ordinary words.

Why JMdict's own signals stand in for an English frequency list: no English frequency data is
installed here (no wordfreq, nltk or English spaCy model) and nothing can be downloaded. JMdict
gives two usable signals instead. (1) How often an English word serves as a gloss, weighted
towards first senses and first glosses: everyday English words (``eat``, ``dog``, ``big``) are
the gloss of many entries, rare ones of few. (2) Whether it translates a *common* Japanese entry
(priority tags news1/ichi1/spec1/spec2/gai1, nf01-nf48 ranks): a word that only glosses obscure
entries is not one a teacher quizzes. The ranking is the gloss count among common entries, with
the best nf rank as tie-breaker, so it favours words that are both frequent glosses and
translations of frequent Japanese words.

Written forms follow what Japanese readers expect: kanji forms tagged ateji, irregular or
out-dated (ateji, iK, io, oK) are never shown, kanji forms with priority tags are preferred, and
senses marked "usually written using kana alone" (uk) are shown in kana. (This JMdict release has
no rK/sK tags yet; the filters skip whatever it marks.)

How a wrong answer is chosen: the vector neighbours of the correct word, most similar first; the
first one that passes every filter below wins. The reasons for rejection are counted and printed.

    not_ordinary    not a common JMdict headword, or only in archaic/slang/derogatory senses
    letters         contains Latin letters, digits or symbols
    other_kind      has no sense of the same kind (noun / verb / adjective)
    translation     JMdict lists it as a translation of the English word (any sense, any kind)
    gloss_mentions  one of its English glosses contains the English word (子犬 "young dog")
    synonym         shares an English gloss with one of the correct translations
    same_reading    same reading as a correct translation (犬/いぬ/イヌ, homophones too)
    contains        contains or is contained in a correct translation or, for kana, its reading

Reproducibility: every ordering has an explicit tie-breaker, and the only randomness (the
train/held-out split) comes from a fixed seed. Two runs give byte-identical files.

Usage:
    python tools/build_samples.py                    # full set into data/samples/
    python tools/build_samples.py --limit 30 --out /tmp/s   # a quick slice

The runtime lexicon (lexicon_en_ja.csv, columns English, Japanese, Rare): for every English word or
short phrase (up to LEXICON_MAX_WORDS words) that is a whole gloss of a common JMdict entry, and every
single English word that glosses any entry, every Japanese form (kanji spellings and kana readings)
of every entry one of whose senses has that gloss, or the gloss with a leading "to " (verbs);
case-insensitive, every sense and label counted (召し上がる, honorific, is still "eat"). Japanese
holds the usual entries': common ones, or with a spelling among the 20,000 chiVe words, the words the
vectors can propose (食する "to eat" has no priority tag but is in chiVe); Rare the others' (スベタ
for "dog"), so that every word JMdict glosses has an answer (butler: 執事) and the reverse dictionary
knows every entry. The app treats all of them as correct answers, so わんこ
("dog; doggy") never comes back as a wrong answer for "dog". Order, which the app relies on when it
looks an answer up: native words before katakana loanwords, plain senses before labelled ones
(children's language, honorific, ...), common entries first, then the sense and gloss the word
appears in (core meanings first), then frequency in web text; within an entry the form a reader
expects for that sense comes first.
"""
from __future__ import annotations

import argparse
import collections
import csv
import dataclasses
import random
import re
import sqlite3
import sys
from pathlib import Path

import numpy as np

SEED = 20240601
TARGET_ROWS = 3000
HELDOUT_FRACTION = 0.10
QUICK_ROWS = 200          # sample_train.csv: a newcomer's first training in a few minutes
MAX_CORRECT = 4           # more alternatives than this are noise for a quiz
MAX_SENSE, MAX_GLOSS = 1, 2   # a translation counts when the word is in its first 2 senses, first 3 glosses
NEIGHBOURS = 80           # how deep to look into the vector neighbourhood
MIN_SIMILARITY = 0.30     # below this a neighbour is no longer plausible
LEXICON_FILE = "lexicon_en_ja.csv"
SPELLINGS_FILE = "kana_spellings.csv"  # kanji spelling -> the kana a school writes (JMdict "uk")
RELATED_FILE = "related_ja.csv"  # Japanese word -> its JMdict antonyms, then cross-references
KINDS_FILE = "kinds_ja.csv"  # Japanese word -> what it is a kind of, in English (パグ: dog)
KIND_SENSES = 2  # the senses whose glosses say what a word is a kind of (猫's third one is "geisha")
RELATED_SENSES = 1  # links of the main sense only: later senses drift off it (犬 "spy": 密告者)
LEXICON_MAX_WORDS = 3     # "look after" and "at first" are in; longer glosses are explanations
PREPOSITIONS = {"to", "of", "in", "on", "at", "for", "with", "from", "into", "about", "by"}
LEXICON_GLOSS = re.compile(r"[a-z][a-z'-]*(?: [a-z][a-z'-]*)*")

COMMON_TAGS = {"news1", "ichi1", "spec1", "spec2", "gai1"}
BAD_KANJI_INFO = {
    "ateji (phonetic) reading",
    "irregular okurigana usage",
    "word containing irregular kanji usage",
    "word containing out-dated kanji",
    "rarely-used kanji form",
    "search-only kanji form",
}
BAD_KANA_INFO = {
    "out-dated or obsolete kana usage",
    "word containing irregular kana usage",
    "rarely-used kana form",
    "search-only kana form",
}
# Senses carrying these labels are not material for a school quiz.
BAD_MISC = {
    "archaism", "obsolete term", "obscure term", "dated term", "derogatory", "vulgar expression or word",
    "sensitive", "slang", "Internet slang", "manga slang", "rare", "historical term", "abbreviation",
    "jocular, humorous term", "children's language", "poetical term", "colloquialism",
    "honorific or respectful (sonkeigo) language", "humble (kenjougo) language", "idiomatic expression",
    "proverb", "yojijukugo", "male term or language", "female term or language", "quotation",
}
UK = "word usually written using kana alone"
UNFIT = {"vulgar expression or word", "sensitive"}
# Nouns that mostly carry grammar (こと, ため, …) or are too vague to be a wrong answer.
LIGHT_NOUNS = {"こと", "もの", "ところ", "ため", "わけ", "はず", "つもり", "よう", "ほう", "とき", "うち",
               "なか", "かた", "ほか", "まま", "ぶん", "さま", "やつ", "あと", "まえ"}
# Verbs that mostly carry grammar (ている, になる, てしまう, …): as a wrong answer they read as noise.
# English words JMdict glosses with Japanese nouns although they are grammar words in English.
CLOSED_CLASS = set("""
a about above across after against ago all along also although am among an and another any are
around as at be because been before behind being below beneath beside besides between beyond both
but by can could despite did do does down during each either else enough even ever every except
few for from had has have he her here hers him his how however i if in inside into is it its
itself just least less like many may me might mine more most much must my near neither never no
nobody none nor not nothing now of off often on once one only onto or other others our ours out
outside over own per perhaps please quite rather same several shall she should since so some
something such than that the their theirs them then there these they this those though through
throughout till to too toward towards under unless until up upon us very via was we were what
whatever when whenever where whether which while who whom whose why will with within without
would yes yet you your yours amid amidst amongst whilst thus hence therefore nevertheless
""".split())
# Kept out of a data set meant for school quizzes.
OFF_TOPIC = {"sex", "sexual", "sexy", "nude", "naked", "erotic", "porn", "pornography", "prostitute",
             "prostitution", "drunk", "suicide", "murder", "rape"}
LIGHT_VERBS = {"する", "なる", "ある", "いる", "おる", "いう", "できる", "しまう", "やる", "ござる", "ちゃう",
               "くださる", "くれる", "いただく", "もらう", "おく"}

FILTERS = ("not_ordinary", "letters", "other_kind", "translation", "gloss_mentions", "synonym",
           "same_reading", "contains")
JAPANESE_ONLY = re.compile(r"[\u3041-\u3096\u30a1-\u30fa\u30fc\u3005\u4e00-\u9fff]+")
LOANWORD = re.compile(r"[\u30a1-\u30fa\u30fc]+")
KANJI = re.compile(r"[\u3005\u4e00-\u9fff]")
ENGLISH_WORD = re.compile(r"[a-z]{2,}")
ENGLISH_LETTERS = re.compile(r"[A-Za-z]+")
PARENS = re.compile(r"\([^()]*\)")
# "(variety of dog)", "(Japanese breed of dog)", "(species of cicada)": the word after "of" is the kind.
KIND_OF = re.compile(r"\((?:[^()]*? )?(?:kind|variety|breed|type|species|sort|genus) of (?:an? |the )?"
                     r"([a-z][a-z -]*?)[,;)]")


def sense_kind(pos: list[str]) -> str | None:
    """The coarse part of speech a quiz cares about, or None for everything else."""
    if any(p.startswith(("Godan verb", "Ichidan verb", "suru verb - special", "Kuru verb")) for p in pos):
        return "verb"
    if any(p.startswith(("adjective (keiyoushi)", "adjectival nouns")) for p in pos):
        return "adjective"       # i- and na-adjectives both translate English adjectives
    if "noun (common) (futsuumeishi)" in pos:
        return "noun"
    return None


def hiragana(text: str) -> str:
    return "".join(chr(ord(c) - 0x60) if "\u30a1" <= c <= "\u30f6" else c for c in text)


def subsequence(short: str, long: str) -> bool:
    """True when every character of `short` (two or more) occurs in `long` in the same order."""
    if len(short) < 2 or len(short) >= len(long):
        return False
    rest = iter(long)
    return all(c in rest for c in short)


def normalise_gloss(gloss: str) -> str:
    """'dog (Canis (lupus) familiaris)' -> 'dog'. Case stays: 'Japan' is a name, not a quiz word."""
    previous = None
    while previous != gloss:
        previous, gloss = gloss, PARENS.sub("", gloss)
    return " ".join(gloss.split())


# ---------------------------------------------------------------------------------------------
# JMdict
# ---------------------------------------------------------------------------------------------

@dataclasses.dataclass
class Form:
    text: str
    info: set
    pri: set
    restr: set = dataclasses.field(default_factory=set)   # kana: applies only to these kanji


@dataclasses.dataclass
class Sense:
    kind: str | None
    misc: set
    glosses: list            # normalised
    stagk: set
    adverbial: bool = False  # also an adverb: 結局 is a noun on paper, "after all" in use


@dataclasses.dataclass
class Entry:
    idseq: int
    kanji: list
    kana: list
    senses: list

    @property
    def rank(self) -> int:
        """Lower is more common: nfXX bands of 500 words, then other priority tags, then none."""
        best = 10**6
        for form in self.kanji + self.kana:
            for tag in form.pri:
                if tag.startswith("nf"):
                    best = min(best, int(tag[2:]) * 500)
                elif tag in COMMON_TAGS:
                    best = min(best, 30000)
                else:
                    best = min(best, 60000)
        return best

    @property
    def common(self) -> bool:
        return any(form.pri & COMMON_TAGS for form in self.kanji + self.kana)

    @property
    def basic(self) -> bool:
        """In the Ichimango basic-vocabulary list (ichi1), the words a learner meets first."""
        return any("ichi1" in form.pri for form in self.kanji + self.kana)

    def readings(self) -> set:
        return {hiragana(k.text) for k in self.kana}

    def display(self, sense: Sense) -> str | None:
        """The written form a Japanese reader expects for this sense."""
        kana = [k for k in self.kana if not k.info & BAD_KANA_INFO]
        kana.sort(key=lambda k: not k.pri)                       # stable: dictionary order next
        kanji = [k for k in self.kanji if not k.info & BAD_KANJI_INFO
                 and (not sense.stagk or k.text in sense.stagk)]
        kanji.sort(key=lambda k: not k.pri)
        if kanji and UK not in sense.misc:
            return kanji[0].text
        return kana[0].text if kana else None

    def all_texts(self) -> list:
        return [f.text for f in self.kanji + self.kana]


def jmdict_path() -> str:
    import jamdict_data
    return jamdict_data.JAMDICT_DB_PATH


def load_jmdict(path: str) -> dict[int, Entry]:
    """Read the JMdict tables jamdict-data ships into Entry objects, in dictionary order."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)

    def grouped(query):
        out = collections.defaultdict(set)
        for key, text in db.execute(query):
            out[key].add(text)
        return out

    kji, kjp = grouped("SELECT kid, text FROM KJI"), grouped("SELECT kid, text FROM KJP")
    kni, knp = grouped("SELECT kid, text FROM KNI"), grouped("SELECT kid, text FROM KNP")
    knr = grouped("SELECT kid, text FROM KNR")
    pos, misc = collections.defaultdict(list), grouped("SELECT sid, text FROM misc")
    for sid, text in db.execute("SELECT sid, text FROM pos ORDER BY rowid"):
        pos[sid].append(text)
    stagk = grouped("SELECT sid, text FROM stagk")
    glosses = collections.defaultdict(list)
    for sid, text in db.execute("SELECT sid, text FROM SenseGloss WHERE lang = 'eng' ORDER BY rowid"):
        glosses[sid].append(normalise_gloss(text))

    entries: dict[int, Entry] = {}
    for (idseq,) in db.execute("SELECT idseq FROM Entry ORDER BY idseq"):
        entries[idseq] = Entry(idseq, [], [], [])
    for idseq, kid, text in db.execute("SELECT idseq, ID, text FROM Kanji ORDER BY ID"):
        entries[idseq].kanji.append(Form(text, kji[kid], kjp[kid]))
    for idseq, kid, text in db.execute("SELECT idseq, ID, text FROM Kana ORDER BY ID"):
        entries[idseq].kana.append(Form(text, kni[kid], knp[kid], knr[kid]))
    for idseq, sid in db.execute("SELECT idseq, ID FROM Sense ORDER BY ID"):
        entries[idseq].senses.append(Sense(sense_kind(pos[sid]), misc[sid], glosses[sid], stagk[sid],
                                           any(p.startswith("adverb") for p in pos[sid])))
    db.close()
    return entries


def load_names(path: str) -> set:
    """Spellings that JMnedict (the names dictionary in the same file) lists as proper names."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    names = {text for (text,) in db.execute("SELECT text FROM NEKanji")}
    db.close()
    return names


def english_head(gloss: str, kind: str | None) -> str | None:
    """The single English word a gloss stands for: 'to run' -> 'run' for verbs, 'dog' for nouns."""
    if kind == "verb":
        if not gloss.startswith("to "):
            return None
        gloss = gloss[3:]
    elif gloss.startswith("to "):
        return None
    return gloss if ENGLISH_WORD.fullmatch(gloss) else None


@dataclasses.dataclass(order=True)
class Translation:
    sort_key: tuple
    entry: Entry = dataclasses.field(compare=False)
    sense: Sense = dataclasses.field(compare=False)


class Dictionary:
    """English -> Japanese and Japanese -> entry indexes over JMdict."""

    def __init__(self, entries: dict[int, Entry], text_rank: dict[str, int], names: set = frozenset()):
        self.entries = entries
        self.names = names
        self.text_rank = text_rank
        self.by_english: dict[str, list[Translation]] = collections.defaultdict(list)
        self.any_sense: dict[str, set] = collections.defaultdict(set)   # w -> idseqs, every kind
        self.by_text: dict[str, list[Entry]] = collections.defaultdict(list)
        for entry in entries.values():
            for text in dict.fromkeys(entry.all_texts()):
                self.by_text[text].append(entry)
            for si, sense in enumerate(entry.senses):
                for gi, gloss in enumerate(sense.glosses):
                    bare = gloss[3:] if gloss.startswith("to ") else gloss
                    self.any_sense[bare.lower()].add(entry.idseq)
                    word = english_head(gloss, sense.kind)
                    if word and sense.kind and not sense.misc & BAD_MISC:
                        # First senses and first glosses are the core meaning; among equals the
                        # word more frequent in everyday text wins: 頭 before 首脳 for "head".
                        key = (si, gi, self.usage_rank(entry), entry.idseq)
                        self.by_english[word].append(Translation(key, entry, sense))

    def usage_rank(self, entry: Entry) -> int:
        """Frequency rank in web text (chiVe's row order) of any spelling; JMdict's tags after."""
        # A lone kanji's count also holds its uses inside compounds (用 in 専用, 〜用), so it is
        # discounted; 頭 for "head" still comes first, 用 for "task" no longer does.
        ranks = [self.text_rank[t] * (3 if len(t) == 1 else 1) for t in entry.all_texts() if t in self.text_rank]
        return min(ranks) if ranks else len(self.text_rank) * 3 + entry.rank

    def gloss_weight(self, word: str) -> float:
        """How often the word glosses a common entry, first senses and first glosses counting most."""
        return sum(1.0 / (1 + t.sort_key[0] + t.sort_key[1])
                   for t in self.by_english[word] if t.entry.common)

    def best_usage(self, word: str) -> int:
        """Web-text frequency rank of the word's most frequent common translation."""
        return min((t.sort_key[2] for t in self.by_english[word] if t.entry.common
                    and t.sort_key[0] <= MAX_SENSE and t.sort_key[1] <= MAX_GLOSS), default=10**7)


def tied_ranks(words: list[str], key) -> dict[str, int]:
    """Rank of each word by `key`; equal keys share the best rank (no alphabetical advantage)."""
    ranks, previous, rank = {}, object(), 0
    for i, w in enumerate(sorted(words, key=key)):
        k = key(w)
        if k != previous:
            previous, rank = k, i
        ranks[w] = rank
    return ranks


def english_words(dic: Dictionary) -> list[str]:
    """Candidate English words, most common first (see the module docstring for why this way).

    Two ranks are multiplied, the second one counting twice: the rank by gloss weight, and the
    rank by how frequent the best Japanese translation (of a first sense) is. Either alone lets odd words in ("pathos" has a few common glosses;
    news ranks favour "prefecture"), and the gloss weight alone undervalues plain nouns with a
    single translation ("dog" glosses only 犬), which the second rank lifts.
    """
    words = sorted(w for w, ts in dic.by_english.items()
                   if any(t.entry.common for t in ts) and w not in CLOSED_CLASS | OFF_TOPIC)
    weight_rank = tied_ranks(words, lambda w: -round(dic.gloss_weight(w), 6))
    usage_rank = tied_ranks(words, dic.best_usage)
    ordered = sorted(words, key=lambda w: ((weight_rank[w] + 1) * (usage_rank[w] + 1) ** 2, w))
    # "ingredients" after "ingredient" would be the same quiz item twice.
    nouns = {w for w in words if any(t.sense.kind == "noun" for t in dic.by_english[w])}
    return [w for w in ordered
            if not (w.endswith("s") and (w[:-1] in nouns or (w.endswith("es") and w[:-2] in nouns)))]


# ---------------------------------------------------------------------------------------------
# Vectors
# ---------------------------------------------------------------------------------------------

class Neighbours:
    """The 20,000 chiVe vectors in ja-ginza that belong to their own word, cosine-normalised."""

    def __init__(self):
        import json

        import ja_ginza
        from spacy.strings import hash_string
        from spacy.vectors import Vectors

        vocab = sorted(Path(ja_ginza.__file__).parent.glob("ja_ginza-*/vocab"))[-1]
        vectors = Vectors().from_disk(vocab)
        names = {hash_string(s): s for s in json.loads((vocab / "strings.json").read_text("utf-8"))}
        # spaCy stores the kept (unpruned) keys first, one per row in row order; pruned keys
        # follow, pointing at their nearest kept row. Check that layout rather than trust it.
        owners = list(vectors.key2row.items())[: vectors.shape[0]]
        if [row for _, row in owners] != list(range(vectors.shape[0])):
            raise SystemExit("unexpected ja-ginza vector layout: cannot tell each row's own word")
        # Rows are in chiVe's frequency order (row 0 is の), so a row number is a frequency rank.
        self.words = [names.get(key, "") for key, _ in owners]
        self.row_of = {w: r for r, w in enumerate(self.words) if w}
        data = np.asarray(vectors.data, dtype=np.float32)
        self.unit = data / np.maximum(np.linalg.norm(data, axis=1, keepdims=True), 1e-9)

    def similar(self, row: int, n: int) -> list[tuple[str, float]]:
        scores = self.unit @ self.unit[row]
        scores[row] = -2.0
        # Stable sort on the negated score: ties fall back to row order, so runs agree.
        order = np.argsort(-scores, kind="stable")[:n]
        return [(self.words[i], float(scores[i])) for i in order]


# ---------------------------------------------------------------------------------------------
# Choosing rows
# ---------------------------------------------------------------------------------------------

@dataclasses.dataclass
class Row:
    english: str
    wrong: str
    correct: list
    similarity: float


def correct_translations(dic: Dictionary, word: str) -> tuple[str, list[Translation]] | None:
    """The kind of the word's best translation and the common translations of that kind."""
    # Core meanings only: the word among the first glosses of one of the first senses.
    usable = [t for t in sorted(dic.by_english[word])
              if t.entry.common and t.sort_key[0] <= MAX_SENSE and t.sort_key[1] <= MAX_GLOSS]
    if not usable:
        return None
    kind = usable[0].sense.kind
    chosen, seen = [], set()
    for t in usable:
        text = t.entry.display(t.sense)
        if len(text or "") == 1 and not t.entry.basic:
            continue                        # 途 for "way": a word part more than a word
        if t.sense.adverbial and kind != "verb":
            continue                        # かなり for "considerably": an adverb, not a content word
        if t.sense.kind == kind and text and JAPANESE_ONLY.fullmatch(text) and text not in seen:
            seen.add(text)
            chosen.append(t)
    # A katakana loanword (テクニカル for "technical") is the weakest answer for a quiz: native
    # words go first, and the first one is what the wrong answer is looked for next to.
    chosen.sort(key=lambda t: bool(LOANWORD.fullmatch(t.entry.display(t.sense))))
    return (kind, chosen[:MAX_CORRECT]) if chosen else None


class Chooser:
    def __init__(self, dic: Dictionary, vectors: Neighbours):
        self.dic, self.vectors = dic, vectors
        self.rejected = collections.Counter()
        self.skipped = collections.Counter()

    def vector_row(self, translations: list[Translation]) -> int | None:
        """Row of the first correct translation that has its own vector (any of its spellings).

        Grammar verbs (しまう) and lone kanji of many meanings (方, 用, 点) have vectors shaped by
        the phrases and compounds they build, so their neighbours are noise: they go last. A lone
        kanji whose first sense is just this word (頭 "head", 犬 "dog") keeps its place.
        """
        def noisy(t):
            vague = len(t.entry.display(t.sense)) == 1 and not (
                t.sort_key[:2] == (0, 0) and len(t.sense.glosses) <= 2)
            return vague or bool(t.entry.readings() & LIGHT_VERBS)
        for t in sorted(translations, key=noisy):
            for text in [t.entry.display(t.sense)] + t.entry.all_texts():
                if text in self.vectors.row_of:
                    return self.vectors.row_of[text]
        return None

    def candidate_entry(self, text: str, kind: str) -> tuple[Entry, Sense | None] | None:
        """The entry a vector word most likely stands for, and its first usable sense of `kind`.

        The likeliest meaning is settled before the kind is looked at: ない is 無い, not a rare
        reading of 地震, even when a noun is wanted.
        """
        options = []
        for entry in self.dic.by_text.get(text, []):
            senses = [s for s in entry.senses if not s.misc & BAD_MISC]
            if not entry.common or not senses:
                continue
            spelled = [f for f in entry.kanji + entry.kana if f.text == text]
            minor = not any(f.pri for f in spelled)     # 途 is a minor spelling of 道, and a word itself
            options.append((minor, entry.display(senses[0]) != text, entry.rank, entry.idseq, entry))
        if not options:
            return None
        entry = min(options, key=lambda o: o[:4])[-1]
        senses = [s for s in entry.senses if not s.misc & BAD_MISC]
        # Its main use must be of the kind: the first usable sense decides, and adverbs are out.
        if senses[0].kind != kind or senses[0].adverbial:
            return entry, None
        return entry, senses[0]

    def verdict(self, word: str, kind: str, correct: list[Translation], text: str):
        """None and the display form when the candidate passes, else the failing filter's name."""
        if not JAPANESE_ONLY.fullmatch(text):
            return "letters", None
        found = self.candidate_entry(text, kind)
        if found is None:
            return "not_ordinary", None
        entry, sense = found
        if len(text) == 1 and not entry.basic:
            return "not_ordinary", None     # lone kanji like 動 or 的 are mostly word parts
        if entry.readings() & (LIGHT_VERBS if kind == "verb" else LIGHT_NOUNS):
            return "not_ordinary", None
        if text in self.dic.names and not entry.basic:
            return "not_ordinary", None     # 堀江, 平野: in web text mostly a family or place name
        if any(s.misc & UNFIT for s in entry.senses):
            return "not_ordinary", None     # a wrong answer must not be a word a class giggles at
        if sense is None:
            return "other_kind", None
        shown = entry.display(sense)
        if not shown or not JAPANESE_ONLY.fullmatch(shown):
            return "letters", None
        if len(text) <= 2 and text == hiragana(text) and not KANJI.search(text):
            return "not_ordinary", None     # たい, てる: short hiragana tokens are grammar in chiVe
        if not KANJI.search(text) and KANJI.search(shown):
            return "not_ordinary", None     # chiVe spells words in kanji; kana てる is grammar, not 照る
        if entry.idseq in self.dic.any_sense.get(word, ()):
            return "translation", None
        # The word itself or a word of the same stem: 子犬 "young dog", ナチュラル "natural" for nature.
        mention = re.compile(rf"\b({re.escape(word)}\b|{re.escape(word[:max(4, len(word) - 2)])})", re.I)
        own_glosses = {g.lower() for s in entry.senses for g in s.glosses}
        if any(mention.search(g) for g in own_glosses):
            return "gloss_mentions", None
        # Only the main translation's glosses: rarer alternatives (召す "to eat; to drink; to
        # wear") would make every neighbour a synonym.
        if own_glosses & {g.lower() for g in correct[0].sense.glosses}:
            return "synonym", None
        if entry.readings() & {r for t in correct for r in t.entry.readings()}:
            return "same_reading", None
        for t in correct:
            right = t.entry.display(t.sense)
            if shown in right or right in shown or subsequence(right, shown) or subsequence(shown, right):
                return "contains", None     # 十二分 hides 十分
            if not KANJI.search(shown):     # kana output: compare with the answer's readings too
                kana = hiragana(shown)
                if any(len(r) > 1 and (kana in r or r in kana) for r in t.entry.readings()):
                    return "contains", None
        return None, shown

    def candidates(self, word: str):
        """(correct translations, wrong answers that pass) for a word, or None when it has no usable
        answer. The wrong answers come lazily as (shown form, similarity), nearest first."""
        found = correct_translations(self.dic, word)
        if found is None:
            self.skipped["no_common_translation"] += 1
            return None
        kind, correct = found
        row = self.vector_row(correct)
        if row is None:
            self.skipped["no_vector"] += 1
            return None
        return correct, self._passing(word, kind, correct, row)

    def _passing(self, word: str, kind: str, correct: list[Translation], row: int):
        lone = len(self.vectors.words[row]) == 1
        for text, score in self.vectors.similar(row, NEIGHBOURS):
            if score < MIN_SIMILARITY:
                break
            if lone and len(text) == 1:
                # Two lone kanji are close when they share compounds, not meaning (手 and 気).
                self.rejected["not_ordinary"] += 1
                continue
            reason, shown = self.verdict(word, kind, correct, text)
            if reason:
                self.rejected[reason] += 1
                continue
            yield shown, score

    def choose(self, word: str) -> Row | None:
        found = self.candidates(word)
        if found is None:
            return None
        correct, passing = found
        first = next(passing, None)
        if first is None:
            self.skipped["no_candidate_left"] += 1
            return None
        return Row(word, first[0], [t.entry.display(t.sense) for t in correct], first[1])


# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------

def write_csv(path: Path, rows: list[Row]) -> None:
    write_table(path, ["Input", "Output", "Correct"], ([r.english, r.wrong, "|".join(r.correct)] for r in rows))


def gloss_keys(gloss: str) -> list[str]:
    """The lexicon's English keys for one gloss: the gloss itself ("to run" -> "run"), without its
    notes in brackets ("to define (a term)" -> "define"), and the word a short phrase is built on
    ("to be thirsty" -> "thirsty", "to belong to" -> "belong", "the latter" -> "latter"), so plain quiz words find their entries."""
    found = []
    for text in (gloss.lower(), normalise_gloss(gloss.lower())):
        text = text[3:] if text.startswith("to ") else text
        words = text.split()
        if words[:1] in (["be"], ["the"], ["a"], ["an"]) and len(words) > 1:
            found.append(" ".join(words[1:]))
        if len(words) == 2 and words[1] in PREPOSITIONS:
            found.append(words[0])
        found.insert(0, text)
    return [k for k in dict.fromkeys(found) if LEXICON_GLOSS.fullmatch(k) and k.count(" ") < LEXICON_MAX_WORDS]


def lexicon(dic: Dictionary) -> list[tuple[str, list[str], list[str]]]:
    """(English, usual Japanese forms, rare ones) for every gloss of an entry; see the module docstring."""
    found: dict[str, dict[int, tuple]] = collections.defaultdict(dict)
    english = set()    # the words and phrases that gloss an entry (rare entries: single words)
    for entry in dic.entries.values():
        for si, sense in enumerate(entry.senses):
            for gi, raw in enumerate(sense.glosses):
                for gloss in gloss_keys(raw):
                    if not entry.common and " " in gloss:
                        continue  # rare entries: single words only (every word JMdict glosses gets an answer)
                    english.add(gloss)
                    shown = entry.display(sense) or entry.all_texts()[0]
                    key = (bool(LOANWORD.fullmatch(shown)), bool(sense.misc & BAD_MISC), not entry.common,
                           si, gi, dic.usage_rank(entry), entry.idseq)
                    if entry.idseq not in found[gloss] or key < found[gloss][entry.idseq][0]:
                        found[gloss][entry.idseq] = (key, shown)
    rows = []
    for word in sorted(english):
        forms: dict[str, None] = {}
        rare: dict[str, None] = {}
        for _key, shown in sorted(found[word].values(), key=lambda v: v[0]):
            entry = dic.entries[_key[-1]]
            usual = entry.common or any(t in dic.text_rank for t in entry.all_texts())
            (forms if usual else rare).update(dict.fromkeys([shown] + entry.all_texts()))
        rows.append((word, list(forms), [f for f in rare if f not in forms]))
    return rows


def write_lexicon(path: Path, rows: list[tuple[str, list[str], list[str]]]) -> None:
    write_table(path, ["English", "Japanese", "Rare"],
                ([english, "|".join(forms), "|".join(rare)] for english, forms, rare in rows))


def kana_spellings(entries: dict) -> list[tuple[str, str]]:
    """(kanji spelling, kana) for the words JMdict says are usually written in kana alone in their
    main sense (御八つ -> おやつ, 桜ん坊 -> さくらんぼ), among entries with any priority tag; when two
    entries share a spelling, the more common one decides."""
    found: dict[str, str] = {}
    ranked = sorted((e for e in entries.values() if e.rank < 10**6 and e.senses), key=lambda e: (e.rank, e.idseq))
    for entry in ranked:
        sense = entry.senses[0]
        shown = entry.display(sense)
        if UK not in sense.misc or not shown:
            continue
        for form in entry.kanji:
            if not form.info & BAD_KANJI_INFO:
                found.setdefault(form.text, shown)
    return sorted(found.items())


def sense_positions(db) -> dict:
    """Sense id -> (its entry, the sense's index in that entry), from the Sense table."""
    where = {}
    counts = collections.Counter()
    for idseq, sid in db.execute("SELECT idseq, ID FROM Sense ORDER BY ID"):
        where[sid] = (idseq, counts[idseq])
        counts[idseq] += 1
    return where


def related_words(path: str, entries: dict) -> list[tuple[str, str]]:
    """(Japanese form, related words) from the antonyms, then the cross-references, of the first
    senses of JMdict entries with any priority tag (暑い: 寒い; 兄: 弟): dictionary neighbours that
    distractor mode offers beside the vectors' (its leak rules still apply to them)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    where = sense_positions(db)
    links = collections.defaultdict(list)
    for kind, table in enumerate(("antonym", "xref")):
        for sid, text in db.execute(f"SELECT sid, text FROM {table} ORDER BY rowid"):
            idseq, index = where.get(sid, (None, RELATED_SENSES))
            if idseq is not None and index < RELATED_SENSES and entries[idseq].rank < 10**6:
                links[idseq].append((kind, index, text.split("・")[0]))
    db.close()
    found: dict[str, list] = {}
    for idseq in sorted(links):
        words = list(dict.fromkeys(word for _kind, _index, word in sorted(links[idseq])))
        for form in entries[idseq].all_texts():
            kept = found.setdefault(form, [])
            kept.extend(w for w in words if w not in kept and w != form)
    return sorted((form, "|".join(words)) for form, words in found.items() if words)


def kinds_of(gloss: str) -> set:
    """The English nouns a raw gloss says its word is a kind of: "pug (variety of dog)" -> dog, and
    the head of a short noun phrase, "pine tree" -> tree, "Japanese cedar" -> cedar."""
    found = {m.group(1).split()[-1] for m in KIND_OF.finditer(gloss)}
    words = normalise_gloss(gloss).split()
    if 2 <= len(words) <= 3 and words[-1].islower() and all(ENGLISH_LETTERS.fullmatch(w) and w.lower() not in CLOSED_CLASS for w in words):
        found.add(words[-1])
    return found - CLOSED_CLASS


def kinds(path: str, dic: "Dictionary") -> list[tuple[str, str]]:
    """(Japanese form, the English kinds its first senses' glosses name), for entries that are common
    or that the vectors can propose. Distractor mode keeps these words below the others when the
    kind is the quiz word (パグ, "variety of dog", is not a wrong answer for "dog")."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    sense_of = sense_positions(db)
    by_entry = collections.defaultdict(set)
    for sid, gloss in db.execute("SELECT sid, text FROM SenseGloss WHERE lang = 'eng' ORDER BY rowid"):
        idseq, index = sense_of[sid]
        if index < KIND_SENSES and not gloss.startswith("to "):
            by_entry[idseq] |= kinds_of(gloss)
    db.close()
    found = collections.defaultdict(set)
    for idseq, heads in by_entry.items():
        entry = dic.entries[idseq]
        if heads and (entry.common or any(t in dic.text_rank for t in entry.all_texts())):
            for form in entry.all_texts():
                found[form] |= heads
    return sorted((form, "|".join(sorted(heads))) for form, heads in found.items())


def write_table(path: Path, header: list[str], rows) -> None:
    """A plain UTF-8 CSV (no BOM, \\n line ends) with `header` and `rows`, as every data file here is written."""
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def split(rows: list[Row]) -> tuple[list[Row], list[Row]]:
    """Seeded held-out split; both halves keep the frequency order of `rows`."""
    indices = list(range(len(rows)))
    random.Random(SEED).shuffle(indices)
    held = set(indices[: max(1, round(len(rows) * HELDOUT_FRACTION))])
    return ([r for i, r in enumerate(rows) if i not in held], [r for i, r in enumerate(rows) if i in held])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("data/samples"), help="output folder")
    parser.add_argument("--limit", type=int, default=TARGET_ROWS, help="stop after this many rows")
    args = parser.parse_args(argv)

    vectors = Neighbours()
    dic = Dictionary(load_jmdict(jmdict_path()), vectors.row_of, load_names(jmdict_path()))
    chooser = Chooser(dic, vectors)
    words = english_words(dic)
    rows: list[Row] = []
    for word in words:
        if len(rows) >= args.limit:
            break
        row = chooser.choose(word)
        if row:
            rows.append(row)

    args.out.mkdir(parents=True, exist_ok=True)
    train, heldout = split(rows)
    write_csv(args.out / "distractors_train.csv", train)
    write_csv(args.out / "distractors_heldout.csv", heldout)
    write_csv(args.out / "sample_train.csv", train[:QUICK_ROWS])
    entries = lexicon(dic)
    write_lexicon(args.out / LEXICON_FILE, entries)
    write_table(args.out / SPELLINGS_FILE, ["Kanji", "Kana"], kana_spellings(dic.entries))
    write_table(args.out / RELATED_FILE, ["Japanese", "Related"], related_words(jmdict_path(), dic.entries))
    write_table(args.out / KINDS_FILE, ["Japanese", "Kinds"], kinds(jmdict_path(), dic))

    print(f"rows: {len(rows)} (train {len(train)}, held-out {len(heldout)}, "
          f"quick {min(QUICK_ROWS, len(train))})", file=sys.stderr)
    print(f"lexicon: {len(entries)} English words and phrases, "
          f"{(args.out / LEXICON_FILE).stat().st_size:,} bytes", file=sys.stderr)
    print("English words skipped: " + ", ".join(f"{k} {v}" for k, v in sorted(chooser.skipped.items())),
          file=sys.stderr)
    print("candidates rejected: " + ", ".join(f"{k} {chooser.rejected[k]}" for k in FILTERS), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
