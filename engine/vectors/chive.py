"""The built-in Japanese vectors: chiVe as shipped inside the ja-ginza package, converted once.

chiVe (Works Applications, Apache License 2.0) is word2vec trained on the NINJAL Web Japanese
Corpus, keyed by SudachiPy's normalized forms (綺麗/きれい/キレイ are all stored as 奇麗). ja-ginza
ships a pruned copy: 20,000 rows × 300 dimensions and some 480,000 strings pointing at them.
Reading it needs spaCy (seconds), so we convert it once into our own store format
(vectors/chive/) and later loads read only numpy and JSON.

Which word a row is shown as. spaCy's `prune_vectors` kept the 20,000 most frequent words, each
with its own trained vector, stored in rank order; then it pointed every dropped word at the kept
row nearest to it. So the first key stored for a row is the word the vector was trained for (a
frequent word, in the spelling chiVe normalised to), and the other keys are different words that
merely landed nearby: 犬's row also holds 番犬 and 盲導犬, の's row holds "nada". So each row is
named by its first key, and the others are never listed as results. They stay usable as lookups
(aliases.json, read only when a word is missing), and the answer then says which stand-in was used.

That first key is SudachiPy's normalized spelling, which is sometimes not the one people write:
林檎, 醤油, 嬉しい, 椀子 (for わんこ). Schools and newspapers write a word in kana when its kanji is
outside the jōyō list, so such a word is shown in its kana reading (hiragana; katakana when the
reading has a long-vowel mark ー, as loanwords do) -- but only if SudachiPy reads that kana back as
the same word, which rejects wrong readings, and only for common words, not names. The normalized
spelling still finds the row (meta["respelled"]: normalized -> shown), as does anything SudachiPy
normalizes to it (リンゴ, りんご, 林檎).
"""
import importlib.util
import re
from pathlib import Path

import numpy as np

from engine.core.jsonio import read_json
from engine.core.messages import StudioError
from engine.vectors import sets
from engine.vectors.joyo import JOYO_KANJI

NAME = sets.BUILTIN_NAME
CONVERSION = 3  # bump when the conversion changes, so old caches are rebuilt
KANJI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
RESPELLED_POS = ("名詞", "動詞", "形容詞", "形状詞", "副詞", "代名詞", "連体詞", "接続詞", "感動詞")
CREDIT = {
    "name": "chiVe",
    "author": "Works Applications Co., Ltd.",
    "license": "Apache-2.0",
    "url": "https://github.com/WorksApplications/chiVe",
    "via": "ja-ginza (https://github.com/megagonlabs/ginza)",
}


def ginza_vocab_dir() -> Path:
    """ja_ginza/ja_ginza-<version>/vocab inside site-packages, or StudioError if not installed."""
    spec = importlib.util.find_spec("ja_ginza")
    if spec is None or not spec.submodule_search_locations:
        raise StudioError("vectors.chive_missing")
    package = Path(list(spec.submodule_search_locations)[0])
    found = sorted(package.glob("ja_ginza-*/vocab"), key=lambda p: _version_key(p.parent.name))
    if not found or not (found[-1] / "vectors").exists():
        raise StudioError("vectors.chive_missing")
    return found[-1]


def _version_key(folder_name: str) -> tuple:
    return tuple(int(n) for n in re.findall(r"\d+", folder_name))


def source_version(vocab_dir: Path) -> str:
    return vocab_dir.parent.name  # e.g. "ja_ginza-5.3.0"


def convert(vocab_dir: Path = None) -> tuple:
    """(shown words, matrix, aliases, respelled) from ja-ginza's spaCy vocab; see the module docstring."""
    from spacy.strings import StringStore
    from spacy.vectors import Vectors

    vocab_dir = vocab_dir or ginza_vocab_dir()
    table = Vectors()
    table.from_disk(vocab_dir)
    strings = StringStore()
    strings.from_disk(vocab_dir / "strings.json")
    rows = table.shape[0]
    heads = [None] * rows
    aliases = {}
    # key2row keeps the order it was saved in: the kept words in row order, then the dropped ones.
    for key, row in table.key2row.items():
        word = strings[key]
        if heads[row] is None:
            heads[row] = word
        else:
            aliases[word] = row
    missing = [row for row, word in enumerate(heads) if word is None]
    if missing:  # a row nobody points at cannot be named; keep the table square anyway
        for row in missing:
            heads[row] = f"<row{row}>"
    respelled = ordinary_spellings(heads)
    shown = [respelled.get(word, word) for word in heads]
    names = set(shown)  # a kana name may also be a dropped string; the row named so wins
    alias_words = {word: shown[row] for word, row in aliases.items() if word not in names}
    matrix = np.asarray(table.data, dtype=np.float32)
    return shown, matrix, alias_words, respelled


def ordinary_spellings(words: list) -> dict:
    """{normalized spelling: kana spelling} for the words better shown in kana (module docstring)."""
    from engine.words.japanese import sudachi

    tokenizer = sudachi()
    if tokenizer is None:
        return {}
    analyse = lambda s: tokenizer[0].tokenize(s, tokenizer[1])  # noqa: E731
    taken = set(words)
    respelled = {}
    for word in words:
        if not any(KANJI.match(c) and c not in JOYO_KANJI for c in word):
            continue
        morphemes = analyse(word)
        if len(morphemes) != 1:
            continue
        pos = morphemes[0].part_of_speech()
        reading = morphemes[0].reading_form()
        if pos[0] not in RESPELLED_POS or pos[1] == "固有名詞" or not reading or reading == word:
            continue
        kana = reading if "ー" in reading else _hiragana(reading)
        back = analyse(kana)
        if kana in taken or len(back) != 1 or back[0].normalized_form() != word:
            continue
        respelled[word] = kana
        taken.add(kana)
    return respelled


def _hiragana(katakana: str) -> str:
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in katakana)


def cache_folder() -> Path:
    return sets.sets_root() / NAME


def cache_is_current(folder: Path = None, vocab_dir: Path = None) -> bool:
    folder = folder or cache_folder()
    meta = read_json(folder / "meta.json") or {}
    if not sets.is_complete(folder) or meta.get("conversion") != CONVERSION:
        return False
    try:
        return meta.get("source_version") == source_version(vocab_dir or ginza_vocab_dir())
    except StudioError:
        return True  # ja-ginza uninstalled since: the cache is all we have, and still valid


def ensure_cache(force: bool = False) -> Path:
    """Convert chiVe into vectors/chive/ unless a current cache is already there; return the folder."""
    folder = cache_folder()
    if not force and cache_is_current(folder):
        return folder
    vocab_dir = ginza_vocab_dir()
    words, matrix, aliases, respelled = convert(vocab_dir)
    meta = {"kind": "chive", "conversion": CONVERSION, "source_version": source_version(vocab_dir),
            "credit": CREDIT, "origin": str(vocab_dir), "respelled": respelled}
    try:
        with sets.staging(NAME, replace=True) as tmp:
            sets.write_set(tmp, words, matrix, meta, aliases=aliases)
    except (OSError, StudioError):
        if not cache_is_current(folder):  # another process won the race; its copy is as good
            raise
    return folder
