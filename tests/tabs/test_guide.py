"""The Guide: every UI term has a glossary entry with an anchor, help texts, links that resolve."""
import re
import shutil

import gradio as gr
import pytest

from engine.core.messages import texts
from tabs import guide
from tabs.common import Page, t
from tests.launching import served

# Every term the UI uses (issue 5), by the name other tabs will look it up with.
UI_TERMS = [
    # hyperparameters
    "epochs", "num_train_epochs", "max_steps", "learning_rate", "batch_size", "gradient_accumulation_steps",
    "warmup", "weight_decay", "optimizer", "adamw", "adafactor", "lr_scheduler", "max_input_length",
    "max_target_length", "validation_split", "seed", "early_stopping_patience", "label_smoothing",
    # generation
    "greedy", "beam_search", "diverse_beam_search", "sampling", "num_beams", "num_beam_groups",
    "diversity_penalty", "temperature", "top_k", "top_p", "num_return_sequences", "max_new_tokens",
    "repetition_penalty", "no_repeat_ngram_size",
    # losses and metrics
    "loss", "train_loss", "eval_loss", "exact_match", "chrf", "bleu", "character_error_rate", "cer",
    "normalized_edit_similarity", "leak_rate", "validity", "closeness", "diversity",
    # word vectors
    "cosine_similarity", "skip_gram", "cbow", "window", "min_count",
    # the model itself
    "t5", "encoder", "decoder", "self_attention", "fine_tuning", "scratch", "tokenizer",
    # the names engine.evaluate.metrics / engine.generate.generation / engine.train.config use
    "similarity", "correct_similarity", "method", "beam", "diverse_beam", "num_outputs", "grad_accum",
    "warmup_ratio", "scheduler", "eval_every", "size",
]
SCHEDULERS = ("linear", "cosine", "constant")
ANCHOR = re.compile(r'<a id="([^"]+)"></a>')
LINK = re.compile(r"\]\(#([^)]+)\)")


def _anchors(lang: str = "ja") -> list:
    return [a for page in guide.PAGES for a in ANCHOR.findall(guide.read_page(page, lang))]


@pytest.mark.parametrize("term", UI_TERMS)
def test_every_ui_term_has_an_anchored_entry_and_help(term):
    key = guide.term_id(term)
    assert f'<a id="{key}"></a>' in guide.read_page("glossary.md")
    assert guide.GLOSSARY_HELP[key]
    assert texts("en")[f"guide.help_{key}"]


def test_anchors_are_unique_and_match_the_help_table():
    anchors = _anchors()
    assert len(anchors) == len(set(anchors))
    terms = [a for a in anchors if not a.startswith("section-")]
    assert terms == list(guide.GLOSSARY_HELP)  # same entries, same order
    assert all(re.fullmatch(r"[a-z0-9_]+", a) for a in terms)
    assert len(terms) >= 70


def test_help_lines_are_short_single_lines_in_both_languages():
    for key in guide.GLOSSARY_HELP:
        for lang in ("ja", "en"):
            line = texts(lang)[f"guide.help_{key}"]
            assert line and "\n" not in line and len(line) <= 90, (lang, key, line)
    assert re.search(r"[ぁ-んァ-ン一-龥]", guide.GLOSSARY_HELP["learning_rate"])


def test_scheduler_entry_names_each_schedule():
    entry = guide.read_page("glossary.md").split('<a id="scheduler"></a>')[1].split("###")[0]
    for name in SCHEDULERS:
        assert f"**{name}**" in entry


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_link_in_the_guide_resolves(lang):
    anchors = set(_anchors(lang))
    for page in guide.PAGES:
        for target in LINK.findall(guide.read_page(page, lang)):
            assert target in anchors, (lang, page, target)


def test_the_english_guide_has_every_entry_and_section_of_the_japanese_one():
    assert _anchors("en") == _anchors("ja")  # links from any tab land in either language
    english = guide.term_names("en")
    assert english["learning_rate"] == "Learning rate" and list(english) == list(guide.TERM_NAMES)
    for page in guide.PAGES:  # English, with a few Japanese examples (いぬ and イヌ for 犬)
        body = guide.read_page(page, "en")
        assert len(re.findall(r"[ぁ-んァ-ン一-龥]", body)) < len(body) / 100, page


def test_the_guide_and_its_links_follow_the_readers_language():
    from engine.core.messages import speaking

    with speaking("en"):
        assert guide.glossary_link("learning_rate") == "[Learning rate](#learning_rate)"
        assert "What kind of model T5 is" in guide.read_page("t5.md")
    assert guide.glossary_link("learning_rate") == "[学習率（learning rate）](#learning_rate)"


def test_explainer_covers_the_topics():
    body = guide.read_page("t5.md")
    for topic in ("エンコーダ", "デコーダ", "自己注意", "クエリ", "損失", "勾配", "学習率", "過学習",
                  "貪欲法", "ビームサーチ", "多様ビームサーチ", "サンプリング", "top-k", "top-p", "temperature"):
        assert topic in body, topic


def test_glossary_link_and_info():
    assert guide.glossary_link("chrf") == "[chrF](#chrf)"
    assert guide.glossary_link("learning_rate") == "[学習率（learning rate）](#learning_rate)"
    assert guide.glossary_link("num_train_epochs", label="?") == "[?](#epochs)"
    assert guide.glossary_link("top_p", label="[x]") == "[(x)](#top_p)"  # brackets cannot break the link
    with pytest.raises(KeyError, match="no glossary entry"):
        guide.glossary_link("no_such_term")
    info = guide.glossary_info("gradient_accumulation_steps")
    assert info.key == "guide.help_grad_accum"
    assert texts("ja")["guide.help_grad_accum"] == guide.GLOSSARY_HELP["grad_accum"]


def _two_tab_app() -> gr.Blocks:
    """A first tab that links into the glossary, and the Guide tab, as app.py composes them."""
    with gr.Blocks() as demo:
        with gr.Tabs():
            with gr.Tab(t("app.tab_train"), id="train"):
                gr.Markdown(f"リンク: {guide.glossary_link('label_smoothing')}", elem_id="probe")
            with gr.Tab(t("app.tab_guide"), id="guide"):
                guide.create_tab(Page.start(demo))
    demo.queue()
    return demo


BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium is not installed")
def test_a_glossary_link_in_another_tab_opens_the_guide_at_the_entry(home):
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    with served(_two_tab_app()) as (url, _client), sync_playwright() as play:
        browser = play.chromium.launch(executable_path=shutil.which("chromium"), args=BROWSER_ARGS)
        try:
            page = browser.new_page(locale="ja-JP", viewport={"width": 1200, "height": 800})
            page.goto(url)
            page.locator("#probe a").click()
            page.locator("h3:has(#label_smoothing)").wait_for(state="visible", timeout=10000)
            page.wait_for_function(
                "() => { const r = document.getElementById('label_smoothing').getBoundingClientRect();"
                " return r.top >= 0 && r.top < window.innerHeight; }",
                timeout=10000,
            )
            assert page.get_by_role("tab", name="解説").get_attribute("aria-selected") == "true"
            # Every anchor survived Gradio's HTML sanitizer.
            count = page.evaluate("() => document.querySelectorAll('.t5studio-guide a[id]').length")
            assert count == len(_anchors())
        finally:
            browser.close()
