"""Word vectors: chiVe conversion, lookups, queries, safe uploads, training, Hub offline, CLI, picture."""
import json
import os
import pickle
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from gensim.models import KeyedVectors

from engine.core import paths, runs
from engine.core.jsonio import STAGING_PREFIX
from engine.core.messages import StudioError
from engine.vectors import chive, lookup, plot, sets, sources
from engine.vectors.hub import fetch_from_hub
from engine.vectors.training import VectorTrainConfig, train_vectors

ROYAL_FEMALE = {"女王", "王妃", "王女", "妃", "姫", "皇后", "女帝", "皇女"}


@pytest.fixture(scope="session")
def chive_cache(tmp_path_factory):
    """chiVe converted once per test session (seconds); the folder of the cached set.

    The home lies at a fixed place under the session's base temp folder, so the tab tests'
    fixture (same code) finds the conversion done; ensure_cache() is a no-op then.
    """
    session_home = tmp_path_factory.getbasetemp() / "chive-home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(paths.HOME_ENV, str(session_home))
        return chive.ensure_cache()


@pytest.fixture
def chive_home(home, chive_cache):
    """A fresh data home whose vectors/chive is the session's converted cache."""
    (paths.vectors_dir() / chive.NAME).symlink_to(chive_cache, target_is_directory=True)
    return home


def small_kv() -> KeyedVectors:
    kv = KeyedVectors(vector_size=4)
    kv.add_vectors(["犬", "猫", "車", "apple"], np.array(
        [[1, 0.9, 0, 0], [0.9, 1, 0, 0.1], [0, 0, 1, 0.2], [0.1, 0, 0.3, 1]], dtype=np.float32))
    return kv


def error_key(call, *args, **kwargs) -> str:
    with pytest.raises(StudioError) as caught:
        call(*args, **kwargs)
    return caught.value.key


# ---------------------------------------------------------------- chiVe


def test_conversion_names_rows_by_their_trained_word(chive_home, chive_cache):
    words, matrix, meta = sets.read_set(chive_cache)
    aliases = sets.read_aliases(chive_cache)
    assert meta["kind"] == "chive" and meta["credit"]["license"] == "Apache-2.0"
    assert matrix.shape == (20000, 300) and matrix.dtype == np.float32
    assert len(set(words)) == len(words)  # each row shown as one distinct word
    assert not set(aliases) & set(words)
    assert set(aliases.values()) <= set(words)
    assert "犬" in words and aliases.get("番犬") == "犬"  # a dropped word points at its nearest kept row
    # Shown in the spelling people write: kana for words with kanji outside the jōyō list.
    assert "りんご" in words and "林檎" not in words and meta["respelled"]["林檎"] == "りんご"
    assert "犬" in words and "猫" in words  # jōyō kanji stay as they are


def test_bundled_vectors_know_dogs_and_cats(chive_home):
    vs = sources.load_vectors()
    assert len(vs) == 20000 and vs.vector_size == 300
    dog_cat = lookup.similarity("犬", "猫")["similarity"]
    assert 0.5 < dog_cat <= 1.0
    assert dog_cat > lookup.similarity("犬", "経済")["similarity"]
    assert "猫" in [r["word"] for r in lookup.most_similar("犬", topn=20)["results"]]


def test_king_plus_woman_minus_man_is_royal_and_female(chive_home):
    result = lookup.analogy(["王", "女"], ["男"], topn=5)
    top5 = [r["word"] for r in result["results"]]
    assert ROYAL_FEMALE & set(top5), top5
    assert not {"王", "女", "男"} & set(top5)  # the query words are never answers
    assert lookup.analogy("王 女", "男", topn=5)["results"] == result["results"]  # text in a box works too


def test_cache_is_reused(chive_home, chive_cache):
    stamp = (chive_cache / "meta.json").stat().st_mtime_ns
    assert chive.ensure_cache() == chive.cache_folder()
    assert (chive_cache / "meta.json").stat().st_mtime_ns == stamp
    assert sources.load_vectors() is sources.load_vectors()


def test_other_spellings_are_found_and_said(chive_home):
    found = lookup.lookup("ねこ")
    assert (found.key, found.how) == ("猫", "normalized")
    assert lookup.lookup("綺麗").key == "奇麗"
    assert [lookup.lookup(w).key for w in ("林檎", "リンゴ", "りんご")] == ["りんご"] * 3
    assert "ねこ" in lookup.most_similar("ねこ", 3)["notes"][0]
    alias = lookup.lookup("番犬")
    assert (alias.key, alias.how) == ("犬", "alias") and "番犬" in alias.note()


def test_unknown_word_gets_close_spellings(chive_home):
    with pytest.raises(StudioError) as caught:
        lookup.most_similar("ドラえもんず")
    assert caught.value.key == "vectors.oov"
    assert "ドラえもん" in caught.value.message() and "ドラえもんず" in caught.value.message()
    assert error_key(lookup.similarity, "", "猫") == "vectors.empty_word"


def test_odd_one_out_and_limits(chive_home):
    result = lookup.doesnt_match("犬 猫 馬 自動車")
    assert result["odd"] == "自動車"
    assert [s["word"] for s in result["scores"]][0] == "自動車"
    assert error_key(lookup.doesnt_match, "犬 猫") == "vectors.need_words"
    assert error_key(lookup.most_similar, "犬", 0) == "vectors.topn_range"
    assert error_key(sources.load_vectors, "no-such-set") == "vectors.source_not_found"


# ---------------------------------------------------------------- uploads


@pytest.mark.parametrize("binary", [False, True])
def test_upload_word2vec_text_and_binary(home, tmp_path, binary):
    kv = small_kv()
    path = tmp_path / ("v.bin" if binary else "v.txt")
    kv.save_word2vec_format(str(path), binary=binary)
    meta = sources.import_word2vec(path, "mine")
    assert (meta["count"], meta["dim"], meta["format_read"]) == (4, 4, "binary" if binary else "text")
    got = lookup.similarity("犬", "猫", "mine")["similarity"]
    assert got == pytest.approx(float(kv.similarity("犬", "猫")), abs=1e-4)
    assert "mine" in sources.source_names()
    assert error_key(sources.import_word2vec, path, "mine") == "vectors.source_exists"
    assert error_key(sources.import_word2vec, path, "chive") == "vectors.source_reserved"


def test_word2vec_c_tool_binary_with_newlines(home, tmp_path):
    rows = [("犬", [1.0, 0.0]), ("猫", [0.9, 0.1])]
    data = b"2 2\n" + b"".join(w.encode() + b" " + struct.pack("<2f", *v) + b"\n" for w, v in rows)
    path = tmp_path / "c.bin"
    path.write_bytes(data)
    assert sources.import_word2vec(path, "ctool")["count"] == 2


class WritesMarker:
    """Unpickling this object would create the marker file: proof that a pickle was loaded."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("protocol", [0, 2, pickle.HIGHEST_PROTOCOL])
@pytest.mark.parametrize("filename", ["vectors.bin", "vectors.txt", "model.kv"])
def test_pickle_is_refused_and_never_loaded(home, tmp_path, protocol, filename):
    marker = tmp_path / "PWNED"
    path = tmp_path / filename
    path.write_bytes(pickle.dumps(WritesMarker(marker), protocol=protocol))
    key = error_key(sources.import_word2vec, path, "evil")
    assert key in ("vectors.pickle_refused", "vectors.not_word2vec")
    assert not marker.exists()
    assert "evil" not in sources.source_names()


def test_gensim_native_save_is_refused(home, tmp_path):
    path = tmp_path / "model.kv"
    small_kv().save(str(path))  # gensim's own format: a pickle
    assert error_key(sources.import_word2vec, path, "native") == "vectors.pickle_refused"


@pytest.mark.parametrize("content, key", [
    (b"100000 300\n\xe7\x8a\xac 0.1 0.2\n", "vectors.header_mismatch"),  # header far bigger than the file
    (b"3 2\n" + "犬 0.1 0.2\n猫 0.2 0.1\n".encode(), "vectors.too_few_rows"),  # cut short
    (b"1 2\n" + "犬 0.1 0.2\n猫 0.2 0.1\n".encode(), "vectors.extra_rows"),
    (b"5000000 4000\n" + b"a 1 1\n", "vectors.over_budget"),
    (b"2 0\n", "vectors.bad_header_numbers"),
    ("犬 0.1 0.2\n".encode(), "vectors.not_word2vec"),
    (b"2 2\n" + "犬 0.1 0.2\n猫 0.2\n".encode(), "vectors.bad_row"),
    (b"2 2\n" + "犬 0.1 0.2\n猫 0.2 abc\n".encode(), "vectors.bad_value"),
])
def test_broken_files_are_refused_clearly(home, tmp_path, content, key):
    path = tmp_path / "v.txt"
    path.write_bytes(content)
    assert error_key(sources.import_word2vec, path, "broken") == key
    assert not [p for p in paths.vectors_dir().iterdir() if p.name.startswith(".")]  # no staging left


def test_lying_binary_header_allocates_nothing(home, tmp_path):
    path = tmp_path / "v.bin"
    path.write_bytes(b"200000 1000\n" + "犬 ".encode() + struct.pack("<1000f", *([0.5] * 1000)))
    assert error_key(sources.import_word2vec, path, "liar") == "vectors.header_mismatch"


@pytest.mark.parametrize("bad", ["nan", "inf", "-inf", "1e39"])
def test_nan_and_inf_are_refused(home, tmp_path, bad):
    path = tmp_path / "v.txt"
    path.write_text(f"2 2\n犬 0.1 0.2\n猫 0.3 {bad}\n", encoding="utf-8")
    with pytest.raises(StudioError) as caught:
        sources.import_word2vec(path, "nan")
    assert caught.value.key == "vectors.not_finite" and "猫" in caught.value.message()


def test_binary_nan_is_refused(home, tmp_path):
    path = tmp_path / "v.bin"
    path.write_bytes(b"1 2\n" + "犬 ".encode() + struct.pack("<2f", 0.1, float("nan")))
    assert error_key(sources.import_word2vec, path, "nan") == "vectors.not_finite"


def test_duplicates_and_zero_rows_are_dropped_with_a_warning(home, tmp_path):
    path = tmp_path / "v.txt"
    path.write_text("3 2\n犬 0.1 0.2\n犬 0.3 0.1\n猫 0 0\n", encoding="utf-8-sig")  # BOM too
    meta = sources.import_word2vec(path, "dups")
    assert meta["count"] == 1 and len(meta["warnings"]) == 2


# ---------------------------------------------------------------- training

CORPUS = "\n".join(
    [f"{a}と{b}が庭で元気に走っている。" for a in ("犬", "猫", "馬") for b in ("犬", "猫", "馬")] * 20
    + [f"朝に{f}を食べた。" for f in ("りんご", "パン", "ご飯")] * 30
    + ["The king and the queen live in the castle."] * 20
)


def test_training_on_a_small_corpus(home, tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(CORPUS, encoding="cp932")  # Excel/Notepad users save Shift_JIS
    seen = []
    config = VectorTrainConfig(vector_size=16, epochs=3, min_count=2, workers=1)
    meta = train_vectors(corpus, "class", config, progress=lambda f, m: seen.append(f))
    assert meta["kind"] == "trained" and meta["dim"] == 16
    vocab = sources.load_vectors("class")
    assert {"犬", "猫", "食べる", "king"} <= set(vocab.index_to_key)  # dictionary forms; English by words
    assert -1 <= lookup.similarity("犬", "猫", "class")["similarity"] <= 1
    assert seen == sorted(seen) and seen[-1] == 1.0
    run = runs.load_run(meta["run_id"])
    assert (run["kind"], run["status"], run["name"]) == ("vectors", "finished", "class")
    assert not [p for p in paths.vectors_dir().iterdir() if p.name.startswith(".")]


def test_training_failures_are_clear_and_recorded(home, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    assert error_key(train_vectors, empty, "nothing") == "vectors.corpus_empty"
    assert runs.list_runs(kind="vectors")[0]["status"] == "failed"
    rare = tmp_path / "rare.txt"
    rare.write_text("一度だけ出てくる言葉。", encoding="utf-8")
    assert error_key(train_vectors, rare, "rare", VectorTrainConfig(min_count=5)) == "vectors.corpus_too_few"
    binary = tmp_path / "b.txt"
    binary.write_bytes(b"\x00\x01\x02\xff\xfe" * 10)
    assert error_key(train_vectors, binary, "bin") == "vectors.corpus_binary"
    assert error_key(VectorTrainConfig, epochs=0) == "vectors.bad_setting"
    assert "rare" not in sources.source_names()


# ---------------------------------------------------------------- Hub, picture, CLI


def test_hub_offline_says_so(home):
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    assert error_key(fetch_from_hub, "someone/japanese-vectors", "", "hub") == "vectors.hub_offline"
    assert error_key(fetch_from_hub, "../etc", "", "hub") == "vectors.hub_bad_repo"


def test_picture_is_a_png_with_a_japanese_font(chive_home, tmp_path):
    vs = sources.load_vectors()
    roles = [("犬", "query")] + [(r["word"], "result") for r in lookup.most_similar("犬", 8)["results"]]
    path = plot.draw_neighbourhood(vs.kv, roles, tmp_path / "n.png", "犬", {"query": "調べた単語"})
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from engine.core.fonts import japanese_font

    assert japanese_font()  # fonts-noto-cjk is installed here, as on the Space
    points = plot.neighbourhood_points(vs.kv, roles)
    assert len(points) == 9 and points[0][:2] == ("犬", "query")


def run_cli(*args, home_dir):
    env = {**os.environ, paths.HOME_ENV: str(home_dir), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "engine.vectors", *args], capture_output=True, text=True,
                          env=env, cwd=paths.REPO_ROOT, timeout=120)
    return done.returncode, json.loads(done.stdout.strip().splitlines()[-1])


def test_cli_end_to_end(chive_cache):
    home_dir = chive_cache.parent.parent
    code, out = run_cli("similarity", "犬", "猫", home_dir=home_dir)
    assert code == 0 and out["ok"] and 0.5 < out["similarity"] <= 1
    code, out = run_cli("most-similar", "犬", "--topn", "10", home_dir=home_dir)
    assert code == 0 and len(out["results"]) == 10
    code, out = run_cli("analogy", "--positive", "王", "女", "--negative", "男", home_dir=home_dir)
    assert code == 0 and ROYAL_FEMALE & {r["word"] for r in out["results"][:5]}
    code, out = run_cli("most-similar", "ドラえもんず", home_dir=home_dir)
    assert code == 1 and out["error"] == "vectors.oov" and "ドラえもん" in out["message"]


def test_staging_is_cleaned(home):
    (paths.vectors_dir() / f"{STAGING_PREFIX}x-1").mkdir()
    sets.clean_staging()
    assert not list(Path(paths.vectors_dir()).iterdir())
