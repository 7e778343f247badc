"""engine.models.catalog and engine.models.card: every card parses, every reference model is listed,
a broken card is reported instead of breaking the catalog, the user's own models appear."""
import functools
import shutil

import pytest
import yaml

from engine.core.jsonio import write_json
from engine.core.messages import StudioError
from engine.core.paths import MODEL_CARDS_DIR
from engine.models import catalog, store
from engine.models.card import render_body, render_model_card

# Every model id of the reference catalog (reference/001_*.txt), in its order.
REFERENCE_IDS = [
    "t5-small", "t5-base", "t5-large",
    "google/flan-t5-small", "google/flan-t5-base", "google/flan-t5-large", "google/flan-t5-xl", "google/flan-t5-xxl",
    "retrieva-jp/t5-small-short", "retrieva-jp/t5-small-medium", "retrieva-jp/t5-small-long",
    "retrieva-jp/t5-base-short", "retrieva-jp/t5-base-medium", "retrieva-jp/t5-base-long",
    "retrieva-jp/t5-large-short", "retrieva-jp/t5-large-medium", "retrieva-jp/t5-large-long",
    "retrieva-jp/t5-xl",
    "sonoisa/t5-base-japanese-mC4-Wikipedia", "sonoisa/t5-base-english-japanese",
    "sonoisa/sentence-t5-base-ja-mean-tokens", "sonoisa/t5-base-japanese-adapt",
    "sonoisa/t5-base-japanese-question-generation", "sonoisa/t5-base-japanese-title-generation",
    "sonoisa/t5-qiita-title-generation", "sonoisa/t5-base-japanese-article-generation",
]
TEXTS = ["apple", "みかん", "dog", "ねこ", "red", "青い", "school", "病院"]


@functools.lru_cache(maxsize=1)
def _tiny():
    from engine.models.scratch import build_scratch

    return build_scratch(TEXTS, "tiny")


def make_model(name: str = "my-model", **meta) -> str:
    """Store a tiny untrained scratch T5 as a finished model in the current data home."""
    model, tok = _tiny()
    record = {"status": "finished", "base_model": "scratch", "data_rows": 4, "created": "2025-01-01T00:00:00+09:00",
              "settings": {"size": "tiny", "learning_rate": 3e-4, "epochs": 1.0}, "metrics": {"train_loss": 1.5}}
    record.update(meta)
    with store.staging(name) as folder:
        model.save_pretrained(folder)
        tok.save_pretrained(folder)
        write_json(folder / "run.json", record)
    return name


# --- cards ------------------------------------------------------------------

def test_every_card_parses_with_its_facts():
    paths = sorted(MODEL_CARDS_DIR.glob("*.md"))
    assert len(paths) >= 4
    for path in paths:
        entries = catalog.entries_from_card(path)  # raises on a broken card
        assert entries, path.name
        for entry in entries:
            assert entry.organisation and entry.task and entry.languages, entry.id
            assert entry.size in catalog.SIZES, entry.id
            assert isinstance(entry.parameters, int) and entry.parameters > 0, entry.id
            assert isinstance(entry.generation_base, bool)
            assert entry.tokenizer.get("japanese") in catalog.JAPANESE_SUPPORT, entry.id
            assert entry.tokenizer.get("notes"), entry.id
            assert len(entry.body) > 200 and "## " in entry.body, entry.id
            assert all(str(link["url"]).startswith("https://") for link in entry.links), entry.id


def test_catalog_lists_every_reference_model_once():
    ids = [entry.id for entry in catalog.card_entries()]
    missing = [model_id for model_id in REFERENCE_IDS if model_id not in ids]
    assert not missing
    assert len(ids) == len(set(ids))
    assert not [e for e in catalog.card_entries() if e.source == "broken"]


def test_original_t5_and_flan_warn_about_japanese():
    for model_id in ("t5-small", "google/flan-t5-base"):
        entry = catalog.find_entry(f"card:{model_id}", catalog.card_entries())
        assert entry.tokenizer["byte_fallback"] is False
        assert entry.tokenizer["japanese"] == "poor"
        assert "<unk>" in entry.tokenizer["notes"]
    english_japanese = catalog.find_entry("sonoisa/t5-base-english-japanese", catalog.card_entries())
    assert english_japanese.tokenizer["byte_fallback"] is True


def test_family_card_keeps_per_model_facts():
    entries = {e.id: e for e in catalog.card_entries()}
    assert entries["retrieva-jp/t5-large-medium"].extra["training_steps"] == 1008824
    assert entries["retrieva-jp/t5-xl"].size == "xl"
    assert entries["retrieva-jp/t5-small-short"].license == "cc-by-sa-4.0"
    assert entries["sonoisa/t5-qiita-title-generation"].task != entries["sonoisa/t5-base-japanese-article-generation"].task
    assert entries["sonoisa/sentence-t5-base-ja-mean-tokens"].generation_base is False


# --- broken cards -------------------------------------------------------------

BROKEN_CARDS = {
    "no-front.md": "# just markdown\n",
    "unclosed.md": "---\norganisation: X\nmodels: [a]\n",
    "bad-yaml.md": "---\norganisation: [X\nmodels:\n  - id: a\n---\nbody\n",
    "no-models.md": "---\norganisation: X\n---\nbody\n",
    "bad-size.md": "---\norganisation: X\nmodels:\n  - id: x/y\n    size: huge\n---\nbody\n",
    "no-id.md": "---\norganisation: X\nmodels:\n  - size: small\n---\nbody\n",
    "list-front.md": "---\n- a\n- b\n---\nbody\n",
}


def test_broken_cards_are_reported_not_fatal(tmp_path, home):
    shutil.copy(MODEL_CARDS_DIR / "t5-original.md", tmp_path / "t5-original.md")
    for name, source in BROKEN_CARDS.items():
        (tmp_path / name).write_text(source, encoding="utf-8")
    (tmp_path / "binary.md").write_bytes(b"\xff\xfe\x00garbage")
    entries = catalog.list_entries(folder=tmp_path)
    broken = {e.id: e for e in entries if e.source == "broken"}
    assert set(broken) == {p[:-3] for p in BROKEN_CARDS} | {"binary"}
    for stem, entry in broken.items():
        assert f"{stem}.md" in entry.error  # the message names the file to fix
        assert "⚠️" in catalog.render_entry(entry)
    assert "YAML" in broken["bad-yaml"].error
    assert "huge" in broken["bad-size"].error
    assert {"t5-small", "t5-base", "t5-large"} <= {e.id for e in entries}
    # The table still renders, and a filter hides broken cards (they claim no language).
    assert len(catalog.summary_rows(entries)) == len(entries)
    assert all(e.source != "broken" for e in catalog.list_entries(language="en", folder=tmp_path))
    with pytest.raises(StudioError):
        catalog.base_model_value(broken["no-front"])


# --- filters -----------------------------------------------------------------

def test_filters(home):
    japanese = {e.id for e in catalog.list_entries(language="ja")}
    assert "retrieva-jp/t5-base-long" in japanese and "t5-small" not in japanese
    assert not any(name.startswith("google/flan-t5") for name in japanese)  # it lists ja, but cannot spell it
    assert {e.id for e in catalog.list_entries(size="xl")} == {"google/flan-t5-xl", "retrieva-jp/t5-xl"}
    sonoisa = catalog.list_entries(organisation="sonoisa")
    assert sonoisa and all(e.id.startswith("sonoisa/") for e in sonoisa)
    both = catalog.list_entries(language="en", size="small", organisation="Google")
    assert {e.id for e in both} == {"t5-small", "google/flan-t5-small"}
    assert catalog.list_entries(language="all", size=None, organisation="") == catalog.list_entries()
    assert catalog.list_entries(language="xx") == []


def test_render_entry_shows_facts_links_and_body():
    entry = catalog.find_entry("card:t5-small", catalog.card_entries())
    page = catalog.render_entry(entry)
    assert "`t5-small`" in page and "6,000万" in page and "apache-2.0" in page
    assert "https://jmlr.org/papers/volume21/20-074/20-074.pdf" in page
    assert entry.body.strip()[:40] in page


def test_format_parameters():
    assert catalog.format_parameters(60_000_000) == "6,000万"
    assert catalog.format_parameters(220_000_000) == "2億2,000万"
    assert catalog.format_parameters(11_300_000_000) == "113億"
    assert catalog.format_parameters(None) == "—"


# --- the user's own models -----------------------------------------------------

def test_own_models_are_listed_with_their_cards(home):
    make_model("my-model")
    entries = catalog.list_entries()
    mine = [e for e in entries if e.source == "mine"]
    assert [e.id for e in mine] == ["my-model"]
    assert catalog.list_entries(organisation=catalog.MINE)[0].id == "my-model"
    entry = catalog.find_entry("mine:my-model", entries)
    assert catalog.base_model_value(entry) == "my-model"
    page = catalog.render_entry(entry)
    assert "my-model" in page and "訓練損失" in page and "train_loss" not in page  # metrics named in words
    store.update_meta("my-model", hub_url="https://huggingface.co/someone/my-model")
    page = catalog.render_entry(catalog.find_entry("mine:my-model"))
    assert "https://huggingface.co/someone/my-model" in page


def test_base_choices_lead_with_the_bundled_model(home):
    make_model("my-model")
    offline = catalog.base_model_choices(online=False)
    assert offline[:3] == ["t5studio-distractor-base", "my-model", "scratch"]
    online = catalog.base_model_choices(online=True)
    assert online[0] == "t5studio-distractor-base"
    japanese = online[1:online.index("my-model")]
    assert "sonoisa/t5-base-english-japanese" in japanese and "retrieva-jp/t5-small-short" in japanese
    assert "t5-small" not in japanese and online.index("t5-small") > online.index("scratch")
    assert len(online) == len(set(online))
    assert catalog.card_entries()[0].id == "t5studio-distractor-base"  # the catalog opens on it


def test_stored_model_named_like_a_hub_id_stays_apart(home):
    make_model("t5-small")
    entries = catalog.list_entries()
    assert catalog.find_entry("mine:t5-small", entries).source == "mine"
    assert catalog.find_entry("card:t5-small", entries).source == "card"


def test_not_a_generation_model_cannot_be_a_base():
    entry = catalog.find_entry("sonoisa/sentence-t5-base-ja-mean-tokens", catalog.card_entries())
    with pytest.raises(StudioError) as info:
        catalog.base_model_value(entry)
    assert info.value.key == "catalog.not_generation_base"
    with pytest.raises(StudioError):
        catalog.find_entry("card:nobody/nothing", catalog.card_entries())


# --- generated model card -----------------------------------------------------

def test_model_card_has_metadata_metrics_evaluations_and_no_private_paths():
    meta = {
        "name": "quiz-model", "base_model": "retrieva-jp/t5-small-long", "status": "finished",
        "data_rows": 120, "data_rows_train": 108, "data_rows_validation": 12, "data_sha256": "ab" * 32,
        "ended": "2025-02-03T04:05:06+09:00",
        "settings": {"csv": "/secret/uploads/abc/words.csv", "name": "quiz-model", "base": "x",
                     "learning_rate": 0.0003, "epochs": 3.0, "optimizer": "adamw"},
        "metrics": {"train_loss": 0.123456, "eval_loss": 0.5},
        "evaluations": [{"date": "2025-02-04", "data": "<b>test.csv</b>", "rows": 30,
                         "metrics": {"chrf": 41.2, "exact_match": 0.1}}],
        "hub_url": "https://huggingface.co/teacher/quiz-model", "hub_repo_id": "teacher/quiz-model",
    }
    card = render_model_card(meta)
    front = yaml.safe_load(card.split("---")[1])
    assert front["base_model"] == "retrieva-jp/t5-small-long"
    assert front["library_name"] == "transformers" and "ja" in front["language"]
    assert "/secret/uploads" not in card and "words.csv" not in card
    for fragment in ("| 学習率 | 0.0003 |", "訓練損失", "0.1235", "chrF", "41.2", "108", "2025-02-04",
                     "https://huggingface.co/teacher/quiz-model", 'from_pretrained("teacher/quiz-model")'):
        assert fragment in card, fragment
    assert "<b>" not in card and "&lt;b&gt;" in card  # user text is escaped


def test_model_card_for_scratch_and_legacy_ids():
    assert "base_model" not in yaml.safe_load(render_model_card({"name": "a", "base_model": "scratch"}).split("---")[1])
    front = yaml.safe_load(render_model_card({"name": "a", "base_model": "t5-small"}).split("---")[1])
    assert front["base_model"] == "google-t5/t5-small"
    body = render_body({"name": "a|b", "settings": {"x": "1|2"}})
    assert "a\\|b" in body and "1\\|2" in body


def test_every_card_reads_in_english_for_an_english_reader():
    """model_cards/en/ holds each card's words in English; the facts stay in the Japanese card."""
    import re

    from engine.core.messages import speaking
    from engine.models.cardfile import split_front_matter

    japanese_cards = sorted(MODEL_CARDS_DIR.glob("*.md"))
    assert sorted(p.name for p in (MODEL_CARDS_DIR / "en").glob("*.md")) == [p.name for p in japanese_cards]
    for path in japanese_cards:
        words, _ = split_front_matter((MODEL_CARDS_DIR / "en" / path.name).read_text(encoding="utf-8"))
        facts, _ = split_front_matter(path.read_text(encoding="utf-8"))
        assert "models" not in words and len(words.get("links", [])) == len(facts.get("links", [])), path.name
    with speaking("en"):
        for entry in catalog.card_entries():
            shown = catalog.render_entry(entry)
            assert len(re.findall(r"[ぁ-んァ-ン]", shown)) < 20, entry.id  # a Japanese example or two at most
    assert re.search(r"[ぁ-ん]", catalog.render_entry(catalog.card_entries()[0]))  # Japanese by default
