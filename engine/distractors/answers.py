"""The answers of a distractor row: the one given, or the one the bundled data knows (its main
sense, one the vectors can place), and every word that would be that answer in disguise (see the
leak rules in engine.distractors.making's docstring)."""
from engine.core.messages import StudioError, listing
from engine.words import checks as check
from engine.words.lexicon import known_answers, lexicon_answers, senses, synonyms


def sense_answer(english: str, number: int) -> str:
    """The answer of the word's `number`-th meaning (1 = the main one; see lexicon.senses)."""
    found = senses(english)
    if not 1 <= number <= len(found):
        raise StudioError("distractors.bad_sense", word=english, number=number, count=len(found),
                          senses=listing(found) or "—")
    return found[number - 1]


def lexicon_leaks(english: str) -> list:
    """The lexicon's forms for the leak check; one-kana readings (ひ for 緋) are left to the reading rules."""
    return [w for w in lexicon_answers(english) if len(w) > 1 or not check.is_kana(w)]


def lookup_from_lexicon(forms: list, vs) -> list:
    """The correct answer for a word typed without one: the lexicon's first form (its main sense:
    coma -> 昏睡, not コマ) that the vectors can place, by its own row, its alias or its parts."""
    placed = [w for w in forms if check.answer_vector(w, vs) is not None] if vs is not None else []
    return (placed or forms)[:1]


def prepare(english, correct, use_samples: bool) -> dict:
    """One row's answers ("anchors"), where they come from, and the words that would leak them."""
    english = check.clean(english)
    given = check.split_correct(correct)
    listed = known_answers(english) if use_samples and english else []
    lexicon = lexicon_leaks(english) if use_samples and english else []
    if given:
        anchors, origin = given, "input"
    elif listed:
        anchors, origin = listed, "samples"
    elif lexicon:
        anchors, origin = [], "lexicon"  # chosen by resolve_lexicon, once the vectors are known
    else:
        anchors, origin = [], ""
    related = synonyms(anchors + listed) if use_samples else []
    leaks = list(dict.fromkeys(anchors + listed + related + [w for w in lexicon if len(w) > 1]
                               + [w for w in [check.loanword(english)] if w]))
    whole = [w for w in lexicon if len(w) == 1 and w not in leaks]  # one kanji: the same word only
    return {"english": english, "anchors": anchors, "leaks": leaks, "whole": whole, "origin": origin,
            "lexicon": lexicon}


def resolve_lexicon(row: dict, vs) -> dict:
    """A row whose answer comes from the lexicon gets it now, once the vectors are known."""
    if row["origin"] != "lexicon":
        return row
    anchors = lookup_from_lexicon(row["lexicon"], vs)  # it leaks by every rule, like a typed one
    return {**row, "anchors": anchors, "leaks": list(dict.fromkeys(anchors + row["leaks"])),
            "whole": [w for w in row["whole"] if w not in anchors]}


def placed(answer: str, english: str, vs) -> str:
    """Where to look for an answer's neighbours: a kana answer by its kanji spelling that the lexicon
    lists for the same English word and the vectors hold (おい -> 甥 for nephew, いとこ -> 従兄弟):
    kana alone lands on another word of the same sound (おい, "hey"); a kana answer the vectors lack
    by another translation of the word (ほのめかす -> 暗示する's 暗示). Otherwise the answer itself."""
    if vs is None or not check.is_kana(answer):
        return answer
    reading, forms = check.fold(answer), lexicon_answers(english)
    for form in forms:
        if not check.is_kana(form) and check.analyse(form).reading == reading and check.vector_key(form, vs):
            return form
    if check.vector_key(answer, vs):
        return answer
    # Not in the vectors at all (ほのめかす): the nearest place is another translation of the same word.
    pos = check.analyse(answer).slot_pos
    return next((f for f in forms if check.vector_key(f, vs) and check.analyse(f).slot_pos == pos), answer)
