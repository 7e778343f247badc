"""The committed sample CSVs in data/samples/: shape, columns and the promises each row makes.

Fast: reads only the committed files (no JMdict, no vectors). tests/tools/test_build_samples.py
checks the script that writes them.
"""
import csv
import re

import pytest

from tests.places import ROOT

SAMPLES = ROOT / "data" / "samples"
FILES = ("distractors_train.csv", "distractors_heldout.csv", "sample_train.csv")
LATIN_OR_DIGIT = re.compile(r"[A-Za-z0-9Ａ-Ｚａ-ｚ０-９]")


def read(name):
    raw = (SAMPLES / name).read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), "plain UTF-8, no BOM"
    rows = list(csv.reader(raw.decode("utf-8").splitlines()))
    return rows[0], rows[1:]


@pytest.mark.parametrize("name", FILES)
def test_header_and_cells(name):
    header, rows = read(name)
    assert header == ["Input", "Output", "Correct"]
    assert rows, f"{name} is empty"
    for english, wrong, correct in rows:        # unpacking fails on a ragged row
        assert re.fullmatch(r"[a-z]+", english), english
        assert wrong and not LATIN_OR_DIGIT.search(wrong), wrong
        alternatives = correct.split("|")
        assert all(alternatives) and len(alternatives) == len(set(alternatives)), correct


@pytest.mark.parametrize("name", FILES)
def test_output_is_never_the_answer(name):
    _, rows = read(name)
    for english, wrong, correct in rows:
        for right in correct.split("|"):
            assert wrong not in right and right not in wrong, (english, wrong, right)


@pytest.mark.parametrize("name", FILES)
def test_small_enough_to_commit(name):
    assert (SAMPLES / name).stat().st_size < 500_000


def test_sizes_and_split():
    _, train = read("distractors_train.csv")
    _, heldout = read("distractors_heldout.csv")
    _, quick = read("sample_train.csv")
    assert 2500 <= len(train) + len(heldout) <= 3500
    assert 0.05 <= len(heldout) / (len(train) + len(heldout)) <= 0.15
    train_words = [r[0] for r in train]
    heldout_words = [r[0] for r in heldout]
    assert len(set(train_words)) == len(train_words), "one row per English word"
    assert len(set(heldout_words)) == len(heldout_words)
    assert not set(train_words) & set(heldout_words), "held-out words never seen in training"
    assert 100 <= len(quick) <= 300 and quick == train[: len(quick)], "quick set: head of train"


def test_lexicon_shape():
    raw = (SAMPLES / "lexicon_en_ja.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and len(raw) < 7_000_000, len(raw)
    rows = list(csv.reader(raw.decode("utf-8").splitlines()))
    assert rows[0] == ["English", "Japanese", "Rare"]
    words = [english for english, _, _ in rows[1:]]      # unpacking fails on a ragged row
    assert 50_000 <= len(words) <= 90_000 and words == sorted(set(words)), "one sorted row per word"
    lexicon = {english: usual for english, usual, _ in rows[1:]}
    for english, usual, rare in rows[1:]:
        assert re.fullmatch(r"[a-z][a-z'-]*( [a-z][a-z'-]*){0,2}", english), english
        forms = [f for f in (usual + "|" + rare).split("|") if f]
        assert forms and len(forms) == len(set(forms)), english
        assert not re.search(r"[A-Za-z]", usual + rare), english    # JMdict forms: ＣＤ, １ are full-width
    assert {"犬", "いぬ", "イヌ", "わんこ", "ワンコ"} <= set(lexicon["dog"].split("|"))
    assert lexicon["dog"].split("|")[0] == "犬" and lexicon["eat"].split("|")[0] == "食べる"
    assert {"食する", "召し上がる", "食う"} <= set(lexicon["eat"].split("|"))
    _, train = read("distractors_train.csv")
    for english, _wrong, correct in train:             # every sample answer is in the lexicon
        assert set(correct.split("|")) <= set(lexicon.get(english, "").split("|")), english


def test_readme_credits_the_sources():
    text = (SAMPLES / "README.md").read_text("utf-8")
    for needed in ("JMdict", "CC BY-SA 4.0", "EDRDG", "chiVe", "Apache", "tools/build_samples.py"):
        assert needed in text, needed


def test_the_benchmark_word_list_spans_four_bands_and_none_is_a_sample_word():
    header, rows = read("distractors_benchmark.csv")
    assert header == ["Input", "Answer", "Correct", "Band", "POS"]
    assert len(rows) >= 500
    bands = {band for *_, band, _pos in rows}
    assert bands == {"A", "B", "C", "D"}
    assert len({pos for *_, pos in rows}) >= 3  # nouns, verbs, adjectives at least
    sample_words = {r[0] for name in FILES for r in read(name)[1]}
    assert not sample_words & {r[0] for r in rows}
    for english, answer, correct, band, pos in rows:
        assert answer == correct.split("|")[0] and english == english.strip()


def test_kana_spellings_map_kanji_spellings_to_kana():
    header, rows = read("kana_spellings.csv")
    assert header == ["Kanji", "Kana"] and len(rows) > 1000
    kana = re.compile(r"^[\u3041-\u309f\u30a0-\u30ffー]+$")
    assert all(kana.match(k) for _, k in rows)
    assert ("御八つ", "おやつ") in [tuple(r) for r in rows]


def test_related_words_come_from_jmdict_antonyms_and_cross_references():
    header, rows = read("related_ja.csv")
    assert header == ["Japanese", "Related"] and len(rows) > 3000
    related = dict(rows)
    assert related["暑い"].split("|")[0] == "寒い"
    assert all(word not in words.split("|") for word, words in rows)  # never a word's own neighbour


def test_kinds_name_english_nouns_for_japanese_words():
    with (SAMPLES / "kinds_ja.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["Japanese", "Kinds"] and len(rows) > 1000
    found = dict(rows[1:])
    assert "dog" in found["パグ"].split("|") and "tree" in found["松"].split("|")
    for japanese, heads in rows[1:]:
        assert japanese and re.fullmatch(r"[a-z]+(\|[a-z]+)*", heads), (japanese, heads)
