"""The teacher's rules (engine.distractors.rules), the ranker learned from the judged set, and an
answer for every word the dictionary glosses. Each test fails on the code before the judged loop."""
import json
import subprocess
import sys

import pytest

from engine.core import paths
from engine.distractors import gathering, judged, making, ranker, ranking, rules
from engine.words import checks, lexicon
from tests.chive_fixtures import chive_cache, chive_home  # noqa: F401 - fixtures


# Judged or benchmark words that no JMdict gloss names, checked by hand in jamdict-data 1.5.
NOT_GLOSSED = {"define", "pronounce", "emigrate", "amaze", "disappoint", "advertise", "illustrate", "evaporate"}


@pytest.fixture
def vs(chive_home):
    from engine.vectors import sources

    return sources.load_vectors()


def gathered(english, answer, words, vs, source="t5"):
    """What gather keeps and drops of `words` offered by `source` (no vectors' own neighbours)."""
    row = {"english": english, "anchors": [answer], "leaks": [answer], "whole": [], "origin": "input"}
    cands = [ranking.Candidate(w, source, model_score=0.0) for w in words]
    kept, dropped = making.gather(row, [], None, True) if not cands else _with(row, cands, vs)
    return [c.text for c in kept], {d["text"]: d["reason"] for d in dropped}, kept


def _with(row, cands, vs):
    kept, dropped = ranking.filter_candidates(cands, row["leaks"], row["anchors"], vs)
    kept, dropped, misfits = gathering._teacher_rules(kept, dropped, row["anchors"])
    for cand in misfits:
        cand.kind = "slot"
    return kept, dropped


# ---------------------------------------------------------------- each rule


def test_proper_nouns_are_out_from_every_source(vs):
    kept, dropped, _ = gathered("company", "会社", ["西武", "京セラ", "工場"], vs)
    assert kept == ["工場"]
    assert dropped == {"西武": "rule:proper_noun", "京セラ": "rule:proper_noun"}
    assert rules.reason("青木", ["鈴木"], "") == "proper_noun"


def test_only_whole_dictionary_words(vs):
    assert rules.reason("いけメン", ["美男"], "") == "not_in_dictionary"
    assert rules.reason("ぼ", ["穴"], "") == "not_in_dictionary"
    assert rules.reason("猫", ["犬"], "") == ""
    assert lexicon.is_dictionary_word("首輪") and not lexicon.is_dictionary_word("いけメン")


def test_a_na_adjective_answer_gets_na_adjectives_shown_with_na(vs):
    assert rules.slot("有名な") == "na" and rules.slot("国際的な") == "na"
    assert rules.fits_slot("簡単", "na") and not rules.fits_slot("歴史", "na")
    assert rules.shown("簡単", "na") == "簡単な"
    found = making.make_distractors("famous", "有名な", n=5, fallback=False)
    assert len(found.distractors) == 5
    assert all(d.text.endswith("な") for d in found.distractors), found.distractors


def test_a_suru_verb_answer_gets_suru_verbs(vs):
    assert rules.slot("勉強する") == "suru"
    assert rules.fits_slot("練習", "suru") and not rules.fits_slot("参考書", "suru")
    found = making.make_distractors("study", "勉強する", n=5, fallback=False)
    assert all(d.text.endswith("する") for d in found.distractors), found.distractors
    assert all(rules.fits_slot(d.text, "suru") for d in found.distractors)


def test_a_teki_answer_and_a_person_answer_keep_their_slot(vs):
    assert rules.slot("国際的") == "teki" and rules.fits_slot("社会的", "teki") and not rules.fits_slot("各国", "teki")
    assert rules.slot("歯医者") == "person"
    assert rules.fits_slot("獣医", "person") and not rules.fits_slot("虫歯", "person")
    kept, dropped, cands = gathered("dentist", "歯医者", ["獣医", "内科", "虫歯"], vs)
    chosen = ranking.pick(cands, 3, vs)
    assert [c.text for c in chosen][0] == "獣医"  # the places come after the person


def test_a_row_still_holds_n_when_the_slot_is_narrow(vs):
    found = making.make_distractors("accountant", "会計士", n=5, fallback=False)
    assert len(found.distractors) == 5


def test_reverse_dictionary_a_shared_gloss_is_a_second_right_answer(vs):
    assert lexicon.gloss_set("貫禄") & lexicon.gloss_set("威厳")
    assert rules.reason("貫禄", ["威厳"], "") == "same_gloss"
    kept, dropped, _ = gathered("dignity", "威厳", ["貫禄", "謙虚"], vs)
    assert dropped.get("貫禄") == "rule:same_gloss" and "謙虚" in kept


def test_no_two_options_of_a_question_share_a_gloss(vs):
    cands = [ranking.Candidate(w, "vectors", score=s, key=checks.vector_key(w, vs))
             for w, s in (("晩飯", 0.9), ("夕食", 0.8), ("朝食", 0.7))]
    chosen = [c.text for c in ranking.pick_ranked(cands, [], 2, vs)]
    assert chosen == ["晩飯", "朝食"]


# ---------------------------------------------------------------- an answer for every word


@pytest.mark.parametrize("word", ["butler", "detector", "poetic", "philosophical", "productive", "avatar",
                                  "apocalypse"])
def test_words_the_old_lexicon_lacked_now_have_an_answer(vs, word):
    found = making.make_distractors(word, "", n=5)
    assert found.correct and found.correct_from == "lexicon"
    assert len(found.distractors) == 5


def test_every_judged_and_benchmark_word_jmdict_glosses_has_a_dictionary_answer():
    """The lexicon covers every entry; the words left are those no JMdict gloss names (定義 is
    glossed "definition", never "to define")."""
    import pandas as pd

    bench = pd.read_csv(paths.SAMPLES_DIR / "distractors_benchmark.csv")["Input"].tolist()
    words = [w["English"] for w in judged.words()] + bench
    assert {w for w in words if not lexicon.lexicon_answers(w)} <= NOT_GLOSSED
    assert lexicon.lexicon_answers("thirsty") and lexicon.lexicon_answers("belong")  # "to be thirsty", "to belong to"


def test_the_rare_entries_stay_out_of_the_meanings_offered():
    assert "スベタ" in lexicon.lexicon_answers("dog")  # a leak all the same
    assert "スベタ" not in lexicon.senses("dog")


# ---------------------------------------------------------------- the ranker


def test_the_shipped_ranker_matches_the_features_and_was_cross_validated():
    learned = json.loads(ranker.RANKER_FILE.read_text(encoding="utf-8"))
    assert tuple(learned["features"]) == ranker.features.NAMES
    assert ranker.weights() is not None
    assert learned["cross_validation"]["auc"] > 0.7  # better than chance by a margin
    eval_words = {w["English"] for w in judged.words("eval")}
    assert 250 <= learned["words"] <= len(judged.words("dev")) and eval_words  # trained on dev words only


def test_the_ranker_prefers_what_teachers_printed(vs):
    """On the development words' labels: G candidates score above the others on average."""
    found = judged.labels()
    good, other = [], []
    for word in judged.words("dev")[:40]:
        row = making.resolve_lexicon(making.prepare(word["English"], word["Answer"], True), vs)
        kept = making.gather(row, [], vs, False)[0]
        ranker.rank(kept, word["English"], word["Answer"], rules.slot(word["Answer"]), vs)
        for cand in kept:
            label = judged.label_of(found, word["English"], lexicon.school_spelling(cand.text), word["Answer"])
            (good if label == "G" else other if label else []).append(cand.score)
    assert len(good) > 30 and sum(good) / len(good) > sum(other) / len(other) + 0.1


def test_ranker_training_is_deterministic(tmp_path):
    outs = []
    for k in range(2):
        out = tmp_path / f"r{k}.json"
        subprocess.run([sys.executable, "tools/train_ranker.py", "--limit", "12", "--out", str(out)],
                       cwd=paths.REPO_ROOT, check=True, capture_output=True, timeout=600)
        outs.append(out.read_text(encoding="utf-8"))
    assert outs[0] == outs[1]
    assert json.loads(outs[0])["words"] == 12
