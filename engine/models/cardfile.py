"""The card file format of model_cards/: Markdown with YAML front matter, and its translations.

A card is written in Japanese. model_cards/<lang>/<same name>.md may carry another language's words
for it: its front matter holds only the fields that are prose (family, task, tokenizer kind and
notes, link titles, in the same order) and its body replaces the body. Facts (ids, sizes,
parameters, licences, URLs) live once, in the Japanese card.
"""
from pathlib import Path

import yaml

from engine.core.messages import DEFAULT_LANG, current_language, text

PROSE_FIELDS = ("family", "task")


def split_front_matter(source: str) -> tuple:
    """(front matter dict, body) of a card; raises ValueError when the front matter is missing or bad."""
    lines = source.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != "---":
        raise ValueError(text("catalog.err_no_front_matter"))
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise ValueError(text("catalog.err_unclosed_front_matter")) from None
    try:
        front = yaml.safe_load("\n".join(lines[1:end]))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{mark.line + 2}" if mark is not None else "?"
        raise ValueError(text("catalog.err_yaml", line=where)) from None
    if not isinstance(front, dict):
        raise ValueError(text("catalog.err_not_mapping"))
    return front, "\n".join(lines[end + 1:]).strip() + "\n"


def check_model(item, number: int, sizes: tuple) -> dict:
    if isinstance(item, str):
        item = {"id": item}
    if not isinstance(item, dict) or not str(item.get("id") or "").strip():
        raise ValueError(text("catalog.err_model_id", number=number))
    size = item.get("size")
    if size not in (None, "") and size not in sizes:
        raise ValueError(text("catalog.err_size", id=item["id"], size=size, sizes=", ".join(sizes)))
    params = item.get("parameters")
    if params is not None and (isinstance(params, bool) or not isinstance(params, int) or params <= 0):
        raise ValueError(text("catalog.err_parameters", id=item["id"]))
    return item


def translated(front: dict, body: str, path) -> tuple:
    """(front, body) of a card in the reader's language, when model_cards/<lang>/ has its words."""
    lang = current_language()
    overlay = Path(path).parent / lang / Path(path).name
    if lang == DEFAULT_LANG or not overlay.is_file():
        return front, body
    words, body = split_front_matter(overlay.read_text(encoding="utf-8"))
    front = {**front, **{k: words[k] for k in PROSE_FIELDS if words.get(k)}}
    if isinstance(front.get("tokenizer"), dict) and isinstance(words.get("tokenizer"), dict):
        front["tokenizer"] = {**front["tokenizer"], **words["tokenizer"]}
    titles = words.get("links") or []
    if isinstance(front.get("links"), list) and isinstance(titles, list):
        front["links"] = [{**link, "title": title} if isinstance(link, dict) and isinstance(title, str) else link
                          for link, title in zip(front["links"], titles + [None] * len(front["links"]))]
    return front, body
