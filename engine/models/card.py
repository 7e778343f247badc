"""The model card (README.md) of a model made here: Hub metadata plus a body in the reader's
language (the catalog renders it for each reader; the README written next to the weights is in the
language of whoever trained them). Settings and metrics are named in words (core.messages.field_label).

The same text is written next to the weights, shown in the catalog and pushed to the Hub, so it
must never carry anything private: no local paths, no upload names, no tokens. Every value that
came from a user is escaped, because the catalog renders the card as Markdown.
"""
import html
import math

import yaml

from engine.core.messages import field_label, text
from engine.core.paths import BUNDLED_BASE
from engine.core.runs import label

# Settings that say where things lie on this machine, not how the model was trained.
PRIVATE_SETTINGS = ("csv", "name", "base", "input_column", "output_column", "resume", "output_dir")
# The original T5 checkpoints moved under google-t5/ on the Hub; base_model wants the full id.
LEGACY_HUB_IDS = {"t5-small": "google-t5/t5-small", "t5-base": "google-t5/t5-base", "t5-large": "google-t5/t5-large"}


def cell(value) -> str:
    """A value made safe for one Markdown table cell (and for HTML)."""
    if isinstance(value, float):
        value = f"{value:.4g}" if math.isfinite(value) else str(value)
    text = html.escape(str(value), quote=True).replace("|", "\\|")
    return " ".join(text.split()) or "—"


def hub_base_model(base) -> str:
    """The base model as a Hub id for the card's metadata, or "" when it is not one (scratch, local)."""
    base = str(base or "").strip()
    if base in LEGACY_HUB_IDS:
        return LEGACY_HUB_IDS[base]
    parts = base.split("/")
    if len(parts) == 2 and all(parts) and not base.startswith((".", "/")):
        return base
    return ""


def front_matter(meta: dict) -> dict:
    front = {
        "language": ["ja", "en"],
        "library_name": "transformers",
        "pipeline_tag": "text2text-generation",
        "tags": ["t5", "text2text-generation", "t5-studio"],
        "base_model": hub_base_model(meta.get("base_model")),
        # Weights trained from the bundled base derive from JMdict: ShareAlike carries over.
        "license": "cc-by-sa-4.0" if meta.get("base_model") == BUNDLED_BASE else "",
    }
    return {key: value for key, value in front.items() if value}


def _table(header: tuple, rows: list) -> list:
    if not rows:
        return [text("card.none")]
    return [f"| {header[0]} | {header[1]} |", "| --- | --- |",
            *[f"| {cell(field_label(k))} | {cell(v)} |" for k, v in rows]]


def _settings_rows(settings: dict) -> list:
    return [(k, v) for k, v in settings.items() if k not in PRIVATE_SETTINGS and v not in (None, "")]


def _data_line(meta: dict) -> str:
    rows = meta.get("data_rows")
    if rows is None:
        return "- " + text("card.no_data")
    line = "- " + text("card.data", rows=cell(rows))
    if meta.get("data_rows_train") is not None:
        line += text("card.data_split", train=cell(meta["data_rows_train"]),
                     validation=cell(meta.get("data_rows_validation", 0)))
    if meta.get("data_sha256"):
        line += text("card.data_hash", hash=cell(str(meta["data_sha256"])[:12]))
    return line


def _evaluation_section(evaluations) -> list:
    """One small table per evaluation recorded in meta["evaluations"] (newest last)."""
    if not evaluations:
        return []
    lines = [f"## {text('card.evaluations')}", ""]
    for number, record in enumerate(evaluations, start=1):
        if not isinstance(record, dict):
            continue
        when = record.get("date") or record.get("ended") or record.get("created") or ""
        data = record.get("data") or record.get("dataset") or record.get("file_name") or ""
        title = " ".join(part for part in (text("card.evaluation", number=number), cell(when) if when else "", cell(data) if data else "") if part)
        lines += [f"### {title}", ""]
        if record.get("rows") is not None:
            lines += ["- " + text("card.evaluation_rows", rows=cell(record["rows"])), ""]
        metrics = record.get("metrics")
        if not isinstance(metrics, dict):
            metrics = {k: v for k, v in record.items() if isinstance(v, (int, float)) and k != "rows"}
        lines += [*_table((text("card.metric"), text("card.value")), list(metrics.items())), ""]
    return lines


def render_body(meta: dict) -> str:
    """The card without front matter: what the catalog shows."""
    name = cell(meta.get("name", ""))
    base = meta.get("base_model") or "scratch"
    hub_url = meta.get("hub_url") or ""
    # On the Hub the card names its repo; here it can only point at wherever the folder is copied.
    repo_for_code = meta.get("hub_repo_id") or f"path/to/{meta.get('name', '')}"
    lines = [
        f"# {name}",
        "",
        text("card.intro"),
        "",
        "- " + text("card.base", base=cell(base)) + (text("card.from_scratch") if base == "scratch" else "")
        + (text("card.bundled") if base == BUNDLED_BASE else ""),
        "- " + text("card.status", status=cell(label(meta.get("status", "")))),
        _data_line(meta),
        "- " + text("card.created", when=cell(meta.get("ended") or meta.get("created") or "")),
    ]
    if hub_url:
        lines.append(f"- Hugging Face Hub: [{cell(hub_url)}]({cell(hub_url)})")
    lines += [
        "",
        f"## {text('card.hyperparameters')}",
        "",
        *_table((text("card.item"), text("card.value")), _settings_rows(meta.get("settings") or {})),
        "",
        f"## {text('card.final_metrics')}",
        "",
        *_table((text("card.metric"), text("card.value")), list((meta.get("metrics") or {}).items())),
        "",
        *_evaluation_section(meta.get("evaluations")),
        f"## {text('card.usage')}",
        "",
        "```python",
        "from transformers import AutoTokenizer, T5ForConditionalGeneration",
        "",
        f'tokenizer = AutoTokenizer.from_pretrained("{cell(repo_for_code)}")',
        f'model = T5ForConditionalGeneration.from_pretrained("{cell(repo_for_code)}")',
        'inputs = tokenizer(["apple"], return_tensors="pt")',
        "print(tokenizer.batch_decode(model.generate(**inputs, max_new_tokens=32), skip_special_tokens=True))",
        "```",
        "",
    ]
    return "\n".join(lines)


def render_model_card(meta: dict) -> str:
    """Markdown with YAML front matter (Hub metadata) for a model trained or saved here."""
    front = yaml.safe_dump(front_matter(meta), allow_unicode=True, sort_keys=False).strip()
    return "\n".join(["---", front, "---", render_body(meta)])
