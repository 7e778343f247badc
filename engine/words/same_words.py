"""Words kept so far, indexed for the duplicate check of a candidate list (engine.distractors.ranking):
the same word in another spelling, by the rules of engine.words.checks.disguise."""
from engine.words.checks import SAME_SOUND_COSINE, analyse, clean, fold, is_kana, vector_key


class SameWords:
    """Words kept so far, indexed so that `seen` tells, without comparing with each of them, whether a
    word is one of them in another spelling: what `disguise` calls "same", "script", "form" or
    "vector" (a list of 300 neighbours is checked in milliseconds, not in 45,000 comparisons)."""

    def __init__(self, vs=None):
        self.vs = vs
        self.texts, self.folds, self.normals, self.heads, self.keys = set(), set(), set(), set(), set()
        self.readings = {}  # reading -> [(kana-only spelling?, vector key)]

    def add(self, word: str) -> None:
        text, info = clean(word), analyse(word)
        key = vector_key(text, self.vs) if self.vs is not None else ""
        self.texts.add(text)
        self.folds.add(fold(text))
        if info.normalized:
            self.normals.add(info.normalized)
            self.heads.add(info.headword)
        if info.reading:
            self.readings.setdefault(info.reading, []).append((is_kana(text), key))
        if key:
            self.keys.add(key)

    def seen(self, word: str) -> bool:
        text, info = clean(word), analyse(word)
        if text in self.texts or fold(text) in self.folds:
            return True
        if info.normalized and (info.normalized in self.normals or info.headword in self.heads
                                or info.normalized in self.texts or text in self.normals):
            return True
        key = vector_key(text, self.vs) if self.vs is not None else ""
        if key in self.keys:
            return True
        return any(self._same_sound(text, key, kana, other) for kana, other in self.readings.get(info.reading, ()))

    def _same_sound(self, text: str, key: str, other_kana: bool, other_key: str) -> bool:
        if is_kana(text) or other_kana:
            return True  # a kana spelling with the same reading is the same word
        return bool(key and other_key) and self.vs.kv.similarity(key, other_key) >= SAME_SOUND_COSINE
