"""Kinds of the answer (hyponyms, hypernyms) and the words sharing a compound answer's last kanji."""
import pytest

from engine.distractors import making, ranking
from engine.words import checks
from engine.words.lexicon import glosses, kind_relation, kinds
from tests.chive_fixtures import chive_cache, chive_home  # noqa: F401 - fixtures


@pytest.fixture
def vs(chive_home):
    from engine.vectors import sources

    return sources.load_vectors()


def test_the_dictionary_says_what_a_word_is_a_kind_of():
    assert "dog" in kinds("パグ") and "tree" in kinds("松") and "vehicle" in kinds("自動車")
    assert glosses("犬") == {"dog"}  # its usual sense only: not "spy"
    assert kind_relation("パグ", "dog", ["犬"]) == "narrower"
    assert kind_relation("木", "pine", ["松"]) == "broader"
    assert kind_relation("猫", "dog", ["犬"]) == ""


def test_kinds_of_dog_come_after_every_other_distractor(chive_home, vs):
    found = making.make_distractors("dog", "犬", n=20)
    texts = [d.text for d in found.distractors]
    assert len(texts) == 20
    for kind in ("パグ", "チワワ", "コーギー", "プードル"):  # パグ by its gloss, the others as its family
        assert kind not in texts, texts


def test_kinds_are_offered_last_when_nothing_else_is_left(vs):
    cands = [ranking.Candidate(w, "vectors", key=w, score=s)
             for w, s in [("パグ", 0.9), ("猫", 0.7), ("チワワ", 0.8), ("ペット", 0.6)]]
    ranking.mark_kinds(cands, "dog", ["犬"], vs)
    assert {c.text: c.kind for c in cands} == {"パグ": "narrower", "猫": "", "チワワ": "family", "ペット": ""}
    assert [c.text for c in ranking.pick(cands, 3, vs)] == ["猫", "ペット", "パグ"]


def test_a_kind_that_fills_the_list_is_named_in_the_notes():
    picked = [ranking.Candidate("猫", "vectors"), ranking.Candidate("パグ", "vectors", kind="narrower")]
    notes = making._choice_notes(picked, 2)
    assert any("パグ" in note for note in notes) and any("単語ベクトル 2" in note for note in notes)


def test_words_sharing_the_answers_last_kanji_are_candidates(vs):
    found = [c.text for c in ranking.head_mates(["会計士"], vs)]
    assert found and all(w.endswith("士") and w != "会計士" for w in found)
    assert "力士" not in found  # a sumo wrestler shares the kanji, not the sort
    assert "弁護士" in found[:ranking.HEAD_MATES]
    assert ranking.head_mates(["食べる"], vs) == []  # no kanji at the end: nothing to share
    for word in found:
        assert checks.analyse(word).major_pos == checks.analyse("会計士").major_pos
