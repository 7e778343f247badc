"""The model card (README.md) of a model made here: Hub metadata plus a Japanese body.

The same text is written next to the weights, shown in the catalog and pushed to the Hub, so it
must never carry anything private: no local paths, no upload names, no tokens. Every value that
came from a user is escaped, because the catalog renders the card as Markdown.
"""
import html
import math

import yaml

from engine.core.paths import BUNDLED_BASE

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
        return ["（記録なし）"]
    return [f"| {header[0]} | {header[1]} |", "| --- | --- |", *[f"| {cell(k)} | {cell(v)} |" for k, v in rows]]


def _settings_rows(settings: dict) -> list:
    return [(k, v) for k, v in settings.items() if k not in PRIVATE_SETTINGS and v not in (None, "")]


def _data_line(meta: dict) -> str:
    rows = meta.get("data_rows")
    if rows is None:
        return "- 学習データ: なし（ベースモデルをそのまま保存）"
    line = f"- 学習データ: {cell(rows)} 行"
    if meta.get("data_rows_train") is not None:
        line += f"（訓練 {cell(meta['data_rows_train'])} 行・検証 {cell(meta.get('data_rows_validation', 0))} 行）"
    if meta.get("data_sha256"):
        line += f"、SHA-256 `{cell(str(meta['data_sha256'])[:12])}…`"
    return line


def _evaluation_section(evaluations) -> list:
    """One small table per evaluation recorded in meta["evaluations"] (newest last)."""
    if not evaluations:
        return []
    lines = ["## 評価", ""]
    for number, record in enumerate(evaluations, start=1):
        if not isinstance(record, dict):
            continue
        when = record.get("date") or record.get("ended") or record.get("created") or ""
        data = record.get("data") or record.get("dataset") or record.get("file_name") or ""
        title = " ".join(part for part in (f"評価 {number}", cell(when) if when else "", cell(data) if data else "") if part)
        lines += [f"### {title}", ""]
        if record.get("rows") is not None:
            lines += [f"- 評価データ: {cell(record['rows'])} 行", ""]
        metrics = record.get("metrics")
        if not isinstance(metrics, dict):
            metrics = {k: v for k, v in record.items() if isinstance(v, (int, float)) and k != "rows"}
        lines += [*_table(("指標", "値"), list(metrics.items())), ""]
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
        "T5 Studio で作成した T5（text-to-text）モデルです。",
        "",
        f"- ベースモデル: {cell(base)}" + ("（ゼロから学習）" if base == "scratch" else "")
        + ("（同梱。JMdict 由来のデータで学習しているため、このモデルも CC BY-SA 4.0 で共有します）" if base == BUNDLED_BASE else ""),
        f"- 状態: {cell(meta.get('status', ''))}",
        _data_line(meta),
        f"- 作成日時: {cell(meta.get('ended') or meta.get('created') or '')}",
    ]
    if hub_url:
        lines.append(f"- Hugging Face Hub: [{cell(hub_url)}]({cell(hub_url)})")
    lines += [
        "",
        "## ハイパーパラメータ",
        "",
        *_table(("項目", "値"), _settings_rows(meta.get("settings") or {})),
        "",
        "## 最終指標",
        "",
        *_table(("指標", "値"), list((meta.get("metrics") or {}).items())),
        "",
        *_evaluation_section(meta.get("evaluations")),
        "## 使い方",
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
