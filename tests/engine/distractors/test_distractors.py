"""Distractor mode: leak and validity rules, vectors-only and model candidates, CSV, CLI, Try tab API."""
import json
import os
import subprocess
import sys

import pandas as pd
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from engine.core import paths
from engine.core.messages import StudioError
from engine.distractors import batch, making, ranking
from engine.words import checks, lexicon
from tests.chive_fixtures import chive_cache, chive_home  # noqa: F401 - fixtures
from tests.model_fixtures import stored_model, tiny_model_dir  # noqa: F401 - fixtures


@pytest.fixture
def vs(chive_home):
    from engine.vectors import sources

    return sources.load_vectors()


# ---------------------------------------------------------------- the rules


def test_leaks_of_dog_are_dropped_and_cat_is_kept(vs):
    assert checks.leak_reason("いぬ", "犬", vs) == "script"
    assert checks.leak_reason("イヌ", "犬", vs) == "script"
    assert checks.leak_reason("子犬", "犬", vs) == "contains"
    assert checks.leak_reason("こいぬ", "犬", vs) == "contains"  # kana hides the kanji
    assert checks.leak_reason("犬", "犬", vs) == "same"
    assert checks.leak_reason("猫", "犬", vs) == ""
    kept, dropped = ranking.filter_candidates(
        [ranking.Candidate(w, "t5") for w in ["いぬ", "イヌ", "子犬", "猫", "犬"]], ["犬"], ["犬"], vs)
    assert [c.text for c in kept] == ["猫"]
    assert {d["text"] for d in dropped} == {"いぬ", "イヌ", "子犬", "犬"}


def test_other_disguises_and_true_homophones(vs):
    assert checks.leak_reason("綺麗", "きれい", vs)  # same word, other script
    assert checks.leak_reason("走った", "走る", vs) == "form"  # dictionary form
    assert checks.leak_reason("機関", "期間", vs) == ""  # same sound, another word
    assert checks.leak_reason("テスト", "手", vs) == ""  # one-kana readings are not compared
    assert checks.leak_reason("猫", "犬|ねこ", vs) == "script"  # any of several answers


def test_validity_needs_a_known_japanese_content_word(vs):
    assert checks.invalid_reason("猫", vs) == ""
    assert checks.invalid_reason("dog", vs) == "latin"
    assert checks.invalid_reason("ネコ3", vs) == "latin"
    assert checks.invalid_reason("の", vs) == "grammar"
    assert checks.invalid_reason("あいうえおかきくけ", vs) == "unknown"
    assert checks.invalid_reason("犬 猫", vs) == "not_word"
    assert checks.invalid_reason("", vs) == "empty"


def test_correct_cell_splitting():
    assert checks.split_correct("走る|駆ける、営む") == ["走る", "駆ける", "営む"]
    assert checks.split_correct(" ｜ ") == []


# ---------------------------------------------------------------- generation


def test_vectors_only_gives_n_distinct_valid_non_leaking_words(chive_home, vs):
    found = making.make_distractors("dog", "犬", n=10)
    texts = [d.text for d in found.distractors]
    assert len(texts) == 10 and len(set(texts)) == 10
    assert {d.source for d in found.distractors} == {"vectors"}
    assert "猫" in texts
    assert not {"犬", "いぬ", "イヌ", "子犬", "ドッグ"} & set(texts)  # ドッグ: the English word in katakana
    assert all(checks.is_valid(w, vs) and not checks.is_leak(w, "犬", vs) for w in texts)
    scores = [d.score for d in found.distractors]
    # Best first within the top five (one per narrow family) and within the rest.
    for part in (scores[:5], scores[5:]):
        assert part == sorted(part, reverse=True)
    assert all(0 <= s <= 1 for s in scores)


def test_other_dictionary_translations_of_the_word_never_come_back(chive_home, vs):
    """わんこ / ワンコ are JMdict translations of "dog" too: the lexicon makes them correct answers."""
    assert {"わんこ", "ワンコ", "犬"} <= set(lexicon.lexicon_answers("dog"))
    found = making.make_distractors("dog", "犬", n=10)
    texts = [d.text for d in found.distractors]
    assert len(texts) == 10 and len(set(texts)) == 10 and "猫" in texts
    assert not {"わんこ", "ワンコ", "いぬ", "イヌ", "子犬", "犬"} & set(texts)
    assert all(checks.is_valid(w, vs) for w in texts)
    assert {"わんこ", "ワンコ"} <= {d["text"] for d in found.dropped if d["reason"].startswith("leak")}
    eat = {d.text for d in making.make_distractors("eat", "食べる", n=10).distractors}
    assert len(eat) == 10 and not {"食べる", "食する", "召し上がる", "食う", "たべる"} & eat
    # One-kanji forms (師 for "teacher") leak only as themselves, so 講師 can still be a wrong answer.
    assert "師" in lexicon.lexicon_answers("teacher")
    assert ranking.filter_candidates([ranking.Candidate("講師", "vectors")], ["先生"], ["先生"], vs, ["師"])[0]


def test_lexicon_supplies_the_answer_when_the_samples_do_not_know_the_word(chive_home):
    assert not lexicon.known_answers("dog")  # not in the sample data
    found = making.make_distractors("dog", "", n=5)
    assert found.correct_from == "lexicon" and found.correct == ["犬"]
    assert "辞書データ" in found.notes[0] and "犬" in found.notes[0]
    texts = {d.text for d in found.distractors}
    assert len(texts) == 5 and not {"犬", "わんこ", "ワンコ", "いぬ", "イヌ", "子犬"} & texts
    assert making.make_distractors("To Look  After", "", n=3).correct_from == "lexicon"


def test_samples_supply_the_answer_and_its_synonyms(chive_home):
    found = making.make_distractors("run", "", n=5)
    assert found.correct_from == "samples" and "走る" in found.correct
    assert "サンプルデータ" in found.notes[0]
    assert not {"走る", "駆ける"} & {d.text for d in found.distractors}


def test_the_bundled_base_contributes_candidates_that_pass_the_rules(chive_home, vs):
    found = making.make_distractors("dog", n=6, model=paths.BUNDLED_BASE)
    assert found.correct == ["犬"] and len(found.distractors) == 6
    from_model = [d.text for d in found.distractors if d.source == "t5"]
    assert from_model, found.distractors  # the model's first choices rank with the vectors' nearest
    for d in found.distractors:
        assert not checks.leak_reason(d.text, "犬", vs)


def test_no_answer_and_no_model_is_a_clear_japanese_error(chive_home):
    with pytest.raises(StudioError) as caught:
        making.make_distractors("zyzzyva", "", n=3)
    assert caught.value.key == "distractors.need_correct_or_model" and "正しい日本語訳" in caught.value.message()
    for bad in (0, 21, "x"):
        with pytest.raises(StudioError, match="1〜20"):
            making.make_distractors("dog", "犬", n=bad)
    with pytest.raises(StudioError, match="英単語が空"):
        making.make_distractors("  ", "犬")


def test_model_candidates_are_filtered_too(stored_model, chive_home, vs):
    found = making.make_distractors("dog", "いぬ", n=6, model=stored_model)
    texts = [d.text for d in found.distractors]
    assert len(texts) == 6 and len(set(texts)) == 6
    assert all(checks.is_valid(w, vs) and not checks.is_leak(w, "いぬ", vs) for w in texts)
    assert {d["source"] for d in found.dropped} <= set(making.SOURCES)
    # The model alone (no vectors) still answers, with whatever survives the filters.
    only = making.make_distractors("cat", "ねこ", n=3, model=stored_model, use_vectors=False)
    assert {d.source for d in only.distractors} <= {"t5"}
    assert all(not checks.is_leak(d.text, "ねこ") for d in only.distractors)


def test_csv_batch_table(chive_home, tmp_path):
    source = tmp_path / "words.csv"
    source.write_text("英単語,正解\ndog,犬\napple,りんご\nzyzzyva,\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    summary = batch.distractors_csv(source, out, n=3)
    assert summary["rows"] == 3 and summary["complete_rows"] == 2
    frame = pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(frame.columns[:5]) == ["Input", "Correct", "distractor_1", "distractor_2", "distractor_3"]
    assert {"score_1", "source_3", "note"} <= set(frame.columns)
    assert frame.loc[2, "distractor_1"] == "" and "正しい訳" in frame.loc[2, "note"]
    from engine.core import runs

    record = runs.load_run(summary["run_id"])  # in the run history, so the Logs tab lists it
    assert record["kind"] == "generate" and record["status"] == "finished"
    assert record["settings"]["mode"] == "distractors" and record["metrics"]["complete_rows"] == 2


# ---------------------------------------------------------------- CLI


def run_cli(*args, home_dir):
    env = {**os.environ, paths.HOME_ENV: str(home_dir), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "engine.distractors", *args], capture_output=True, text=True,
                          env=env, cwd=paths.REPO_ROOT, timeout=180)
    return done.returncode, json.loads(done.stdout.strip().splitlines()[-1])


def test_cli_end_to_end(chive_home, tmp_path):
    code, out = run_cli("dog", "--correct", "犬", "--n", "4", home_dir=chive_home)
    assert code == 0 and out["input"] == "dog" and out["correct"] == "犬"
    assert len(out["distractors"]) == 4 and set(out["distractors"][0]) == {"text", "score", "source"}
    code, out = run_cli("zyzzyva", "--n", "3", home_dir=chive_home)
    assert code == 1 and out["error"] == "distractors.need_correct_or_model"
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_text("Input,Correct\ndog,犬\nred,赤い\n", encoding="utf-8")
    code, out = run_cli("--csv", str(source), "--out", str(target), "--n", "2", home_dir=chive_home)
    assert code == 0 and out["rows"] == 2
    frame = pd.read_csv(target, encoding="utf-8-sig")
    assert list(frame.columns[:4]) == ["Input", "Correct", "distractor_1", "distractor_2"]


# ---------------------------------------------------------------- the Try tab


@pytest.fixture
def client(stored_model, chive_home):
    from tabs import try_t5
    from tests.launching import served, single_tab_blocks

    with served(single_tab_blocks(try_t5)) as (_url, client):
        yield client


def test_try_tab_distractor_api(client, stored_model, tmp_path):
    table, notes = client.predict("dog", "犬", 5, "", api_name="/distractors")
    assert table["headers"] == ["順位", "誤答選択肢", "もっともらしさ", "出所"]
    words = [row[1] for row in table["data"]]
    assert len(words) == 5 and len(set(words)) == 5 and "犬" not in words
    assert {row[3] for row in table["data"]} <= {"単語ベクトル", "同じ漢字で終わる語", "辞書"}  # words, not keys
    assert "子犬" in notes and "もっともらしさ" in notes
    table, _ = client.predict("cat", "ねこ", 3, stored_model, api_name="/distractors")
    assert len(table["data"]) == 3
    with pytest.raises(AppError, match="正しい訳がわかりません"):
        client.predict("zyzzyva", "", 3, "", api_name="/distractors")
    source = tmp_path / "words.csv"
    source.write_text("Input,Correct\ndog,犬\n=cmd,猫\n", encoding="utf-8")
    summary, batch, download = client.predict(handle_file(str(source)), 2, "", api_name="/distractors_csv")
    assert "2 行" in summary and batch["headers"][:4] == ["英単語", "正しい訳", "誤答 1", "誤答 2"]
    frame = pd.read_csv(download, encoding="utf-8-sig", dtype=str)
    assert list(frame["Input"]) == ["dog", "'=cmd"]  # formula escaped for Excel


# ---------------------------------------------------------------- answers outside the vocabulary


def test_coma_without_an_answer_takes_its_main_sense(chive_home, vs):
    found = making.make_distractors("coma", "", n=5)
    assert found.correct == ["昏睡"]  # not コマ (a film frame), the first form the vectors knew before
    assert len(found.distractors) == 5
    for d in found.distractors:
        assert not checks.leak_reason(d.text, "昏睡", vs) and d.text != "コマ"


@pytest.mark.parametrize("english, correct", [("accountant", "会計士"), ("drift", ""), ("donor", "")])
def test_answers_the_vectors_lack_still_get_n_distractors(chive_home, vs, english, correct):
    found = making.make_distractors(english, correct, n=5)
    assert len({d.text for d in found.distractors}) == 5
    answer = found.correct[0]
    for d in found.distractors:
        assert not checks.leak_reason(d.text, found.correct, vs)
        assert checks.is_valid(d.text, vs)
    if english == "accountant":
        assert not checks.vector_key(answer, vs)  # 会計士 has no row of its own...
        assert checks.answer_vector(answer, vs) is not None  # ...but a place: its alias
        assert all(d.source == "vectors" for d in found.distractors)


def test_an_answer_placed_by_its_parts(chive_home, vs):
    import numpy as np

    assert not checks.vector_key("提供者", vs)
    where = checks.answer_vector("提供者", vs)
    assert where is not None and abs(float(np.linalg.norm(where)) - 1) < 1e-5
    assert checks.closeness("提供", "提供者", vs) > 0.5


def test_rows_the_vectors_cannot_fill_get_the_bundled_models_candidates(chive_home, vs, monkeypatch):
    from engine.distractors import ranking as ranking_module

    monkeypatch.setattr(ranking_module, "NEIGHBOURS", 3)  # the vectors now offer almost nothing
    monkeypatch.setattr(ranking_module, "HEAD_MATES", 0)
    monkeypatch.setattr(ranking_module, "COMMON", 0)
    alone = making.make_distractors("accountant", "会計士", n=5, fallback=False)
    assert len(alone.distractors) < 5
    helped = making.make_distractors("accountant", "会計士", n=5)
    assert len(helped.distractors) == 5 and any(d.source == "t5" for d in helped.distractors)
    assert any(paths.BUNDLED_BASE in note for note in helped.notes)
    for d in helped.distractors:
        assert not checks.leak_reason(d.text, helped.correct, vs)


def test_a_csv_of_words_outside_the_vocabulary_is_filled_on_every_row(chive_home, tmp_path):
    words = ["coma", "accountant", "donor", "activist", "drift", "apex", "refuge", "manual"]
    source = tmp_path / "quiz.csv"
    source.write_text("Input\n" + "".join(f"{w}\n" for w in words), encoding="utf-8")
    result = batch.distractors_csv(source, None, n=5)
    assert result["rows"] == len(words) and result["complete_rows"] == len(words)


def test_a_words_meanings_are_listed_main_first_without_readings_or_respellings(chive_home):
    from engine.words.lexicon import senses

    assert senses("coma") == ["昏睡", "コマ"]  # こんすい, the reading of 昏睡, is not another meaning
    assert senses("drift")[:2] == ["漂う", "吹き溜まり"]  # 吹きだまり is the same word
    assert making.make_distractors("coma", "", n=3).senses == ["昏睡", "コマ"]


def test_the_cli_makes_distractors_for_a_chosen_meaning(chive_home):
    env = {**os.environ, "T5STUDIO_HOME": str(paths.data_home())}
    done = subprocess.run([sys.executable, "-m", "engine.distractors", "coma", "--sense", "2", "--n", "3"],
                          capture_output=True, text=True, env=env, cwd=paths.REPO_ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["correct"] == "コマ" and len(result["distractors"]) == 3 and "1. 昏睡" in done.stdout
    bad = subprocess.run([sys.executable, "-m", "engine.distractors", "coma", "--sense", "9"],
                         capture_output=True, text=True, env=env, cwd=paths.REPO_ROOT, timeout=300)
    assert bad.returncode == 1 and "9 番目の意味はありません" in bad.stdout


def test_twenty_distractors_of_dog_do_not_open_with_a_row_of_dog_breeds(chive_home):
    breeds = {"チワワ", "コーギー", "ダックス", "パグ", "プードル", "テリア", "柴", "柴犬", "ブルドッグ", "ポメラニアン",
              "ビーグル", "シェパード", "レトリーバー", "ダックスフント", "マルチーズ", "パピヨン", "シュナウザー"}
    found = making.make_distractors("dog", "犬", n=20)
    texts = [d.text for d in found.distractors]
    assert len(texts) == 20 and len(set(texts)) == 20
    assert len(breeds & set(texts[:5])) <= 1, texts[:5]
    # (test_kinds: with 20 other candidates, no breed is needed at all)


def test_one_per_family_keeps_everything_when_one_family_is_all_there_is():
    from engine.distractors.ranking import one_per_family

    same = lambda a, b: 0.9  # noqa: E731 - every pair alike
    assert one_per_family(["a", "b", "c"], same) == ["a", "b", "c"]
    apart = {("a", "b"): 0.9, ("b", "a"): 0.9}
    likeness = lambda x, y: apart.get((x, y), 0.1)  # noqa: E731
    assert one_per_family(["a", "b", "c", "d"], likeness, top=2) == ["a", "c", "b", "d"]


def test_options_are_spelled_as_schools_write_them(chive_home):
    from engine.words.lexicon import school_spelling

    assert school_spelling("御八つ") == "おやつ" and school_spelling("桜ん坊") == "さくらんぼ"
    assert school_spelling("犬") == "犬"
    from types import SimpleNamespace

    row = making.prepare("snack", "菓子", True)
    shown = making._one(row, [SimpleNamespace(text="御八つ", score=-0.1)], 1, None, True)  # chiVe keeps 御八つ
    assert [d.text for d in shown.distractors] == ["おやつ"]


def test_the_dictionarys_antonyms_join_the_candidates(chive_home):
    from engine.words.lexicon import related

    assert related("暑い")[0] == "寒い" and related("右")[0] == "左"
    found = making.make_distractors("hot", "暑い", n=5)
    assert ("寒い", "dictionary") in [(d.text, d.source) for d in found.distractors]


def test_a_teachers_answer_column_is_used_and_a_blank_row_is_named(chive_home, tmp_path):
    source = tmp_path / "words.csv"
    source.write_bytes("英単語,日本語\nstation,駅\n,猫\nchoose,選ぶ\n".encode("cp932"))
    summary = batch.distractors_csv(source, None, n=3)
    table = summary["table"]
    assert list(table["Correct"]) == ["駅", "選ぶ"]  # the teacher's, not the dictionary's 停留所 or 選る
    assert not any("辞書" in note for note in table["note"])
    assert summary["columns"]["Input"] == "英単語" and summary["columns"]["Correct"] == "日本語"
    assert any("行番号: 3" in warning for warning in summary["warnings"])  # the blank English cell, by its row
    none = batch.distractors_csv(source, None, n=3, answer_column="")  # "no answer column" is honoured
    assert none["columns"]["Correct"] == "" and list(none["table"]["Correct"]) != ["駅", "選ぶ"]


def test_a_model_that_is_not_there_is_refused_before_a_run_is_recorded(chive_home, tmp_path):
    from engine.core import runs
    from engine.core.messages import StudioError
    from engine.generate.from_csv import generate_csv
    from engine.generate.settings import GenerationSettings

    source = tmp_path / "words.csv"
    source.write_text("English\ndog\n", encoding="utf-8")
    before = len(runs.list_runs())
    with pytest.raises(StudioError):
        batch.distractors_csv(source, None, n=3, model="no-such-model", allow_paths=False)
    with pytest.raises(StudioError):
        generate_csv("no-such-model", source, None, GenerationSettings(), allow_paths=False)
    assert len(runs.list_runs()) == before  # nothing failed in Logs: the form was refused
