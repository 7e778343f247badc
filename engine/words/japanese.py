"""Words from text: SudachiPy for Japanese, plain word splitting for everything else.

chiVe is keyed by SudachiPy's normalized forms, so the same analyser also turns what a person
types (ねこ, 綺麗, ＰＣ) into the spelling the vectors know (猫, 奇麗, PC).
"""
import re
import threading
import unicodedata

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")
LATIN_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
WORD_SEPARATORS = re.compile(r"[\s,，、;；]+")
SENTENCE_END = re.compile(r"(?<=[。！？!?])")
SKIPPED_POS = ("補助記号", "空白")  # punctuation and spaces carry no meaning worth a vector
CONTENT_POS = ("名詞", "動詞", "形容詞", "形状詞", "副詞", "代名詞")
HIRAGANA = re.compile(r"[\u3041-\u309f]+")
MAX_CHUNK_CHARS = 4000  # SudachiPy refuses inputs over 49,149 bytes; sentences are far shorter

_local = threading.local()  # a SudachiPy tokenizer must not be shared between threads


def sudachi():
    """This thread's SudachiPy tokenizer (mode C: the long units chiVe was trained on), or None."""
    if not hasattr(_local, "tokenizer"):
        try:
            from sudachipy import Dictionary, SplitMode

            _local.tokenizer = (Dictionary(dict="core").create(), SplitMode.C)
        except Exception:  # noqa: BLE001 - without SudachiPy we still split non-Japanese text
            _local.tokenizer = None
    return _local.tokenizer


def split_words(text: str) -> list:
    """Words a person typed into one box: separated by spaces, commas or 、."""
    return [w for w in WORD_SEPARATORS.split(text or "") if w]


def spellings(word: str) -> list:
    """Other spellings to try for a word missing from a vocabulary, most faithful first."""
    found = []
    nfkc = unicodedata.normalize("NFKC", word)
    found += [nfkc, nfkc.lower()]
    tokenizer = sudachi()
    if tokenizer:
        morphemes = tokenizer[0].tokenize(nfkc, tokenizer[1])
        if len(morphemes) == 1:
            found += [morphemes[0].normalized_form(), morphemes[0].dictionary_form()]
    return [s for i, s in enumerate(found) if s and s != word and s not in found[:i]]


def parts(word: str) -> list:
    """The words inside a compound (女王様 -> 女王, 様), normalized as chiVe spells them."""
    tokenizer = sudachi()
    if not tokenizer or not JAPANESE.search(word):
        return LATIN_WORD.findall(word.lower())
    morphemes = tokenizer[0].tokenize(unicodedata.normalize("NFKC", word), tokenizer[1])
    # Content words only, and no short all-hiragana pieces: those are mostly particles or
    # fragments of a word SudachiPy did not know (いぬっころ -> いぬ/っ/ころ).
    return [
        m.normalized_form() for m in morphemes
        if m.part_of_speech()[0] in CONTENT_POS and not (HIRAGANA.fullmatch(m.surface()) and len(m.surface()) < 3)
    ]


def tokenize_line(line: str) -> list:
    """One line of a corpus as a list of words.

    Japanese is cut by SudachiPy and each word is kept in its dictionary form (食べた -> 食べる) in
    the writer's own spelling: a small corpus cannot spare the counts that inflections would split,
    and people look up the spellings they wrote. Other text is split into lower-cased words.
    """
    tokenizer = sudachi()
    if not tokenizer or not JAPANESE.search(line):
        return LATIN_WORD.findall(line.lower())
    words = []
    for chunk in _chunks(line):
        for m in tokenizer[0].tokenize(chunk, tokenizer[1]):
            if m.part_of_speech()[0] not in SKIPPED_POS:
                words.append(m.dictionary_form() if JAPANESE.search(m.surface()) else m.surface().lower())
    return words


def _chunks(line: str):
    piece = ""
    for sentence in SENTENCE_END.split(line):
        while len(sentence) > MAX_CHUNK_CHARS:
            yield sentence[:MAX_CHUNK_CHARS]
            sentence = sentence[MAX_CHUNK_CHARS:]
        if len(piece) + len(sentence) > MAX_CHUNK_CHARS:
            yield piece
            piece = ""
        piece += sentence
    if piece.strip():
        yield piece


def fold(text: str) -> str:
    """A key for fuzzy matching: NFKC, lower case, hiragana turned into katakana (いぬ ~ イヌ)."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" else c for c in text)
