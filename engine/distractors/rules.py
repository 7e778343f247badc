"""The teacher's rules: what the judged labels (data/judged, docs/distractor-rubric.md) show a teacher
never prints, applied to every candidate of every source after the leak rules.

  - a proper noun (SudachiPy's 固有名詞: 西武, 青木, 京セラ) is not a vocabulary option;
  - only whole dictionary words: a spelling that is no form of any JMdict entry (いけメン, テースト)
    is a fragment or an odd spelling;
  - the answer's slot: a な-adjective answer (有名な) takes な-adjectives, shown with な (簡単な); a
    する-verb answer (勉強する) takes nouns that take する, shown with する (練習する); an answer typed
    with の (母国の) takes nouns, shown with の; a 〜的 answer
    takes 〜的 words or な-adjectives; a person (歯医者, 活動家) takes a person;
  - the reverse dictionary check: a candidate that shares a JMdict gloss with an answer means the
    same (左側 and 左 are both "left"): a second right answer.
Between the options of one question (engine.distractors.ranking.pick_ranked): no two that share a gloss
(晩飯 and 夕食, both "dinner"), since a student strikes both.
"""
from functools import lru_cache

from engine.words import checks as check
from engine.words.lexicon import gloss_set, is_dictionary_word

PERSON_ENDINGS = set("者人家士師員手官医婦客")
ADJECTIVAL = ("形状詞",)
NA, SURU, NO = "な", "する", "の"
ENDINGS = (SURU, NA, NO)  # the forms an answer may be typed in: 有名な, 勉強する, 母国の
FORMS = {"na": NA, "suru": SURU, "no": NO}  # slot -> the ending its options are shown with


def slot(answer: str) -> str:
    """The kind of slot an answer fills: "na" (有名な, 国際的な), "suru" (勉強する), "no" (母国の), "teki" (国際的),
    "person" (歯医者), or "" (anything of the answer's part of speech)."""
    answer = check.clean(answer)
    stem = base(answer)
    info = check.analyse(stem)
    if answer.endswith(NA) and stem != answer and (_adjectival(info) or stem.endswith("的")):
        return "na"
    if answer.endswith(NO) and stem != answer and info.major_pos == "名詞":
        return "no"
    if stem.endswith("的"):
        return "teki"
    if answer.endswith(SURU) and stem != answer and _takes_suru(info):
        return "suru"
    if len(stem) > 1 and stem[-1] in PERSON_ENDINGS and info.slot_pos == "名詞":
        return "person"
    return ""


def base(answer: str) -> str:
    """The word without the な, する or の of its form (有名な -> 有名), when SudachiPy reads that ending
    as a word of its own: さかな, おとな and もの keep theirs."""
    for ending in ENDINGS:
        if answer.endswith(ending) and len(answer) > len(ending) and _last_morpheme(answer) == ending:
            return answer[: -len(ending)]
    return answer


@lru_cache(maxsize=50000)
def _last_morpheme(word: str) -> str:
    from engine.words import japanese

    tokenizer = japanese.sudachi()
    morphemes = tokenizer[0].tokenize(word, tokenizer[1]) if tokenizer is not None and word else []
    return morphemes[-1].surface() if len(morphemes) > 1 else ""


def _adjectival(info) -> bool:
    return info.major_pos in ADJECTIVAL or info.pos[1:2] == ("普通名詞",) and _minor(info) == "形状詞可能"


def _takes_suru(info) -> bool:
    return info.major_pos == "名詞" and _minor(info) in ("サ変可能", "サ変形状詞可能")


def _minor(info) -> str:
    return pos_detail(info.text)


@lru_cache(maxsize=50000)
def pos_detail(word: str) -> str:
    """SudachiPy's third level of a one-morpheme word's part of speech (サ変可能, 形状詞可能, 一般), or ""."""
    from engine.words import japanese

    tokenizer = japanese.sudachi()
    if tokenizer is None or not word:
        return ""
    morphemes = tokenizer[0].tokenize(word, tokenizer[1])
    return morphemes[0].part_of_speech()[2] if len(morphemes) == 1 else ""


def fits_slot(word: str, kind: str) -> bool:
    """Whether `word` (as the vectors or a model spell it, without な or する) can fill a slot of `kind`."""
    stem = base(check.clean(word)) if kind in FORMS else check.clean(word)
    info = check.analyse(stem)
    if kind == "teki":
        return stem.endswith("的") or info.major_pos in ADJECTIVAL
    if kind == "na":
        return _adjectival(info) or stem.endswith("的")
    if kind == "suru":
        return _takes_suru(info)
    if kind == "no":
        return info.major_pos == "名詞" and info.pos[1:2] != ("固有名詞",)
    if kind == "person":
        return len(stem) > 1 and stem[-1] in PERSON_ENDINGS and info.major_pos == "名詞"
    return True


def shown(word: str, kind: str) -> str:
    """`word` in the answer's form: 簡単 -> 簡単な beside 有名な, 練習 -> 練習する beside 勉強する."""
    stem = base(word) if kind in FORMS else word
    return stem + FORMS[kind] if kind in FORMS and fits_slot(stem, kind) else word


def reason(word: str, answers: list, kind: str) -> str:
    """Why a teacher would not print `word` for these answers ("" when the rules let it through)."""
    info = check.analyse(word)
    if info.pos[1:2] == ("固有名詞",):
        return "proper_noun"
    if not is_dictionary_word(word):
        return "not_in_dictionary"
    if not fits_slot(word, kind):
        return "slot"
    if shares_gloss(word, answers):
        return "same_gloss"
    return ""


def shares_gloss(word: str, others: list) -> bool:
    """Whether `word` and one of `others` translate one English gloss (左側 and 左: "left")."""
    mine = gloss_set(base(word))
    return bool(mine) and any(mine & gloss_set(base(other)) for other in others)
