"""The Catalog tab through gradio_client on a launched server: filters, cards, "use as base model"
filling the Train tab's dropdown, and publishing with a fake HfApi."""
import gradio as gr
import pytest
from gradio_client.exceptions import AppError

from engine.core.messages import text
from engine.models import publishing, store
from tabs import catalog as catalog_tab
from tabs.common import Page
from tests.engine.models.test_catalog import make_model
from tests.engine.models.test_publishing import FAKE_TOKEN, FakeHfApi
from tests.launching import served, single_tab_blocks


def app_with_train_stand_in() -> gr.Blocks:
    """Tabs like app.py's, with a stand-in for the Train tab's base-model dropdown."""
    with gr.Blocks() as demo:
        page = Page.start(demo)
        with gr.Tabs() as tabs:
            page.tabs = tabs
            with gr.Tab("train", id="train"):
                base_box = gr.Dropdown(["scratch"], value="scratch", allow_custom_value=True, label="base model")
            with gr.Tab("catalog", id="catalog"):
                catalog_tab.create_tab(page, base_box)
    demo.queue(default_concurrency_limit=1)
    return demo


def test_list_filter_and_show(home):
    make_model("my-model")
    with served(single_tab_blocks(catalog_tab)) as (_, client):
        table, picker, card, hub_models = client.predict("ja", "all", "all", api_name="/catalog_list")
        ids = [row[0] for row in table["data"]]
        assert "retrieva-jp/t5-small-long" in ids and "my-model" in ids and "t5-small" not in ids
        assert picker["value"] == f"card:{ids[0]}"
        assert ids[0] in card
        assert "my-model" in [choice[0] for choice in hub_models["choices"]]
        table, *_ = client.predict("all", "xl", "Google", api_name="/catalog_list")
        assert [row[0] for row in table["data"]] == ["google/flan-t5-xl"]
        client.predict("all", "all", "all", api_name="/catalog_list")  # the picker only takes listed models
        card = client.predict("card:sonoisa/t5-base-english-japanese", api_name="/catalog_show")
        assert "byte fallback" in card and "sonoisa/t5-base-english-japanese" in card
        card = client.predict("mine:my-model", api_name="/catalog_show")
        assert "my-model" in card and "訓練損失" in card
        _, picker, card, _ = client.predict("ro", "all", "sonoisa", api_name="/catalog_list")
        assert card == text("catalog.no_entries")
        assert picker["choices"] == []
        names = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
        assert "/use_as_base" not in names  # run alone, the tab has no Train tab to fill


def test_use_as_base_fills_the_train_dropdown(home):
    make_model("my-model")
    with served(app_with_train_stand_in()) as (_, client):
        value, message = client.predict("card:retrieva-jp/t5-small-long", api_name="/use_as_base")
        assert value == "retrieva-jp/t5-small-long"
        assert "retrieva-jp/t5-small-long" in message
        value, _ = client.predict("mine:my-model", api_name="/use_as_base")
        assert value == "my-model"
        with pytest.raises(AppError) as info:
            client.predict("card:sonoisa/sentence-t5-base-ja-mean-tokens", api_name="/use_as_base")
        assert "ベースモデルには使えません" in str(info.value)


def test_use_as_base_switches_to_the_train_tab(home):
    outputs = catalog_tab.use_as_base("card:t5-base", switch_tab=True)
    assert outputs[0] == "t5-base"
    assert isinstance(outputs[2], gr.Tabs) and outputs[2].selected == "train"


def test_publish_from_the_tab(home, monkeypatch, caplog):
    FakeHfApi.calls, FakeHfApi.repos, FakeHfApi.fail_upload = [], {}, None
    monkeypatch.setattr(publishing, "HfApi", FakeHfApi)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(publishing.constants, "HF_HUB_OFFLINE", False)
    make_model("my-model")
    with served(single_tab_blocks(catalog_tab)) as (_, client):
        with pytest.raises(AppError) as info:
            client.predict("my-model", "my-repo", True, "", "", api_name="/hub_push")
        assert "トークンがありません" in str(info.value) and FakeHfApi.calls == []
        result = client.predict("my-model", "my-repo", True, "from the tab", FAKE_TOKEN, api_name="/hub_push")
        assert "https://huggingface.co/teacher/my-repo" in result and "非公開" in result
        assert dict(FakeHfApi.calls)["create_repo"]["private"] is True
        card = client.predict("mine:my-model", api_name="/catalog_show")
        assert "https://huggingface.co/teacher/my-repo" in card
    assert store.load_meta("my-model")["hub_url"] == "https://huggingface.co/teacher/my-repo"
    assert FAKE_TOKEN not in caplog.text


def test_space_detection_and_sign_in_handler(home, monkeypatch):
    monkeypatch.setenv("SPACE_ID", "teacher/t5-studio")
    monkeypatch.delenv("SYSTEM", raising=False)
    assert not catalog_tab.on_space()  # SPACE_ID alone: gradio would mock sign-in with the server's login
    monkeypatch.setenv("SYSTEM", "spaces")
    assert catalog_tab.on_space()
    make_model("my-model")
    with pytest.raises(gr.Error) as info:  # not signed in: no token, nothing sent, no server token used
        catalog_tab.push_with_login("my-model", "my-repo", True, "", None)
    assert "トークンがありません" in str(info.value)


def test_on_a_space_sign_in_replaces_the_token_field(home, monkeypatch):
    pytest.importorskip("authlib", reason="gradio[oauth] is needed for the Space sign-in button")
    monkeypatch.setenv("SYSTEM", "spaces")
    monkeypatch.setenv("SPACE_ID", "teacher/t5-studio")
    # What a Space with `hf_oauth: true` provides; the values are placeholders, nothing is contacted.
    for key, value in {"OAUTH_CLIENT_ID": "placeholder-id", "OAUTH_CLIENT_SECRET": "placeholder-secret",
                       "OAUTH_SCOPES": "openid profile read-repos write-repos manage-repos",
                       "OPENID_PROVIDER_URL": "https://huggingface.co"}.items():
        monkeypatch.setattr(f"gradio.oauth.{key}", value)  # read once at import by gradio.oauth
    with gr.Blocks() as demo:
        catalog_tab.create_tab(Page.start(demo))
    blocks = list(demo.blocks.values())
    assert any(isinstance(b, gr.LoginButton) for b in blocks)
    assert not any(isinstance(b, gr.Textbox) and b.type == "password" for b in blocks)
