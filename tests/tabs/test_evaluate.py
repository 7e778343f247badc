"""The Evaluate tab driven through gradio_client on a launched server."""
import shutil

import pandas as pd
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from tabs import evaluate
from tests.chive_fixtures import chive_cache, chive_home  # noqa: F401 - fixtures
from tests.launching import served, single_tab_blocks
from tests.model_fixtures import stored_model, tiny_model_dir  # noqa: F401 - fixtures

GREEDY = ["greedy", 1, 16, 4, 2, 1.0, 1.0, 50, 1.0, 1.0, 0, 42]


@pytest.fixture
def client(stored_model, chive_home):
    with served(single_tab_blocks(evaluate)) as (_url, client):
        yield client


def test_two_models_side_by_side(client, stored_model, tiny_model_dir, tmp_path):
    from engine.core import paths, runs
    from engine.models import store

    shutil.copytree(tiny_model_dir, paths.models_dir() / "tiny-b")
    source = tmp_path / "test.csv"
    source.write_text("Input,Output,Correct\ndog,ねこ,いぬ\ncat,+いぬ,ねこ\napple,みかん,りんご\n", encoding="utf-8")
    summary, comparison, plot, rows, download = client.predict(
        handle_file(str(source)), [stored_model, "tiny-b"], *GREEDY, api_name="/evaluate")
    assert "3 行" in summary and "正解の列" in summary and "correct_" not in summary
    assert comparison["headers"] == ["指標", "良い向き", stored_model, "tiny-b"]
    metric_names = [row[0] for row in comparison["data"]]
    assert "chrF" in metric_names and "文字誤り率 CER" in metric_names
    assert plot is not None
    assert rows["headers"][:5] == ["モデル", "入力", "期待する出力", "生成された出力", "正しい訳"]  # headers in words
    assert "chrF" in rows["headers"] and not any("_" in h for h in rows["headers"])  # no Python keys
    assert len(rows["data"]) == 6
    frame = pd.read_csv(download, encoding="utf-8-sig", dtype=str)
    assert len(frame) == 6 and "'+いぬ" in set(frame["期待する出力"])  # the download's headers in words too
    assert not any("_" in h for h in frame.columns), list(frame.columns)
    assert len(runs.list_runs(kind="evaluate")) == 2
    assert store.load_meta("tiny-b")["evaluations"][0]["metrics"]["rows"] == 3


def test_distractor_metrics_in_the_comparison(client, stored_model, tmp_path):
    source = tmp_path / "quiz.csv"
    source.write_text("Input,Output,Correct\ndog,ねこ,いぬ\ncat,いぬ,ねこ\n", encoding="utf-8")
    beam3 = ["beam", 3, 16, 4, 2, 1.0, 1.0, 50, 1.0, 1.0, 0, 42]
    summary, comparison, _plot, rows, _download = client.predict(
        handle_file(str(source)), [stored_model], *beam3, api_name="/evaluate")
    assert "漏れ率" in summary
    better = {row[0]: row[1] for row in comparison["data"]}
    assert better["漏れ率（正解の混入）"] == "低いほど良い" and better["有効率（単語として使える）"] == "高いほど良い"
    assert better["多様性（違う出力の割合）"] == "高いほど良い" and better["chrF"] == "高いほど近い"
    assert "出力（すべて）" in rows["headers"] and "漏れ率（正解の混入）" in rows["headers"]


def test_no_model_and_missing_columns_are_clear_errors(client, stored_model, tmp_path):
    source = tmp_path / "only_input.csv"
    source.write_text("Input\ndog\n", encoding="utf-8")
    with pytest.raises(AppError, match="モデルを 1 つ以上"):
        client.predict(handle_file(str(source)), [], *GREEDY, api_name="/evaluate")
    with pytest.raises(AppError, match="Output"):
        client.predict(handle_file(str(source)), [stored_model], *GREEDY, api_name="/evaluate")


def test_score_plot_uses_a_japanese_font():
    from engine.core.fonts import japanese_font
    from engine.evaluate.evaluation import EvaluationResult, score_rows
    from engine.evaluate.plot import score_plot

    rows = score_rows(["a"], ["ねこ"], ["ねこ"])
    figure = score_plot([EvaluationResult(model="m", rows=rows, metrics={})])
    assert japanese_font(), "install fonts-noto-cjk for Japanese plots"
    assert figure.axes[0].title.get_fontfamily()[0] == japanese_font()
