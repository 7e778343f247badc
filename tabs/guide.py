"""解説 Guide: what T5 is, how training and generation work, and a glossary of every UI term.

The text lives in guide/<lang>/*.md, Japanese and English, shown in the reader's language. Each
glossary entry is a heading with a stable anchor, the same in both languages,
`### <a id="learning_rate"></a>学習率（learning rate）`, so any tab can link to it.

For other tabs (no engine needed, import is cheap):

    from tabs.guide import GLOSSARY_HELP, glossary_info, glossary_link

    gr.Number(label=t("train.learning_rate"), info=glossary_info("learning_rate"))  # ja/en help
    gr.Slider(..., info=GLOSSARY_HELP["top_p"])           # the same help, Japanese str only
    gr.Markdown(f"… {glossary_link('chrf')}")             # -> "[chrF](#chrf)"

- `GLOSSARY_HELP`: {term_id: one-line Japanese help}, in glossary order.
- `glossary_info(term_id)`: the same line as a gr.I18n text (Japanese, English), for `info=`.
- `glossary_link(term_id, label=None)`: a short markdown link to the entry; a click on it anywhere
  in the app opens the Guide tab and scrolls to the entry.
- Term ids follow engine.train.config.TrainConfig's field names where one exists (epochs, grad_accum,
  warmup_ratio, scheduler, …) and transformers' generate() names for generation settings;
  `ALIASES` also accepts transformers' training names (num_train_epochs, …).
"""
import json
import re
from functools import lru_cache
from pathlib import Path

import gradio as gr

from engine.core.messages import DEFAULT_LANG, LANGUAGES, current_language, texts
from tabs.common import Page, localized, t

GUIDE_DIR = Path(__file__).resolve().parent.parent / "guide"
PAGES = ("t5.md", "glossary.md")
ENTRY = re.compile(r'^### <a id="([a-z0-9_]+)"></a>(.+)$', re.M)
SECTION = re.compile(r'^## <a id="(section-[a-z0-9-]+)"></a>(.+)$', re.M)

ALIASES = {
    "num_train_epochs": "epochs",
    "gradient_accumulation_steps": "grad_accum",
    "warmup": "warmup_ratio",
    "warmup_steps": "warmup_ratio",
    "lr_scheduler": "scheduler",
    "lr_scheduler_type": "scheduler",
    "per_device_train_batch_size": "batch_size",
    "patience": "early_stopping_patience",
    "label_smoothing_factor": "label_smoothing",
    "eval_steps": "eval_every",
    "character_error_rate": "cer",
    "normalized_edit_similarity": "edit_similarity",
    "levenshtein": "edit_distance",
    "skipgram": "skip_gram",
    "sg": "skip_gram",
    "min_frequency": "min_count",
    "similarity": "edit_similarity",  # engine.evaluate.metrics' name
    "correct_similarity": "closeness",
    "correct_chrf": "closeness",
    "method": "generation_method",  # engine.generate.generation's names
    "beam": "beam_search",
    "diverse_beam": "diverse_beam_search",
    "num_outputs": "num_return_sequences",
}


def read_page(name: str, lang: str = None) -> str:
    """A guide page in `lang` (default: the reader's language)."""
    return (GUIDE_DIR / (lang or current_language()) / name).read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def term_names(lang: str = DEFAULT_LANG) -> dict:
    """{term_id: heading text} of the glossary in `lang`, in its order."""
    return {term_id: name.strip() for term_id, name in ENTRY.findall(read_page("glossary.md", lang))}


TERM_NAMES = term_names()  # the ids and their Japanese names
GLOSSARY_HELP = {term_id: texts("ja").get(f"guide.help_{term_id}", "") for term_id in TERM_NAMES}


def term_id(term: str) -> str:
    """The glossary id for `term` (an id or an alias); KeyError names the unknown term."""
    key = ALIASES.get(term, term)
    if key not in TERM_NAMES:
        raise KeyError(f"no glossary entry {term!r}; known: {', '.join(TERM_NAMES)}")
    return key


def glossary_link(term: str, label: str = None) -> str:
    """A short markdown link to the glossary entry, e.g. '[chrF](#chrf)'."""
    key = term_id(term)
    text = label or term_names(current_language())[key]
    return f"[{text.replace('[', '(').replace(']', ')')}](#{key})"


def glossary_info(term: str):
    """The entry's one-line help as a translated text, for a widget's `info=`."""
    return t(f"guide.help_{term_id(term)}")


def table_of_contents() -> str:
    """The sections of every page as a markdown list; a page's later sections nest under its first."""
    lines = []
    for page in PAGES:
        for index, (anchor, title) in enumerate(SECTION.findall(read_page(page))):
            indent = "    " if page == "glossary.md" and index else ""
            lines.append(f"{indent}- [{title.strip()}](#{anchor})")
    return "\n".join(lines)


# A click on "#<term>" anywhere in the app: open the Guide tab (Gradio renders a tab's content only
# once it is shown), then scroll to the entry. The tab button is found by its label in any language.
_NAVIGATE_JS = """
() => {
  const ids = new Set(%s);
  const tabLabels = %s;
  const go = (id) => {
    const target = document.getElementById(id);
    if (target && target.offsetParent !== null) { target.scrollIntoView({behavior: "smooth"}); return true; }
    return false;
  };
  const openGuide = () => {
    for (const tab of document.querySelectorAll('[role="tab"]')) {
      if (tabLabels.includes(tab.textContent.trim())) { tab.click(); return; }
    }
  };
  window.t5studioGlossary = (id) => {
    if (!ids.has(id) || go(id)) return;
    openGuide();
    let tries = 0;
    const timer = setInterval(() => { if (go(id) || ++tries > 60) clearInterval(timer); }, 50);
  };
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest('a[href^="#"]');
    if (!link) return;
    const id = decodeURIComponent(link.getAttribute("href").slice(1));
    if (!ids.has(id)) return;
    event.preventDefault();
    window.t5studioGlossary(id);
  }, true);
  return [];
}
"""


def navigation_js() -> str:
    anchors = list(TERM_NAMES) + [a for page in PAGES for a, _ in SECTION.findall(read_page(page, DEFAULT_LANG))]
    labels = [texts(lang).get("app.tab_guide") for lang in LANGUAGES]
    return _NAVIGATE_JS % (json.dumps(anchors), json.dumps([label for label in labels if label], ensure_ascii=False))


def term_choices() -> list:
    """(name in the reader's language, id) for the term finder."""
    return [(name, key) for key, name in term_names(current_language()).items()]


def create_tab(page: Page) -> None:
    gr.Markdown(t("guide.intro"))
    with gr.Row():
        with gr.Column(scale=2), gr.Accordion(t("guide.toc"), open=True):
            gr.Markdown(localized("guide.contents", table_of_contents))
        with gr.Column(scale=1):
            term = gr.Dropdown(
                term_choices(),
                value=None,
                label=t("guide.find_term"),
                info=t("guide.find_term_info"),
            )
    for name in PAGES:
        gr.Markdown(localized(f"guide.page_{Path(name).stem}", lambda name=name: read_page(name)),
                    elem_classes=["t5studio-guide"])
    page.demo.load(lambda: gr.update(choices=term_choices()), None, term, api_name=False)
    term.change(None, term, None, js="(id) => { if (id && window.t5studioGlossary) window.t5studioGlossary(id); return []; }")
    page.demo.load(None, None, None, js=navigation_js())


if __name__ == "__main__":
    from tabs.common import launch_kwargs

    with gr.Blocks(title="T5 Studio — Guide") as demo:
        create_tab(Page.start(demo))
    demo.launch(**launch_kwargs())
