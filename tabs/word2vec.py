"""お試し Word2Vec: how close two words are, their neighbours, word arithmetic, the odd one out.

Widgets, then wiring, then thin handlers over engine.vectors. API names (for gradio_client):
`/similarity` (word1, word2, source) -> score, notes, picture
`/most_similar` (word, topn, source) -> table, notes, picture
`/analogy` (positive, negative, topn, source) -> table, notes, picture
`/doesnt_match` (words, source) -> answer, table, picture
`/sources` () -> source picker
`/upload_vectors` (file, name) -> status, source picker
`/train_vectors` (corpus, name, vector_size, window, min_count, method, epochs) -> status, source picker
`/hub_vectors` (repo, filename, name) -> status, source picker
"""
import tempfile
from pathlib import Path

import gradio as gr
import pandas as pd

from engine.core.messages import StudioError, text
from engine.vectors import lookup, plot, sources
from engine.vectors.training import VectorTrainConfig
from tabs.common import HEAVY, Page, escape, guarded, owner_key, result_file, stash_upload, t

NEIGHBOURS_IN_PICTURE = 5  # per query word in the similarity picture; more crowds the labels
QUERY_CONCURRENCY = 2  # lookups take milliseconds and only read shared arrays
VECTOR_FILE_TYPES = [".txt", ".vec", ".bin", ".w2v"]  # a hint for the file picker; content is checked
SIMILARITY_BANDS = ((0.7, "very_close"), (0.5, "close"), (0.3, "related"), (0.1, "weak"), (-1.01, "unrelated"))


def create_tab(page: Page) -> None:
    gr.Markdown(t("word2vec.intro"))
    with gr.Row(equal_height=False):
        source = gr.Dropdown(
            choices=source_choices(), value=sources.DEFAULT_SOURCE, label=t("word2vec.source"),
            info=t("word2vec.source_info"), allow_custom_value=True, scale=5,
        )
        refresh = gr.Button(t("word2vec.refresh"), variant="secondary", size="sm", scale=1, min_width=120)

    with gr.Tab(t("word2vec.tab_similarity")):
        with gr.Row():
            word1 = gr.Textbox(label=t("word2vec.word1"), placeholder="犬")
            word2 = gr.Textbox(label=t("word2vec.word2"), placeholder="猫")
        sim_button = gr.Button(t("word2vec.compute"), variant="primary")
        score = gr.Number(label=t("word2vec.score"), precision=4, interactive=False)
        sim_notes = gr.Markdown()
        sim_picture = picture()

    with gr.Tab(t("word2vec.tab_neighbours")):
        with gr.Row():
            word = gr.Textbox(label=t("word2vec.word"), placeholder="犬", scale=3)
            topn = topn_slider()
        near_button = gr.Button(t("word2vec.search"), variant="primary")
        with gr.Row():
            near_table = result_table()
            near_picture = picture()
        near_notes = gr.Markdown()

    with gr.Tab(t("word2vec.tab_arithmetic")):
        gr.Markdown(t("word2vec.arithmetic_help"))
        with gr.Row():
            positive = gr.Textbox(label=t("word2vec.positive"), placeholder="王 女", scale=3)
            negative = gr.Textbox(label=t("word2vec.negative"), placeholder="男", scale=3)
            analogy_topn = topn_slider()
        analogy_button = gr.Button(t("word2vec.compute"), variant="primary")
        with gr.Row():
            analogy_table = result_table()
            analogy_picture = picture()
        analogy_notes = gr.Markdown()

    with gr.Tab(t("word2vec.tab_odd")):
        odd_words = gr.Textbox(label=t("word2vec.odd_words"), placeholder="犬 猫 馬 自動車")
        odd_button = gr.Button(t("word2vec.find_odd"), variant="primary")
        odd_answer = gr.Markdown()
        with gr.Row():
            odd_table = result_table()
            odd_picture = picture()

    with gr.Tab(t("word2vec.tab_add")):
        gr.Markdown(t("word2vec.add_help"))
        with gr.Accordion(t("word2vec.upload_title"), open=True):
            gr.Markdown(t("word2vec.upload_help"))
            with gr.Row():
                upload_file = gr.File(label=t("word2vec.upload_file"), file_types=VECTOR_FILE_TYPES, scale=3)
                upload_name = gr.Textbox(label=t("word2vec.new_name"), placeholder="my-vectors", scale=2)
            upload_button = gr.Button(t("word2vec.upload_button"), variant="primary")
        with gr.Accordion(t("word2vec.train_title"), open=False):
            gr.Markdown(t("word2vec.train_help"))
            with gr.Row():
                corpus_file = gr.File(label=t("word2vec.corpus_file"), file_types=[".txt"], scale=3)
                train_name = gr.Textbox(label=t("word2vec.new_name"), placeholder="class-vectors", scale=2)
            defaults = VectorTrainConfig(workers=1)
            limits = VectorTrainConfig.LIMITS
            with gr.Row():
                vector_size = gr.Slider(*limits["vector_size"], value=defaults.vector_size, step=1,
                                        label=t("word2vec.vector_size"), info=t("word2vec.vector_size_info"))
                window = gr.Slider(*limits["window"], value=defaults.window, step=1,
                                   label=t("word2vec.window"), info=t("word2vec.window_info"))
            with gr.Row():
                min_count = gr.Slider(*limits["min_count"], value=defaults.min_count, step=1,
                                      label=t("word2vec.min_count"), info=t("word2vec.min_count_info"))
                epochs = gr.Slider(*limits["epochs"], value=defaults.epochs, step=1,
                                   label=t("word2vec.epochs"), info=t("word2vec.epochs_info"))
            method = gr.Radio([(t("word2vec.skipgram"), "skipgram"), (t("word2vec.cbow"), "cbow")],
                              value="skipgram", label=t("word2vec.method"), info=t("word2vec.method_info"))
            train_button = gr.Button(t("word2vec.train_button"), variant="primary")
        with gr.Accordion(t("word2vec.hub_title"), open=False):
            gr.Markdown(t("word2vec.hub_help"))
            with gr.Row():
                hub_repo = gr.Textbox(label=t("word2vec.hub_repo"), placeholder="owner/japanese-word2vec")
                hub_filename = gr.Textbox(label=t("word2vec.hub_filename"), placeholder="vectors.txt")
                hub_name = gr.Textbox(label=t("word2vec.new_name"), placeholder="hub-vectors")
            hub_button = gr.Button(t("word2vec.hub_button"), variant="primary")
        add_status = gr.Markdown()

    gr.Markdown(t("word2vec.credit"))

    # Wiring. Queries are light and read-only; adding a set is heavy: one at a time (tabs.common.HEAVY).
    light = dict(concurrency_limit=QUERY_CONCURRENCY)
    similarity_io = dict(fn=similarity, inputs=[word1, word2, source], outputs=[score, sim_notes, sim_picture])
    gr.on([sim_button.click, word2.submit], api_name="similarity", **similarity_io, **light)
    near_io = dict(fn=most_similar, inputs=[word, topn, source], outputs=[near_table, near_notes, near_picture])
    gr.on([near_button.click, word.submit], api_name="most_similar", **near_io, **light)
    analogy_io = dict(fn=analogy, inputs=[positive, negative, analogy_topn, source],
                      outputs=[analogy_table, analogy_notes, analogy_picture])
    gr.on([analogy_button.click, positive.submit, negative.submit], api_name="analogy", **analogy_io, **light)
    odd_io = dict(fn=doesnt_match, inputs=[odd_words, source], outputs=[odd_answer, odd_table, odd_picture])
    gr.on([odd_button.click, odd_words.submit], api_name="doesnt_match", **odd_io, **light)
    refresh.click(refresh_sources, [source], [source], api_name="sources")
    page.demo.load(refresh_sources, [source], [source], api_name=False)  # labels in the reader's language
    upload_button.click(upload_vectors, [upload_file, upload_name], [add_status, source],
                        api_name="upload_vectors", **HEAVY)
    train_button.click(train_vectors, [corpus_file, train_name, vector_size, window, min_count, method, epochs],
                       [add_status, source], api_name="train_vectors", **HEAVY)
    hub_button.click(hub_vectors, [hub_repo, hub_filename, hub_name], [add_status, source],
                     api_name="hub_vectors", **HEAVY)


# ---------------------------------------------------------------- widgets


def picture() -> gr.Image:
    return gr.Image(label=t("word2vec.picture"), type="filepath", format="png", interactive=False,
                    buttons=["download"])


def topn_slider() -> gr.Slider:
    return gr.Slider(*lookup.TOPN_RANGE, value=10, step=1, label=t("word2vec.topn"), scale=2, min_width=220)


def result_table() -> gr.Dataframe:
    # No headers until a result brings them in the reader's language (made at start-up, they were Japanese
    # on every page).
    return gr.Dataframe(
        datatype=["number", "str", "number"],  # words are user-visible text, never markdown or HTML
        label=t("word2vec.results"), interactive=False, wrap=True,
    )


def source_choices() -> list:
    """(label, name) for the source picker: chiVe first, then the sets people added."""
    choices = []
    for meta in sources.list_sources():
        kind = text(f"vectors.kind_{meta.get('kind', 'upload')}")
        label = text("word2vec.source_label", name=meta["name"], kind=kind, count=meta.get("count", "?"),
                     dim=meta.get("dim", "?"))
        choices.append((label, meta["name"]))
    return choices


# ---------------------------------------------------------------- handlers


def _notes_markdown(notes: list) -> str:
    return "\n".join(f"※ {escape(note)}" for note in notes)


def _picture_path(request) -> Path:
    if request is None:  # called from Python, not through a server
        return Path(tempfile.mkdtemp(prefix="t5studio-w2v-")) / "neighbourhood.png"
    return result_file(request, "neighbourhood.png")


def _draw(vs, words_roles: list, title: str, request) -> str:
    legend = {role: text(f"word2vec.legend_{role}") for role in ("query", "positive", "negative", "result", "odd")}
    return str(plot.draw_neighbourhood(vs.kv, words_roles, _picture_path(request), title, legend))


def _rows(results: list, score_key: str = "word2vec.col_score") -> pd.DataFrame:
    """Ranked words as a table whose headers are in the reader's language."""
    columns = [text("word2vec.col_rank"), text("word2vec.col_word"), text(score_key)]
    return pd.DataFrame([[rank, row["word"], row["score"]] for rank, row in enumerate(results, start=1)], columns=columns)


@guarded
def similarity(word1: str, word2: str, source: str, request: gr.Request = None):
    """Inputs: word1, word2, source / Outputs: score, notes, picture."""
    vs = sources.load_vectors(source)
    result = lookup.similarity(word1, word2, vs)
    a, b = result["words"]
    band = next(name for low, name in SIMILARITY_BANDS if result["similarity"] >= low)
    notes = [text("word2vec.band", a=a, b=b, score=f"{result['similarity']:+.3f}",
                  band=text(f"word2vec.band_{band}"))] + result["notes"]
    roles = [(a, "query"), (b, "query")]
    for key in (a, b):
        roles += [(w, "result") for w, _ in vs.kv.most_similar(key, topn=NEIGHBOURS_IN_PICTURE)]
    return result["similarity"], _notes_markdown(notes), _draw(vs, roles, f"{a} / {b}", request)


@guarded
def most_similar(word: str, topn: int, source: str, request: gr.Request = None):
    """Inputs: word, topn, source / Outputs: table, notes, picture."""
    vs = sources.load_vectors(source)
    result = lookup.most_similar(word, topn, vs)
    roles = [(result["query"], "query")] + [(r["word"], "result") for r in result["results"]]
    return _rows(result["results"]), _notes_markdown(result["notes"]), _draw(vs, roles, result["query"], request)


@guarded
def analogy(positive: str, negative: str, topn: int, source: str, request: gr.Request = None):
    """Inputs: positive words, negative words, topn, source / Outputs: table, notes, picture."""
    vs = sources.load_vectors(source)
    result = lookup.analogy(positive, negative, topn, vs)
    title = " + ".join(result["positive"]) + "".join(f" − {w}" for w in result["negative"])
    roles = ([(w, "positive") for w in result["positive"]] + [(w, "negative") for w in result["negative"]]
             + [(r["word"], "result") for r in result["results"]])
    return _rows(result["results"]), _notes_markdown(result["notes"]), _draw(vs, roles, title, request)


@guarded
def doesnt_match(words: str, source: str, request: gr.Request = None):
    """Inputs: words, source / Outputs: answer, table, picture."""
    vs = sources.load_vectors(source)
    result = lookup.doesnt_match(words, vs)
    answer = "\n\n".join([text("word2vec.odd_answer", word=escape(result["odd"]))] + [
        f"※ {escape(n)}" for n in result["notes"]])
    roles = [(result["odd"], "odd")] + [(r["word"], "query") for r in result["scores"]]
    return answer, _rows(result["scores"], "word2vec.col_to_mean"), _draw(vs, roles, "", request)


@guarded
def refresh_sources(current: str):
    """Inputs: the chosen source / Outputs: the source picker with a fresh list."""
    choices = source_choices()
    names = [name for _, name in choices]
    return gr.update(choices=choices, value=current if current in names else sources.DEFAULT_SOURCE)


def _added(meta: dict, message: str):
    warnings = "".join(f"\n\n※ {escape(w)}" for w in meta.get("warnings", []))
    return f"✅ {escape(message)}{warnings}", gr.update(choices=source_choices(), value=meta["name"])


@guarded
def upload_vectors(upload, name: str, request: gr.Request = None):
    """Inputs: a word2vec file, its new name / Outputs: status, source picker."""
    if not upload:
        raise StudioError("vectors.no_file")
    owner = owner_key(None, request) if request is not None else ""
    path = stash_upload(upload, request) if request is not None else Path(upload)
    meta = sources.import_word2vec(path, name, kind="upload", origin=Path(str(upload)).name, owner=owner)
    message = text("vectors.imported", name=meta["name"], count=meta["count"], dim=meta["dim"],
                   format=meta["format_read"])
    return _added(meta, message)


@guarded
def train_vectors(corpus, name: str, vector_size, window, min_count, method: str, epochs,
                  request: gr.Request = None, progress=gr.Progress()):
    """Inputs: corpus file, name, vector size, window, min count, method, epochs / Outputs: status, source picker."""
    from engine.vectors.training import train_vectors as train

    if not corpus:
        raise StudioError("vectors.no_file")
    config = VectorTrainConfig(vector_size=vector_size, window=window, min_count=min_count,
                               epochs=epochs, sg=method != "cbow")
    owner = owner_key(None, request) if request is not None else ""
    path = stash_upload(corpus, request) if request is not None else Path(corpus)
    meta = train(path, name, config, progress=lambda fraction, message: progress(fraction, desc=message),
                 owner=owner)
    return _added(meta, meta["message"])


@guarded
def hub_vectors(repo: str, filename: str, name: str, request: gr.Request = None):
    """Inputs: Hub repo id, file name (optional), new name / Outputs: status, source picker."""
    from engine.vectors.hub import fetch_from_hub

    owner = owner_key(None, request) if request is not None else ""
    meta = fetch_from_hub(repo, filename, name, owner=owner)
    message = text("vectors.imported", name=meta["name"], count=meta["count"], dim=meta["dim"],
                   format=meta["format_read"])
    return _added(meta, message)


if __name__ == "__main__":
    from tabs.common import launch_kwargs

    with gr.Blocks(title="T5 Studio — Word2Vec") as demo:
        create_tab(Page.start(demo))
    demo.queue(default_concurrency_limit=1).launch(**launch_kwargs())
