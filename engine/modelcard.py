"""The model card (README.md) written into each stored model: Hub metadata plus a Japanese body."""
import yaml


def render_model_card(meta: dict) -> str:
    """Markdown with YAML front matter for a model trained or saved here."""
    front = {
        "language": ["ja", "en"],
        "library_name": "transformers",
        "pipeline_tag": "text2text-generation",
        "tags": ["t5", "t5-studio"],
        "base_model": meta.get("base_model") if "/" in str(meta.get("base_model", "")) else None,
    }
    front = {k: v for k, v in front.items() if v}
    settings = meta.get("settings", {})
    metrics = meta.get("metrics", {})
    lines = [
        "---",
        yaml.safe_dump(front, allow_unicode=True, sort_keys=False).strip(),
        "---",
        f"# {meta.get('name', '')}",
        "",
        "T5 Studio で作成した T5 モデルです。",
        "",
        f"- ベースモデル: {meta.get('base_model', '')}",
        f"- 状態: {meta.get('status', '')}",
        f"- 学習データ: {meta.get('data_rows', 0)} 行（SHA-256 {str(meta.get('data_sha256', ''))[:12]}…）",
        f"- 作成日時: {meta.get('ended') or meta.get('created', '')}",
        "",
        "## ハイパーパラメータ",
        "",
        "| 項目 | 値 |",
        "| --- | --- |",
        *[f"| {key} | {value} |" for key, value in settings.items()],
        "",
        "## 最終指標",
        "",
        "| 指標 | 値 |",
        "| --- | --- |",
        *[f"| {key} | {value} |" for key, value in metrics.items()],
        "",
    ]
    return "\n".join(lines)
