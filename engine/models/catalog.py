"""The model catalog: pretrained T5 models described by cards in model_cards/, plus the user's own.

A card is Markdown with YAML front matter. The front matter describes a model or a family
(organisation, languages, license, task, tokenizer, links) and lists each Hub id under `models:`,
where an entry may override any family field. One catalog entry is made per model id, all
sharing the family's body text. A card that cannot be read becomes an entry that carries the
error, so one broken file never hides the rest of the catalog. An English reader gets the card's
words from model_cards/en/ (engine.models.cardfile).
"""
from dataclasses import dataclass, field
from pathlib import Path

from engine.core.messages import StudioError, current_language, text
from engine.core.paths import BUNDLED_BASE, MODEL_CARDS_DIR
from engine.models import store
from engine.models.card import cell, render_body
from engine.models.cardfile import check_model, split_front_matter, translated

SIZES = ("small", "base", "large", "xl", "xxl")
MINE = "mine"  # organisation of the user's own models
REQUIRED_FIELDS = ("organisation", "models")
JAPANESE_SUPPORT = ("good", "partial", "poor")


@dataclass
class CatalogEntry:
    """One model the user can read about and pick as a base model."""

    id: str
    family: str = ""
    organisation: str = ""
    source: str = "card"  # "card" (model_cards/), "mine" (the model store) or "broken"
    parameters: int = None
    size: str = ""
    languages: list = field(default_factory=list)
    license: str = None
    task: str = ""
    generation_base: bool = True
    tokenizer: dict = field(default_factory=dict)
    links: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)  # per-model facts such as training_steps, aliases
    body: str = ""
    card_path: str = ""
    hub_url: str = ""
    error: str = ""

    @property
    def key(self) -> str:
        """Unique among all entries: a stored model may share a name with a Hub id (t5-small)."""
        return f"{self.source}:{self.id}"


def entries_from_card(path: Path) -> list:
    """The entries one card file describes; raises ValueError with a readable reason."""
    try:
        source = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(text("catalog.err_encoding")) from None
    front, body = translated(*split_front_matter(source), path)
    missing = [name for name in REQUIRED_FIELDS if not front.get(name)]
    if missing:
        raise ValueError(text("catalog.err_missing", fields=", ".join(missing)))
    models = front["models"]
    if not isinstance(models, list):
        raise ValueError(text("catalog.err_models_list"))
    entries = []
    for number, item in enumerate(models, start=1):
        item = check_model(item, number, SIZES)
        merged = {**front, **item}
        languages = merged.get("languages") or []
        entries.append(CatalogEntry(
            id=str(item["id"]).strip(),
            family=str(merged.get("family") or ""),
            organisation=str(merged["organisation"]),
            parameters=merged.get("parameters"),
            size=str(merged.get("size") or ""),
            languages=[str(code) for code in (languages if isinstance(languages, list) else [languages])],
            license=merged.get("license"),
            task=str(merged.get("task") or ""),
            generation_base=bool(merged.get("generation_base", True)),
            tokenizer=merged.get("tokenizer") if isinstance(merged.get("tokenizer"), dict) else {},
            links=merged.get("links") if isinstance(merged.get("links"), list) else [],
            extra={k: v for k, v in item.items() if k not in ("id", "parameters", "size")},
            body=body,
            card_path=str(path),
        ))
    return entries


def card_entries(folder: Path = None) -> list:
    """Entries of every card in `folder` (model_cards/ by default), broken cards included as errors."""
    folder = Path(folder or MODEL_CARDS_DIR)
    entries = []
    # The bundled base's card comes first: it is the model a newcomer starts from.
    for path in sorted(folder.glob("*.md"), key=lambda p: (p.stem != BUNDLED_BASE, p.name)):
        try:
            entries += entries_from_card(path)
        except (ValueError, OSError) as exc:
            message = text("catalog.bad_card", file=path.name, reason=str(exc))
            entries.append(CatalogEntry(id=path.stem, source="broken", card_path=str(path), error=message))
    return entries


def own_entries() -> list:
    """The user's trained or saved models from the store, with their generated cards."""
    entries = []
    for meta in store.list_models():
        settings = meta.get("settings") or {}
        entries.append(CatalogEntry(
            id=meta["name"],
            family=text("catalog.own_family"),
            organisation=MINE,
            source="mine",
            size=str(settings.get("size", "")) if meta.get("base_model", "scratch") == "scratch" else "",
            languages=["ja"],
            task=text("catalog.own_task"),
            tokenizer={"japanese": "good" if meta.get("base_model", "scratch") == "scratch" else None},
            body=render_body(meta),
            hub_url=str(meta.get("hub_url") or ""),
            extra={"base_model": meta.get("base_model", ""), "metrics": meta.get("metrics") or {}},
        ))
    return entries


def list_entries(language: str = None, size: str = None, organisation: str = None,
                 include_mine: bool = True, folder: Path = None) -> list:
    """Catalog entries matching every filter given; None or "all" means no filter.

    Broken cards are listed only when no filter is set, so a problem stays visible without
    claiming a language or size it may not have.
    """
    entries = card_entries(folder) + (own_entries() if include_mine else [])
    wanted = {k: v for k, v in (("language", language), ("size", size), ("organisation", organisation)) if v not in (None, "", "all")}

    def matches(entry: CatalogEntry) -> bool:
        if entry.source == "broken":
            return not wanted
        if "language" in wanted and wanted["language"] not in entry.languages:
            return False
        if wanted.get("language") == "ja" and (entry.tokenizer or {}).get("japanese") == "poor":
            return False  # FLAN-T5 was trained on Japanese text, but its vocabulary cannot write it

        if "size" in wanted and entry.size != wanted["size"]:
            return False
        return "organisation" not in wanted or entry.organisation == wanted["organisation"]

    return [entry for entry in entries if matches(entry)]


def find_entry(key: str, entries: list = None) -> CatalogEntry:
    """The entry with this key ("card:t5-small", "mine:my-model") or plain id; StudioError if none."""
    entries = list_entries() if entries is None else entries
    for entry in entries:
        if key in (entry.key, entry.id):
            return entry
    raise StudioError("catalog.not_found", id=key)


def base_model_choices(online: bool) -> list:
    """What the Train tab offers as base models, best first.

    The bundled base leads (it works offline and knows Japanese words). Online, the Hub models
    whose vocabularies spell Japanese come next; then the user's own models and scratch; Hub ids
    that cannot spell Japanese, or any Hub id while offline, come last.
    """
    hub = [e for e in card_entries() if e.source == "card" and e.generation_base and e.id != BUNDLED_BASE]
    japanese = [e.id for e in hub if (e.tokenizer or {}).get("japanese") == "good"] if online else []
    choices = [BUNDLED_BASE, *japanese, *store.model_names(), "scratch"]
    return list(dict.fromkeys(choices + [e.id for e in hub]))


def base_model_value(entry: CatalogEntry) -> str:
    """What the Train tab's base-model field takes for this entry: a Hub id or a stored model name."""
    if entry.source == "broken":
        raise StudioError("catalog.cannot_use_broken", id=entry.id)
    if not entry.generation_base:
        raise StudioError("catalog.not_generation_base", id=entry.id, task=entry.task)
    return entry.id


def format_parameters(count) -> str:
    """6,000万 / 2億2,000万 / 113億: the way Japanese readers count parameters; 60M / 220M / 11.3B in English."""
    if not count:
        return "—"
    if current_language() == "en":
        return f"{count / 1e9:.3g}B" if count >= 1_000_000_000 else f"{count / 1e6:.3g}M"
    if count >= 100_000_000:
        oku, man = divmod(round(count / 10_000_000) * 10_000_000, 100_000_000)
        return f"{oku}億" + (f"{man // 10_000:,}万" if man else "")
    return f"{round(count / 10_000):,}万"


def japanese_mark(entry: CatalogEntry) -> str:
    """How well the tokenizer spells Japanese, in words (a bare ◎/× is hard to read at table size)."""
    support = (entry.tokenizer or {}).get("japanese")
    return text(f"catalog.japanese_{support}") if support in JAPANESE_SUPPORT else "—"


def summary_rows(entries: list) -> list:
    """Rows of the catalog table: id, organisation, size, parameters, languages, Japanese, license, base?"""
    rows = []
    for entry in entries:
        if entry.source == "broken":
            rows.append([entry.id, "—", "—", "—", "—", "—", "—", text("catalog.broken_mark")])
            continue
        languages = ", ".join(entry.languages[:4]) + (f" +{len(entry.languages) - 4}" if len(entry.languages) > 4 else "")
        organisation = text("catalog.org_mine") if entry.organisation == MINE else entry.organisation
        rows.append([
            entry.id, organisation, entry.size or "—", format_parameters(entry.parameters), languages or "—",
            japanese_mark(entry), entry.license or "—", text("catalog.yes") if entry.generation_base else text("catalog.no"),
        ])
    return rows


def _facts(entry: CatalogEntry) -> list:
    tokenizer = entry.tokenizer or {}
    byte_fallback = {True: text("catalog.yes"), False: text("catalog.no")}.get(tokenizer.get("byte_fallback"), text("catalog.unknown"))
    facts = [
        (text("catalog.fact_id"), f"`{cell(entry.id)}`"),
        (text("catalog.fact_organisation"), cell(text("catalog.org_mine") if entry.organisation == MINE else entry.organisation)),
        (text("catalog.fact_parameters"), format_parameters(entry.parameters)),
        (text("catalog.fact_size"), cell(entry.size or "—")),
        (text("catalog.fact_languages"), cell(", ".join(entry.languages) or "—")),
        (text("catalog.fact_license"), cell(entry.license or text("catalog.unknown"))),
        (text("catalog.fact_task"), cell(entry.task or "—")),
        (text("catalog.fact_generation_base"), text("catalog.yes") if entry.generation_base else text("catalog.no")),
    ]
    if entry.source == "card":
        facts += [
            (text("catalog.fact_tokenizer"), cell(tokenizer.get("kind") or "—")),
            (text("catalog.fact_byte_fallback"), byte_fallback),
            (text("catalog.fact_japanese"), japanese_mark(entry)),
        ]
    for key in ("training_steps", "aliases"):
        if entry.extra.get(key):
            value = entry.extra[key]
            value = ", ".join(map(str, value)) if isinstance(value, list) else f"{value:,}" if isinstance(value, int) else value
            facts.append((text(f"catalog.fact_{key}"), cell(value)))
    if entry.hub_url:
        facts.append((text("catalog.fact_hub"), f"[{cell(entry.hub_url)}]({cell(entry.hub_url)})"))
    return facts


def render_entry(entry: CatalogEntry) -> str:
    """Markdown of one entry: a facts table, the tokenizer note, links, then the card's body."""
    if entry.source == "broken":
        return f"### ⚠️ {cell(entry.id)}\n\n{cell(entry.error)}\n"
    head = f"| {text('catalog.fact_field')} | {text('catalog.fact_value')} |"
    if entry.source == "mine":  # the generated card already says what it is, with the Hub link
        return entry.body.strip() + "\n"
    lines = [f"## {cell(entry.id)}", "", f"*{cell(entry.family or entry.id)}*", "", head, "| --- | --- |"]
    lines += [f"| {name} | {value} |" for name, value in _facts(entry)]
    note = (entry.tokenizer or {}).get("notes")
    if note:
        lines += ["", f"> **{text('catalog.tokenizer_note')}** {cell(note)}"]
    if entry.links:
        lines += ["", f"**{text('catalog.links')}**", ""]
        for link in entry.links:
            if isinstance(link, dict) and str(link.get("url", "")).startswith("https://"):
                lines.append(f"- [{cell(link.get('title') or link['url'])}]({cell(link['url'])})")
    lines += ["", "---", "", entry.body.strip(), ""]
    return "\n".join(lines)
