"""What a teacher sees, in Chromium, in Japanese and in English: a training read in plain words, its
model in every list on the same page, and no tab showing a Python key or a server folder.

Every label is looked up in the page's language (engine.core.messages.text), as a reader of that
language finds it; the server's messages must follow the same language."""
import os
import re

import pytest

from engine.core import paths
from engine.core.messages import text
from tests.browser.conftest import FAILURE_SHOTS as SHOTS
from tests.browser.test_train_browser import fill_number
from tests.places import PAIRS

LOCALES = {"ja": "ja-JP", "en": "en-US"}
TABS = ("train", "evaluate", "try", "word2vec", "logs", "catalog", "guide")
# Keys of run records, settings and metrics that once showed on screen as they are.
PYTHON_KEYS = re.compile(r"\b(train_loss|eval_loss|complete_rows|max_input_length|max_target_length|grad_norm|"
                         r"learning_rate|data_sha256|rows_per_second|num_beams|correct_leak_rate|step=|loss=)\b")


@pytest.fixture(params=list(LOCALES))
def lang(request):
    return request.param


@pytest.fixture
def page(browser, app_url, lang, request):
    context = browser.new_context(locale=LOCALES[lang], viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(int(os.environ.get("T5STUDIO_TEST_TIMEOUT_MS", "60000")))
    page.goto(app_url)
    page.get_by_role("tab", name=text("app.tab_train", lang), exact=True).wait_for()
    yield page
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def open_tab(page, lang, key):
    page.get_by_role("tab", name=text(f"app.tab_{key}", lang), exact=True).click()


def option_names(page, label) -> list:
    """The options a dropdown offers now (opened, read, closed again)."""
    box = page.get_by_role("combobox", name=label, exact=True)
    box.click()
    names = [o.inner_text().strip().split("\n")[-1] for o in page.get_by_role("option").all()]
    page.keyboard.press("Escape")
    return names


def offers(page, label, name) -> bool:
    """Whether the dropdown comes to offer `name` within a minute (the page is told by an event; the
    base-model list asks whether the Hub can be reached, which takes a while the first time)."""
    for _ in range(120):
        if name in option_names(page, label):
            return True
        page.wait_for_timeout(500)
    return False


def train_a_few_steps(page, lang, name):
    page.locator("input[type=file]").first.set_input_files(str(PAIRS))
    page.get_by_role("combobox", name=text("train.input_column", lang), exact=True).wait_for()
    page.wait_for_function("() => document.body.innerText.includes('dog')")  # the preview is drawn
    page.get_by_label(text("train.name", lang)).fill(name)
    page.get_by_text(text("train.hyperparameters", lang), exact=True).click()
    for label, value in (("train.max_steps", "4"), ("train.batch_size", "4")):
        fill_number(page, text(label, lang), value)
    page.get_by_role("button", name=text("train.start", lang), exact=True).click()
    page.locator(".t5s-progress", has_text=text("train.status_finished", lang)).wait_for(timeout=5 * 60_000)


def test_a_training_reads_plainly_and_its_model_shows_in_every_list(page, lang):
    name = f"teacher-{lang}"
    train_a_few_steps(page, lang, name)
    # The result in one sentence (item 4): the model's name, no JSON open, no server folder.
    assert page.locator(".t5s-saved").inner_text().strip() == text("train_ui.saved", lang, name=name, try_tab=text("app.tab_try", lang),
                                                                         evaluate_tab=text("app.tab_evaluate", lang))
    assert not page.get_by_text('"run_id"').is_visible()
    # The log (item 3): lines in words, the last one (the final status) in view without scrolling.
    log = page.get_by_label(text("train.log_tail", lang), exact=True)
    lines = log.input_value().splitlines()
    assert lines and not any("step=" in line or "status:" in line for line in lines), lines
    assert lines[-1].endswith(text("logs.line_status", lang, status=text("logs.status_finished", lang)))
    assert log.evaluate("el => el.scrollHeight - el.scrollTop - el.clientHeight") <= 2
    # The new model in the other tabs' lists, without a reload or a refresh button (item 7).
    open_tab(page, lang, "try")
    assert offers(page, text("try.model", lang), name)
    open_tab(page, lang, "evaluate")
    assert offers(page, text("evaluate.models", lang), name)
    open_tab(page, lang, "train")
    assert offers(page, text("train.base", lang), name)


def test_no_tab_shows_a_python_key_or_a_server_folder(page, lang):
    """Every tab, after a training and with its run open in Logs, in the page's language; each tab's
    screenshot is kept (docs/screenshots holds copies)."""
    train_a_few_steps(page, lang, f"keys-{lang}")
    home = str(paths.data_home())
    SHOTS.mkdir(exist_ok=True)
    for key in TABS:
        open_tab(page, lang, key)
        page.wait_for_timeout(1500)  # page-load values and the tab's own lists arrive
        if key == "logs":
            page.get_by_role("gridcell", name=f"keys-{lang}").first.click()
            label = page.get_by_text(text("logs.log", lang), exact=True)
            log = page.locator(".block", has=label).last.locator("textarea")
            for _ in range(60):  # the run's tables, curve and log arrive together
                if log.input_value():
                    break
                page.wait_for_timeout(500)
            assert text("logs.line_status", lang, status=text("logs.status_finished", lang)) in log.input_value()
        shown = page.locator("body").inner_text()
        # The Guide names each term's code name next to its words on purpose (ビーム数（num_beams）).
        assert key == "guide" or not PYTHON_KEYS.search(shown), (key, PYTHON_KEYS.search(shown).group(0))
        assert home not in shown, key
        if lang == "en":  # the server's words follow the page: no Japanese status or summary
            assert text("train.status_finished", "ja") not in shown, key
        page.screenshot(path=str(SHOTS / f"tab-{key}-{lang}.png"), full_page=key != "guide")  # the guide: its top
