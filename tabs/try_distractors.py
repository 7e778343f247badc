"""The Try tab's distractor mode (誤答選択肢): one English word, or a CSV of them -> ranked distractors.

Built inside the Try tab by tabs.try_t5 (create_section); the work is engine.distractors.
"""
import gradio as gr
import pandas as pd

from engine.core import csvdata
from engine.core.messages import StudioError, aside, listing, text
from engine.core.paths import BUNDLED_BASE
from engine.distractors.batch import distractors_csv
from engine.distractors.making import N_RANGE, check_n, make_distractors
from engine.models import store
from engine.words.lexicon import senses
from tabs.common import GENERATE, Page, escape, guarded, owner_key, result_file, stash_upload, t, visitor_request

PREVIEW_ROWS = 200
MAX_WORD_CHARS = 100
SHOWN_DROPPED = 10


def model_choices() -> list:
    """"None" (word vectors only) first, then the stored models, then the bundled base."""
    return [(text("distractors.model_none"), "")] + [(name, name) for name in [*store.model_names(), BUNDLED_BASE]]


def create_section(page: Page) -> None:
    gr.Markdown(t("distractors.intro"))
    with gr.Row():
        english = gr.Textbox(label=t("distractors.english"), info=t("distractors.english_info"),
                             max_length=MAX_WORD_CHARS, scale=2)
        correct = gr.Textbox(label=t("distractors.correct"), info=t("distractors.correct_info"),
                             max_length=MAX_WORD_CHARS * 4, scale=2)
    with gr.Row():
        count = gr.Slider(N_RANGE[0], N_RANGE[1], value=5, step=1, label=t("distractors.n"),
                          info=t("distractors.n_info"), scale=2)
        model = gr.Dropdown(label=t("distractors.model"), info=t("distractors.model_info"), choices=model_choices(),
                            value="", scale=2)
    run = gr.Button(t("distractors.run"), variant="primary")
    table = gr.Dataframe(label=t("distractors.table"), interactive=False, wrap=True)
    notes = gr.Markdown()
    meanings = gr.Radio(label=t("distractors.senses"), choices=[], visible=False)
    with gr.Accordion(t("distractors.batch_title"), open=False):
        upload = gr.File(label=t("distractors.csv"), file_types=[".csv", ".txt", ".tsv"], type="filepath")
        gr.Markdown(t("distractors.csv_info"))
        with gr.Row():  # shown once a file is read: the columns it guessed, to change where it guessed wrong
            # Any value may come from an API client: distractors_csv checks that the column exists.
            input_col = gr.Dropdown(label=t("distractors.input_column"), choices=[], visible=False,
                                    allow_custom_value=True)
            answer_col = gr.Dropdown(label=t("distractors.answer_column"), choices=[], visible=False,
                                     allow_custom_value=True)
        run_csv = gr.Button(t("distractors.run_csv"), variant="primary")
        summary = gr.Markdown()
        batch = gr.Dataframe(label=t("distractors.batch_table"), interactive=False, wrap=True, max_height=420)
        download = gr.File(label=t("distractors.download"), interactive=False)

    page.on_models(refresh_models, [model], [model])
    single = dict(fn=make_single, inputs=[english, correct, count, model], outputs=[table, notes], **GENERATE)
    # The last word's results go first, so an error never leaves them on screen as if they were this word's.
    cleared = gr.on([run.click, english.submit, correct.submit], lambda: (None, "", gr.update(visible=False)), None,
                    [table, notes, meanings], api_name=False, queue=False)
    made = cleared.then(api_name="distractors", **single)
    made.success(sense_choices, [english, correct], [meanings], api_name=False)
    # One click on another meaning makes it the correct translation and makes the distractors again.
    meanings.input(lambda chosen: chosen, meanings, correct, api_name=False).then(api_name=False, **single)
    results = [summary, batch, download]
    # A new file, or a new run, first takes the last file's results off the screen.
    upload.change(read_columns, [upload], [input_col, answer_col, *results], api_name=False)
    cleared_batch = run_csv.click(lambda: ("", None, None), None, results, api_name=False, queue=False)
    cleared_batch.then(make_batch, [upload, count, model, input_col, answer_col], results, api_name="distractors_csv",
                       show_progress_on=[summary], **GENERATE)


def refresh_models(current=""):
    """Inputs: the distractor model / Outputs: the same, with choices re-read from the store"""
    choices = model_choices()
    return gr.update(choices=choices, value=current if current in [v for _, v in choices] else "")


def sense_choices(english, correct):
    """Inputs: English word, correct translation / Outputs: the meanings radio (shown when there are several)"""
    found = senses(english or "")
    current = (correct or "").split("|")[0].strip() or (found[0] if found else None)
    return gr.update(choices=found, value=current if current in found else None, visible=len(found) > 1,
                     info=text("distractors.senses_info", word=english or ""))


def source_label(source: str) -> str:
    return text(f"distractors.source_{source}")


@guarded
@visitor_request
def make_single(english, correct, n, model, request: gr.Request = None):
    """Inputs: English word, correct translation(s), N, model ("" = vectors only) / Outputs: ranked table, notes"""
    found = make_distractors(english or "", correct or "", 5 if n is None else n, model or "", allow_paths=False)
    frame = pd.DataFrame({
        text("distractors.col_rank"): list(range(1, len(found.distractors) + 1)),
        text("distractors.col_text"): [d.text for d in found.distractors],
        text("distractors.col_score"): [d.score for d in found.distractors],
        text("distractors.col_source"): [source_label(d.source) for d in found.distractors],
    })
    lines = [escape(note) for note in found.notes]
    leaks = list(dict.fromkeys(d["text"] for d in found.dropped if d["reason"].startswith("leak")))
    if leaks:
        shown = listing(escape(w) for w in leaks[:SHOWN_DROPPED]) + ("…" if len(leaks) > SHOWN_DROPPED else "")
        lines.append(text("distractors.dropped", items=aside(shown, text("distractors.reason_leak"))))
    lines.append(text("distractors.score_help"))
    return frame, "\n\n".join(lines)


@guarded
def read_columns(upload):
    """Inputs: CSV / Outputs: English and answer column pickers (filled with the guesses), cleared results"""
    hidden = gr.update(choices=[], value="", visible=False)  # "": guessed again from the next file
    if not upload:
        return hidden, hidden, "", None, None
    try:
        table = csvdata.read_table(upload)
        columns = table.columns
        guess = csvdata.word_list_columns(columns)
        if not guess["Input"]:  # said now, not only once the button is pressed (a headerless file…)
            csvdata.select_columns(table, {}, required=("Input",), choosable=True)
    except StudioError as exc:
        return hidden, hidden, f"**{escape(exc.message())}**", None, None
    answers = [(text("distractors.answer_none"), "")] + [(name, name) for name in columns]
    note = ""
    if len(guess["candidates"]) > 1:
        note = text("distractors.answer_ambiguous", count=len(guess["candidates"]),
                    columns=listing(guess["candidates"]))
    return (gr.update(choices=columns, value=guess["Input"], visible=True),
            gr.update(choices=answers, value=guess["Correct"], visible=True), escape(note), None, None)


@guarded
@visitor_request
def make_batch(upload, n, model, input_column=None, answer_column=None, request: gr.Request = None,
               progress=gr.Progress()):
    """Inputs: CSV (English[, answer]), N, model, English column, answer column ("" none, empty guessed)
    / Outputs: summary, table, download"""
    path = stash_upload(upload, request)
    n = check_n(5 if n is None else n)

    def report(done, total):
        progress((done, total), desc=text("distractors.progress"), unit=text("common.rows_unit"))

    result = distractors_csv(path, None, n, model or "", allow_paths=False, progress=report,
                             run_owner=owner_key(None, request), input_column=input_column or None,
                             answer_column=answer_column)
    frame = result["table"]
    out = csvdata.write_download(frame, result_file(request, "distractors.csv"))
    return batch_summary(result, n, len(frame)), readable_batch(frame.head(PREVIEW_ROWS)), str(out)


def batch_summary(result: dict, n: int, rows: int) -> str:
    """What was made, from which columns, and every row skipped (by its spreadsheet row)."""
    columns = result["columns"]
    lines = [text("distractors.summary", rows=result["rows"], complete=result["complete_rows"], n=n,
                  seconds=result["seconds"])]
    if rows > PREVIEW_ROWS:
        lines[0] += " " + text("distractors.preview_note", shown=PREVIEW_ROWS)
    lines.append(text("distractors.columns_used", input=columns["Input"], answer=columns["Correct"])
                 if columns["Correct"] else text("distractors.columns_no_answer", input=columns["Input"]))
    lines += result["warnings"]
    return "\n\n".join(escape(line) for line in lines)


def readable_batch(frame):
    """The batch table with headers in words and sources named (the download keeps the short keys)."""
    names = {"Input": text("distractors.col_input"), "Correct": text("distractors.col_correct"),
             "note": text("distractors.col_note")}
    for column in frame.columns:
        kind, _, number = column.rpartition("_")
        if kind in ("distractor", "score", "source") and number.isdigit():
            names[column] = text(f"distractors.col_{kind}_n", n=number)
    shown = frame.copy()
    for column in (c for c in frame.columns if c.startswith("source_")):
        shown[column] = [source_label(v) if v else "" for v in frame[column]]
    return shown.rename(columns=names)
