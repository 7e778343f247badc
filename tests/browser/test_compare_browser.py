"""Comparing runs in the Logs tab, in Chromium, in Japanese and in English (issue 14, item 4)."""
import pytest

from engine.core import runs
from engine.core.jsonio import append_jsonl
from engine.core.messages import text
from tests.browser.conftest import FAILURE_SHOTS as SHOTS
from tests.browser.test_teacher_view import lang, open_tab, page  # noqa: F401 - fixtures


@pytest.fixture
def two_runs(app_url, lang):
    made = []
    for name, rate, last in ((f"lr-small-{lang}", 3e-4, 2.2), (f"lr-large-{lang}", 1e-3, 1.4)):
        run = runs.start_run("train", name, settings={"learning_rate": rate, "batch_size": 16, "epochs": 3})
        for step in (5, 10, 15):
            append_jsonl(run.trainer_log_path, {"step": step, "loss": 3.0 - step / 10, "eval_loss": last + 1 / step})
        run.finish("finished")
        made.append(name)
    return made


def test_two_runs_on_one_chart_with_the_settings_that_differ(two_runs, page, lang):  # the runs exist before the page
    open_tab(page, lang, "logs")
    page.get_by_text(text("logs.compare_title", lang), exact=True).click()
    box = page.get_by_role("combobox", name=text("logs.compare_runs", lang), exact=True)
    for name in two_runs:
        box.click()
        page.get_by_role("option", name=name).first.click()
    page.keyboard.press("Escape")
    page.get_by_role("button", name=text("logs.compare_button", lang), exact=True).click()
    page.get_by_text(text("logs.compare_best", lang, name=two_runs[1])).wait_for()
    table = page.locator(".block", has=page.get_by_text(text("logs.compare_table", lang), exact=True)).last
    rows = table.inner_text()
    assert text("train.learning_rate", lang) in rows and text("train.batch_size", lang) not in rows
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"logs-compare-{lang}.png"), full_page=True)
