"""The お試し Word2Vec tab on a launched server, driven through gradio_client."""
import pickle

import numpy as np
import pytest
from gensim.models import KeyedVectors
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from engine.core import paths
from engine.vectors import chive
from tabs import word2vec
from tests.launching import served, single_tab_blocks


@pytest.fixture(scope="session")
def chive_cache(tmp_path_factory):
    """chiVe converted once per test session; shared with tests/engine/vectors/test_vectors.py (same place)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(paths.HOME_ENV, str(tmp_path_factory.getbasetemp() / "chive-home"))
        return chive.ensure_cache()


@pytest.fixture(scope="module")
def server(tmp_path_factory, chive_cache):
    """One server for the module, over a data home of its own whose vectors/chive is the cache."""
    home = tmp_path_factory.mktemp("w2v-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(paths.HOME_ENV, str(home))
        (paths.vectors_dir() / chive.NAME).symlink_to(chive_cache, target_is_directory=True)
        with served(single_tab_blocks(word2vec)) as (url, client):
            yield client, home


def table_words(table) -> list:
    return [row[1] for row in table["data"]]


def test_similarity_with_picture(server):
    client, _ = server
    score, notes, picture = client.predict("犬", "猫", "chive", api_name="/similarity")
    assert 0.5 < score <= 1
    assert "犬" in notes and "猫" in notes
    with open(picture, "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"


def test_neighbours_and_respelling(server):
    client, _ = server
    table, notes, picture = client.predict("ねこ", 5, "chive", api_name="/most_similar")
    assert len(table["data"]) == 5 and all(-1 <= row[2] <= 1 for row in table["data"])
    assert "猫" in notes  # the user is told which spelling was looked up
    assert picture


def test_word_arithmetic(server):
    client, _ = server
    table, _, _ = client.predict("王 女", "男", 5, "chive", api_name="/analogy")
    assert {"女王", "王妃", "王女", "妃", "姫", "皇后"} & set(table_words(table))


def test_odd_one_out(server):
    client, _ = server
    answer, table, _ = client.predict("犬、猫、馬、自動車", "chive", api_name="/doesnt_match")
    assert "自動車" in answer and table_words(table)[0] == "自動車"


def test_unknown_word_message_suggests_spellings(server):
    client, _ = server
    with pytest.raises(AppError) as caught:
        client.predict("ドラえもんず", 5, "chive", api_name="/most_similar")
    assert "ドラえもん" in str(caught.value)


def test_upload_then_query_the_new_source(server, tmp_path):
    client, _ = server
    kv = KeyedVectors(vector_size=3)
    kv.add_vectors(["りんご", "みかん", "電車"], np.array([[1, 0.8, 0], [0.9, 1, 0], [0, 0.1, 1]], dtype=np.float32))
    path = tmp_path / "fruit.txt"
    kv.save_word2vec_format(str(path), binary=False)
    status, picker = client.predict(handle_file(str(path)), "fruit", api_name="/upload_vectors")
    assert "fruit" in status and picker["value"] == "fruit"
    score, _, _ = client.predict("りんご", "みかん", "fruit", api_name="/similarity")
    assert score == pytest.approx(float(kv.similarity("りんご", "みかん")), abs=1e-3)


class WritesMarker:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickle_upload_is_refused(server, tmp_path):
    client, _ = server
    marker = tmp_path / "PWNED"
    path = tmp_path / "vectors.bin"
    path.write_bytes(pickle.dumps(WritesMarker(marker), protocol=4))
    with pytest.raises(AppError) as caught:
        client.predict(handle_file(str(path)), "evil", api_name="/upload_vectors")
    assert "pickle" in str(caught.value)
    assert not marker.exists()


def test_training_from_the_tab(server, tmp_path):
    client, home = server
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(["犬と猫が庭で遊んでいる。", "猫と犬は仲がよい。", "電車で学校に行く。"] * 40), encoding="utf-8")
    status, picker = client.predict(handle_file(str(corpus)), "class", 16, 3, 2, "cbow", 3, api_name="/train_vectors")
    assert "class" in status and picker["value"] == "class"
    assert (home / "vectors" / "class" / "vectors.npy").exists()
    score, _, _ = client.predict("犬", "猫", "class", api_name="/similarity")
    assert -1 <= score <= 1


def test_hub_offline_message_and_source_list(server):
    client, _ = server
    with pytest.raises(AppError) as caught:
        client.predict("someone/japanese-vectors", "", "hub", api_name="/hub_vectors")
    assert "オフライン" in str(caught.value)
    picker = client.predict("chive", api_name="/sources")
    assert picker["choices"][0][1] == "chive"
