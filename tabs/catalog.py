"""モデル一覧 Catalog: model cards of pretrained T5 models and of the user's own; publish to the Hub.

Widgets, then wiring, then thin handlers over engine.models.catalog and engine.models.publishing. API names (for
gradio_client): `/catalog_list` (language, size, organisation) -> table, model picker, card,
keys, Hub model picker; `/catalog_show` (key) -> card; `/use_as_base` (key) -> Train tab's
base model, tab switch, message (only when the Train tab is there); `/hub_push` (model, repo,
private, message, token) -> result.
"""
import gradio as gr
import pandas as pd

from engine.core.messages import aside, text
from engine.core.paths import on_space
from engine.models import catalog, publishing, store
from tabs.common import Page, escape, guarded, t

ALL = "all"
LANGUAGES = ("ja", "en", "de", "fr", "ro")  # the ones with a name in locales; the engine takes any code
COLUMNS = ("col_id", "col_organisation", "col_size", "col_parameters", "col_languages", "col_japanese", "col_license", "col_base")


def create_tab(page: Page, base_box: gr.Dropdown = None) -> None:
    """The catalog; with the Train tab's base-model box, a button puts the picked model in it."""
    gr.Markdown(t("catalog.intro"))
    with gr.Row(equal_height=True):
        language = gr.Dropdown(
            [(t("catalog.all"), ALL)] + [(t(f"catalog.lang_{code}"), code) for code in LANGUAGES],
            value=ALL, label=t("catalog.filter_language"),
        )
        size = gr.Dropdown([(t("catalog.all"), ALL)] + [(s, s) for s in catalog.SIZES], value=ALL, label=t("catalog.filter_size"))
        organisation = gr.Dropdown(_organisation_choices(), value=ALL, label=t("catalog.filter_organisation"))
        refresh = gr.Button(t("catalog.refresh"), variant="secondary", scale=0, min_width=140)
    entries = catalog.list_entries()
    table = gr.Dataframe(
        value=summary_table(entries),
        label=t("catalog.table"),
        interactive=False,
        datatype="str",  # model names are user text: shown as text, never as markdown or HTML
        wrap=True,
        max_height=320,
    )
    keys = gr.State([e.key for e in entries])  # row i of the table is entry keys[i]
    first = entries[0] if entries else None
    with gr.Row(equal_height=True):
        picked = gr.Dropdown(_entry_choices(entries), value=first.key if first else None, label=t("catalog.model"), scale=3)
        use = gr.Button(t("catalog.use_as_base"), variant="primary", scale=1) if base_box is not None else None
    used = gr.Markdown()
    card = gr.Markdown(catalog.render_entry(first) if first else "", label=t("catalog.card"), container=True)

    with gr.Accordion(t("hub.publish_title"), open=False):
        gr.Markdown(t("hub.publish_intro"))
        with gr.Row():
            hub_model = gr.Dropdown(store.model_names(), value=None, label=t("hub.model"))
            repo = gr.Textbox(label=t("hub.repo_name"), max_length=200)
        with gr.Row():
            private = gr.Checkbox(value=True, label=t("hub.private"))
            message = gr.Textbox(label=t("hub.commit_message"), max_length=200)
        if on_space():
            gr.Markdown(t("hub.space_login"))
            gr.LoginButton()
            push_inputs, push_fn = [hub_model, repo, private, message], push_with_login
        else:
            token = gr.Textbox(label=t("hub.token"), info=t("hub.token_info"), type="password", max_length=600)
            push_inputs, push_fn = [hub_model, repo, private, message, token], push_with_token
        push = gr.Button(t("hub.push"), variant="primary")
        pushed = gr.Markdown()

    # Wiring
    listing = dict(fn=list_catalog, inputs=[language, size, organisation], outputs=[table, picked, card, keys, hub_model])
    refresh.click(api_name="catalog_list", **listing)
    gr.on([language.change, size.change, organisation.change], api_name=False, **listing)
    page.on_models(listing["fn"], listing["inputs"], listing["outputs"])  # models trained since the page was built
    table.select(pick_row, keys, [picked, card], api_name=False)
    picked.input(show_card, picked, card, api_name="catalog_show")
    if use is not None:
        outputs = [base_box, used] + ([page.tabs] if page.tabs is not None else [])
        use.click(lambda key: use_as_base(key, page.tabs is not None), picked, outputs, api_name="use_as_base")
    push.click(push_fn, push_inputs, pushed, api_name="hub_push").success(api_name=False, **listing)


@guarded
def summary_table(entries: list) -> pd.DataFrame:
    """The catalog table with its headers in the reader's language (sent with every listing)."""
    return pd.DataFrame(catalog.summary_rows(entries), columns=[text(f"catalog.{c}") for c in COLUMNS])


def list_catalog(language: str, size: str, organisation: str):
    """Inputs: language, size, organisation filters / Outputs: table, picker, card, row keys, Hub model picker."""
    entries = catalog.list_entries(language=language, size=size, organisation=organisation)
    first = entries[0] if entries else None
    return (
        summary_table(entries),
        gr.update(choices=_entry_choices(entries), value=first.key if first else None),
        catalog.render_entry(first) if first else text("catalog.no_entries"),
        [e.key for e in entries],
        gr.update(choices=store.model_names()),
    )


def pick_row(keys: list, evt: gr.SelectData):
    """Inputs: row keys, a clicked table cell / Outputs: the model picker and its card."""
    row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
    if isinstance(row, int) and 0 <= row < len(keys):
        return keys[row], catalog.render_entry(catalog.find_entry(keys[row]))
    return gr.update(), gr.update()


@guarded
def show_card(key: str) -> str:
    """Inputs: entry key / Outputs: the card as Markdown."""
    if not key:
        return text("catalog.no_selection")
    return catalog.render_entry(catalog.find_entry(key))


@guarded
def use_as_base(key: str, switch_tab: bool = True):
    """Inputs: entry key / Outputs: train.base_model, message[, tabs → train]."""
    if not key:
        raise gr.Error(escape(text("catalog.no_selection")), print_exception=False)
    value = catalog.base_model_value(catalog.find_entry(key))
    outputs = (value, escape(text("catalog.used_as_base", id=value)))
    return outputs + ((gr.Tabs(selected="train"),) if switch_tab else ())


def push_with_token(name: str, repo_name: str, private: bool, message: str, token: str):
    """Inputs: model, repo, private, commit message, token (local) / Outputs: result."""
    return _push(name, repo_name, private, message, token)


def push_with_login(name: str, repo_name: str, private: bool, message: str, oauth_token: gr.OAuthToken | None):
    """Inputs: model, repo, private, commit message; the token comes from the Space's sign-in."""
    return _push(name, repo_name, private, message, oauth_token.token if oauth_token else "")


@guarded
def _push(name, repo_name, private, message, token) -> str:
    # The token lives only in this call: handed to engine.models.publishing, which passes it to each Hub call.
    if not name:
        raise gr.Error(escape(text("catalog.no_selection")), print_exception=False)
    result = publishing.push_model(name, repo_name, token, private=bool(private), commit_message=message or "")
    visibility = text("hub.visibility_private" if result.private else "hub.visibility_public")
    return text("hub.pushed", repo_id=escape(result.repo_id), url=escape(result.url), visibility=visibility,
                files=escape(", ".join(result.files)))


def _organisation_choices() -> list:
    names = sorted({e.organisation for e in catalog.card_entries() if e.organisation})
    return [(t("catalog.all"), ALL)] + [(name, name) for name in names] + [(t("catalog.org_mine"), catalog.MINE)]


def _entry_choices(entries: list) -> list:
    """Picker choices: label shows the id (and whose), value is the unique key."""
    choices = []
    for entry in entries:
        if entry.source == "mine":
            label = aside(entry.id, text("catalog.org_mine"))
        elif entry.source == "broken":
            label = f"⚠️ {entry.id}"
        else:
            label = entry.id
        choices.append((label, entry.key))
    return choices


if __name__ == "__main__":
    from tabs.common import launch_kwargs

    with gr.Blocks(title="T5 Studio — Catalog") as demo:
        create_tab(Page.start(demo))
    demo.queue(default_concurrency_limit=1).launch(**launch_kwargs())
