"""Text generation with stored T5 models: load once, generate in length-sorted batches.

A model is a stored model's name, a local folder, or (online only) a Hugging Face Hub id.
Loaded models stay in a small LRU cache, so the Try tab does not reload weights per click.

Methods: greedy, beam search, diverse beam search and sampling. transformers 5 moved group
(diverse) beam search out of the library into a Hub repo that runs remote code
(custom_generate, trust_remote_code=True); we never run remote code and are often offline,
so diverse beam search is done here: the beams are split into groups searched one after
another, and each group is penalised for the tokens that earlier groups' results put at the
same position (the Hamming diversity of Vijayakumar et al. 2016). It is sequential where the
original runs groups in lock-step, but the penalty and its meaning are the same.
"""
import math
import re
import threading
import unicodedata
from collections import OrderedDict
from dataclasses import asdict, dataclass
from pathlib import Path

from engine import paths, prompts, store, turns
from engine.hub import is_reachable
from engine.messages import StudioError, raise_all
from engine.messages import text as message

METHODS = ("greedy", "beam", "diverse_beam", "sampling")
MAX_OUTPUTS = 50  # per input; a quiz needs a handful of distractors, not hundreds
MAX_BEAMS = 64
MAX_NEW_TOKENS = 512
MAX_INPUT_TOKENS = 512  # T5's usual input length; longer inputs are cut
EXTRA_ROUNDS = 3  # more tries when merging duplicates leaves fewer than N distinct outputs
CACHE_SIZE = 2  # models kept in memory; each small T5 is ~250 MB, base ~900 MB


@dataclass
class GenerationSettings:
    """How to turn one input into outputs. check() explains what is wrong, in Japanese."""

    method: str = "greedy"  # greedy | beam | diverse_beam | sampling
    num_outputs: int = 1  # distinct outputs wanted per input (num_return_sequences)
    max_new_tokens: int = 32  # words and short phrases need few tokens
    num_beams: int = 4  # beam and diverse_beam only
    num_beam_groups: int = 2  # diverse_beam only; num_beams must divide into the groups
    diversity_penalty: float = 1.0  # diverse_beam only; 0 makes groups ordinary beams
    temperature: float = 1.0  # sampling only; <1 sharper, >1 flatter
    top_k: int = 50  # sampling only; 0 = no limit
    top_p: float = 1.0  # sampling only; 1 = no limit
    repetition_penalty: float = 1.0  # 1 = off; >1 discourages repeating tokens
    no_repeat_ngram_size: int = 0  # 0 = off; n forbids repeating any n-gram
    seed: int = 42  # fixes sampling, so the same settings give the same outputs
    batch_size: int = 32  # inputs per generate call

    def check(self) -> "GenerationSettings":
        """Raise StudioError listing every invalid value or combination; return self when fine."""
        errors = []

        def bad(key, **params):
            errors.append(StudioError(f"generation.{key}", **params))

        if self.method not in METHODS:
            bad("bad_method", value=self.method, choices=", ".join(METHODS))
        if not 1 <= self.num_outputs <= MAX_OUTPUTS:
            bad("bad_num_outputs", value=self.num_outputs, limit=MAX_OUTPUTS)
        if not 1 <= self.max_new_tokens <= MAX_NEW_TOKENS:
            bad("bad_max_new_tokens", value=self.max_new_tokens, limit=MAX_NEW_TOKENS)
        if not self.repetition_penalty > 0 or not math.isfinite(self.repetition_penalty):
            bad("bad_repetition_penalty", value=self.repetition_penalty)
        if self.no_repeat_ngram_size < 0:
            bad("bad_no_repeat_ngram_size", value=self.no_repeat_ngram_size)
        if not 1 <= self.batch_size <= 1024:
            bad("bad_batch_size", value=self.batch_size)
        if not 0 <= self.seed < 2**32:  # torch refuses other seeds with a bare ValueError
            bad("bad_seed", value=self.seed)
        if self.method == "greedy" and self.num_outputs > 1:
            bad("greedy_one_output", value=self.num_outputs)
        if self.method in ("beam", "diverse_beam"):
            if not 1 <= self.num_beams <= MAX_BEAMS:
                bad("bad_num_beams", value=self.num_beams, limit=MAX_BEAMS)
            elif self.num_outputs > self.num_beams:
                bad("outputs_over_beams", outputs=self.num_outputs, beams=self.num_beams)
        if self.method == "diverse_beam":
            if self.num_beam_groups < 2:
                bad("bad_num_beam_groups", value=self.num_beam_groups)
            elif self.num_beams % self.num_beam_groups:
                bad("beams_not_divisible", beams=self.num_beams, groups=self.num_beam_groups)
            if not self.diversity_penalty >= 0 or not math.isfinite(self.diversity_penalty):
                bad("bad_diversity_penalty", value=self.diversity_penalty)
        if self.method == "sampling":
            if not self.temperature > 0 or not math.isfinite(self.temperature):
                bad("bad_temperature", value=self.temperature)
            if self.top_k < 0:
                bad("bad_top_k", value=self.top_k)
            if not 0 < self.top_p <= 1:
                bad("bad_top_p", value=self.top_p)
        raise_all(errors)
        return self

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "GenerationSettings":
        known = {k: v for k, v in (values or {}).items() if k in cls.__dataclass_fields__ and v is not None}
        return cls(**known)


@dataclass
class LoadedModel:
    model: object
    tokenizer: object
    source: str  # what the user asked for
    path: str  # the folder or Hub id it came from
    device: str


# ---------------------------------------------------------------------------------------------
# Loading


_CACHE = OrderedDict()  # key -> LoadedModel, most recently used last
_CACHE_LOCK = threading.Lock()
_LOAD_LOCKS = {}  # one lock per key, so two users asking for one model load it once


def device_name() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


HUB_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*(/[\w.\-]+)?$")


def _in_catalog(model_id: str) -> bool:
    from engine.catalog import card_entries  # lazy: the catalog reads markdown files

    return any(entry.id == model_id for entry in card_entries())


def resolve_source(source: str, allow_paths: bool = True) -> tuple:
    """(kind, location) for a model reference: ("bundled"|"store"|"local"|"hub", path or id).

    allow_paths=False (the web app) accepts only store names and Hub ids: a visitor must not
    make the server open folders of its own choosing.
    """
    source = (source or "").strip()
    if not source:
        raise StudioError("generation.no_model")
    bundled = bundled_path(source)
    if bundled is not None:
        return "bundled", str(bundled)
    try:
        folder = store.model_path(source)
        if store.is_complete(folder):
            return "store", str(folder)
    except StudioError:
        pass  # not a valid store name: maybe a path or a Hub id
    if allow_paths and Path(source).is_dir():
        return "local", str(Path(source).resolve())
    looks_like_path = source.startswith((".", "/", "~", "\\")) or "\\" in source or Path(source).exists()
    if not looks_like_path and HUB_ID.match(source) and ("/" in source or _in_catalog(source)):
        return "hub", source  # owner/name, or a legacy bare id of the catalog such as t5-small
    raise StudioError("generation.model_not_found", name=source)


def bundled_path(name: str):
    """The folder of a model shipped with the app (`t5studio-distractor-base`), or None."""
    folder = paths.BUNDLED_DIR / name
    if name == paths.BUNDLED_BASE and (folder / "config.json").exists():
        return folder
    return None


def _cache_key(kind: str, location: str) -> str:
    if kind == "hub":
        return f"hub:{location}"
    # A model re-saved under the same name must not be served from the old weights.
    stamps = sorted(f"{p.name}:{p.stat().st_mtime_ns}" for p in Path(location).glob("*.safetensors"))
    return f"{location}|{'|'.join(stamps)}"


def load_model(source: str, allow_paths: bool = True) -> LoadedModel:
    """The model and tokenizer for `source`, loaded once and cached (thread-safe, LRU).

    allow_paths: accept local folders (the CLI does; the web app does not, see resolve_source).
    """
    kind, location = resolve_source(source, allow_paths)
    key = _cache_key(kind, location)
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
        lock = _LOAD_LOCKS.setdefault(key, threading.Lock())
    with lock:
        with _CACHE_LOCK:
            if key in _CACHE:
                return _CACHE[key]
        loaded = _load_uncached(kind, location, source)
        with _CACHE_LOCK:
            _CACHE[key] = loaded
            while len(_CACHE) > CACHE_SIZE:
                _CACHE.popitem(last=False)
            _LOAD_LOCKS.pop(key, None)
    return loaded


def _load_uncached(kind: str, location: str, source: str) -> LoadedModel:
    from transformers import AutoConfig, AutoModelForSeq2SeqLM, AutoTokenizer

    offline = kind == "hub" and not is_reachable()  # a model in the download cache still loads
    if kind in ("local", "bundled") and not any(Path(location).glob("*.safetensors")):
        raise StudioError("generation.no_safetensors", name=source)
    # safetensors only (never a pickle) and never code from the model's folder.
    options = {"trust_remote_code": False}
    if kind == "hub":
        options["local_files_only"] = offline
    try:
        config = AutoConfig.from_pretrained(location, **options)
        if not getattr(config, "is_encoder_decoder", False):
            raise StudioError("generation.not_seq2seq", name=source, model_type=config.model_type)
        tokenizer = AutoTokenizer.from_pretrained(location, **options)
        model = AutoModelForSeq2SeqLM.from_pretrained(location, use_safetensors=True, **options)
    except StudioError:
        raise
    except (OSError, ValueError) as exc:
        if kind == "hub" and offline:
            raise StudioError("generation.hub_offline", name=source) from exc
        raise StudioError("generation.load_failed", name=source, detail=f"{type(exc).__name__}: {exc}"[:300]) from exc
    device = device_name()
    model.to(device)
    model.eval()
    return LoadedModel(model=model, tokenizer=tokenizer, source=source, path=location, device=device)


def clear_cache() -> None:
    with _CACHE_LOCK:
        _CACHE.clear()


# ---------------------------------------------------------------------------------------------
# Generating


@dataclass
class Candidate:
    text: str
    score: float = None  # mean log-probability per token under the model (higher = more likely)


def generate_batch(source, inputs: list, settings: GenerationSettings = None, progress=None,
                   with_scores: bool = True, answers: list = None) -> list:
    """For each input, a list of up to settings.num_outputs distinct Candidates, best first.

    source: a model reference (see load_model) or a LoadedModel.
    progress: optional callable(done_inputs, total_inputs), called after each batch.
    with_scores: also compute each output's model score (one extra forward pass per batch).
    answers: per input, the correct answer(s) if known ("犬|いぬ"); a model that reads the answer
        beside the word (engine.prompts) gets them, or the dictionary's, and never repeats the one it read.
    The work is charged to the current request (engine.turns) and done in fair turns.
    """
    import torch

    settings = (settings or GenerationSettings()).check()
    with turns.ensure() as request:
        request.charge(len(inputs), settings)
        loaded = source if isinstance(source, LoadedModel) else load_model(source)
        texts = prompts.model_inputs(loaded.model.config, loaded.tokenizer, [str(x) for x in inputs], answers)
        results = [None] * len(texts)
        # Sorting by length keeps padding small: neighbours in a batch have similar lengths.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        step = turns.rows_per_turn(settings, settings.batch_size)
        turns.seed(settings.seed)
        with torch.inference_mode():
            for start in range(0, len(order), step):
                chunk = order[start : start + step]
                outputs = _generate_chunk(loaded, [texts[i] for i in chunk], settings, with_scores)
                for i, candidates in zip(chunk, outputs):
                    results[i] = candidates
                if progress:
                    progress(min(start + step, len(order)), len(texts))
    return results


def generate_one(source, text: str, settings: GenerationSettings = None, answer: str = "") -> list:
    """Candidates for a single input."""
    return generate_batch(source, [text], settings, answers=[answer])[0]


def _encode(loaded: LoadedModel, texts: list) -> dict:
    batch = loaded.tokenizer(texts, padding=True, truncation=True, max_length=MAX_INPUT_TOKENS, return_tensors="pt")
    return {k: v.to(loaded.device) for k, v in batch.items() if k in ("input_ids", "attention_mask")}


def _generate_chunk(loaded: LoadedModel, texts: list, settings: GenerationSettings, with_scores: bool) -> list:
    """Candidates for one batch. When merging duplicates leaves fewer than asked for, the inputs
    short of outputs go round again: sampling draws anew, beam searches widen (twice the beams)."""
    encoded = _encode(loaded, texts)
    bans = _answer_bans(loaded, texts)
    wanted = settings.num_outputs
    per_input = [[] for _ in texts]
    rounds = 1 if settings.method == "greedy" else EXTRA_ROUNDS + 1
    for round_no in range(rounds):
        missing = [i for i, got in enumerate(per_input) if len(_distinct(got)) < wanted]
        if not missing:
            break
        widen = 2**round_no if settings.method != "sampling" else 1
        if settings.num_beams * widen > MAX_BEAMS:
            break
        sub = {k: v[missing] for k, v in encoded.items()}
        ban = _AnswerBan([bans[i] for i in missing], loaded.tokenizer) if any(bans) else None
        if settings.method == "diverse_beam":
            outputs = _diverse_beam(loaded, sub, settings, widen, ban)
        else:
            outputs = _run_generate(loaded, sub, settings, settings.num_beams * widen, _processors(ban))
        for i, outs in zip(missing, outputs):
            per_input[i].extend(outs)
    candidates = [[Candidate(text) for text in _distinct(outs)[:wanted]] for outs in per_input]
    if with_scores:
        _score(loaded, texts, candidates)
        # Best first by one measure for every method: beam searches end their beams at different
        # lengths and diverse groups interleave, so their own order is not the score order.
        for cands in candidates:
            cands.sort(key=lambda c: c.score, reverse=True)
    return candidates


REPEATED = re.compile(r"(.)\1{2,}")  # one character three times in a row: 写写写


def outputs_warning(results: list) -> str:
    """A Japanese note when a model's outputs as a whole are unusable (nothing usable, mostly
    repeated characters, or the same output for nearly every input), else ''.

    results: what generate_batch returned, one candidate list per input."""
    from collections import Counter

    firsts = [cands[0].text for cands in results if cands]
    if not firsts:
        return message("generation.outputs_empty")
    repeated = [t for t in firsts if REPEATED.search(t)]
    if len(repeated) * 2 > len(firsts):
        return message("generation.outputs_repetitive", example=repeated[0])
    common, count = Counter(firsts).most_common(1)[0]
    if len(results) >= 5 and count >= 0.8 * len(results):
        return message("generation.outputs_same", example=common, count=count, total=len(results))
    return ""


def is_junk(text: str) -> bool:
    """Nothing a person could use: empty, a broken byte (U+FFFD) or a control character."""
    text = text.strip()
    return not text or "\ufffd" in text or any(unicodedata.category(c) in ("Cc", "Cs") for c in text)


def _distinct(outputs: list) -> list:
    """Outputs in order, each text once (after trimming spaces), junk left out."""
    seen, kept = set(), []
    for text in outputs:
        key = text.strip()
        if key not in seen and not is_junk(key):
            seen.add(key)
            kept.append(key)
    return kept


def _generate_kwargs(settings: GenerationSettings, num_beams: int = None) -> dict:
    kwargs = {
        "max_new_tokens": settings.max_new_tokens,
        "repetition_penalty": settings.repetition_penalty,
        "no_repeat_ngram_size": settings.no_repeat_ngram_size,
    }
    if settings.method == "sampling":
        # Ask for more than wanted: samples repeat, and duplicates are merged afterwards.
        kwargs.update(
            do_sample=True,
            temperature=settings.temperature,
            top_k=settings.top_k,
            top_p=settings.top_p,
            num_return_sequences=min(2 * settings.num_outputs + 2, 2 * MAX_OUTPUTS),
        )
    elif settings.method in ("beam", "diverse_beam"):
        beams = num_beams or settings.num_beams
        # Every beam comes back, so that texts that decode alike can be merged and others fill in.
        kwargs.update(do_sample=False, num_beams=beams, num_return_sequences=beams, early_stopping=True)
    else:
        kwargs.update(do_sample=False, num_beams=1)
    return kwargs


def _run_generate(loaded: LoadedModel, encoded: dict, settings: GenerationSettings, num_beams: int = None,
                  logits_processor=None) -> list:
    """One generate call; per input a list of decoded texts in the order generate returns them."""
    kwargs = _generate_kwargs(settings, num_beams)
    if logits_processor is not None:
        kwargs["logits_processor"] = logits_processor
    sequences = _model_generate(loaded, encoded, kwargs)
    decoded = loaded.tokenizer.batch_decode(sequences, skip_special_tokens=True)
    per = kwargs.get("num_return_sequences", 1)
    return [decoded[i * per : (i + 1) * per] for i in range(len(decoded) // per)]


def _model_generate(loaded: LoadedModel, encoded: dict, kwargs: dict):
    """model.generate as one turn of the current request, cut off when its time budget runs out."""
    with turns.turn() as request:
        return loaded.model.generate(**encoded, **kwargs, max_time=max(request.seconds_left(), 0.1))


def _processors(*processors):
    from transformers import LogitsProcessorList

    kept = [p for p in processors if p is not None]
    return LogitsProcessorList(kept) if kept else None


def _answer_bans(loaded: LoadedModel, texts: list) -> list:
    """Per input, the answer a word=answer model read (it must not echo it), or ''."""
    if prompts.input_format(loaded.model.config) != prompts.WORD_AND_ANSWER:
        return ["" for _ in texts]
    return [prompts.answer_of(t) for t in texts]


def _piece_texts(tokenizer) -> tuple:
    """(text of each token id, ids by text): "▁" as a space; bytes and special tokens match nothing."""
    cached = getattr(tokenizer, "_t5studio_piece_texts", None)
    if cached is None:
        pieces = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
        special = set(tokenizer.all_special_tokens)
        texts = ["\uffff" if p is None or p in special or (p.startswith("<0x") and p.endswith(">")) else p.replace("▁", " ")
                 for p in pieces]
        by_text = {}
        for index, piece in enumerate(texts):
            by_text.setdefault(piece, []).append(index)
        cached = (texts, by_text)
        tokenizer._t5studio_piece_texts = cached
    return cached


class _AnswerBan:
    """Forbid each input's own answer as the whole output, however it is spelled in tokens.

    A word has several tokenizations (▁花, or ▁ then 花): banning the usual one alone lets the
    model write the answer another way. So at each step the text so far is compared with the
    answer, and every token that would complete it exactly (or end the output on it) is banned."""

    def __init__(self, answers: list, tokenizer):
        self.answers = answers
        self.texts, self.by_text = _piece_texts(tokenizer)
        self.eos = tokenizer.eos_token_id

    def __call__(self, input_ids, scores):
        rows_per_input = input_ids.shape[0] // len(self.answers)
        for row, ids in enumerate(input_ids[:, 1:].tolist()):  # position 0 is the start token
            answer = self.answers[row // rows_per_input]
            if answer:
                for token in self._completing("".join(self.texts[i] for i in ids), answer):
                    scores[row, token] = -math.inf
        return scores

    def _completing(self, so_far: str, answer: str) -> list:
        banned = []
        for whole in (answer, " " + answer):  # the decoder drops one leading space
            if whole.startswith(so_far):
                rest = whole[len(so_far):]
                banned += self.by_text.get(rest, []) if rest else [self.eos]
        return banned


def _diverse_beam(loaded: LoadedModel, encoded: dict, settings: GenerationSettings, widen: int = 1,
                  ban=None) -> list:
    """Diverse beam search: groups searched in turn, each penalised for earlier groups' tokens."""

    groups = settings.num_beam_groups
    group_beams = settings.num_beams * widen // groups
    batch = encoded["input_ids"].shape[0]
    pad = loaded.tokenizer.pad_token_id
    # used[b][t] = the tokens earlier groups' results put at output position t of input b.
    used = [dict() for _ in range(batch)]
    processor = _HammingDiversity(used, settings.diversity_penalty, group_beams)
    per_group = []
    for _ in range(groups):
        kwargs = _generate_kwargs(settings, group_beams)
        kwargs["logits_processor"] = _processors(processor, ban)
        sequences = _model_generate(loaded, encoded, kwargs)
        for row, tokens in enumerate(sequences[:, 1:].tolist()):  # [:, 1:] drops the start token
            for position, token in enumerate(tokens):
                if token != pad:
                    used[row // group_beams].setdefault(position, []).append(token)
        decoded = loaded.tokenizer.batch_decode(sequences, skip_special_tokens=True)
        per_group.append([decoded[i * group_beams : (i + 1) * group_beams] for i in range(batch)])
    # Interleave: the best of each group first, then the second of each, and so on.
    results = []
    for i in range(batch):
        merged = []
        for rank in range(group_beams):
            merged.extend(group[i][rank] for group in per_group)
        results.append(merged)
    return results


class _HammingDiversity:
    """Subtract penalty × (uses by earlier groups) from each token's score at the same position."""

    def __init__(self, used: list, penalty: float, beams_per_input: int):
        self.used = used
        self.penalty = penalty
        self.beams_per_input = beams_per_input

    def __call__(self, input_ids, scores):
        import torch

        position = input_ids.shape[1] - 1  # decoder ids start with the start token
        if self.penalty == 0:
            return scores
        penalty = torch.zeros_like(scores)
        for row in range(scores.shape[0]):
            tokens = self.used[row // self.beams_per_input].get(position)
            if tokens:
                index = torch.tensor(tokens, device=scores.device)
                penalty[row].index_add_(0, index, torch.ones(len(tokens), device=scores.device, dtype=scores.dtype))
        return scores - self.penalty * penalty


def _score(loaded: LoadedModel, texts: list, candidates: list) -> None:
    """Fill each candidate's score: the mean log-probability per token of its text given the input.

    Computed the same way for every method (teacher forcing, no penalties), so scores from
    greedy, beam and sampling can be compared; near 0 means the model is confident.
    """
    import torch

    pairs = [(texts[i], c) for i, cands in enumerate(candidates) for c in cands]
    if not pairs:
        return
    tok = loaded.tokenizer
    for start in range(0, len(pairs), 64):
        part = pairs[start : start + 64]
        enc = _encode(loaded, [p[0] for p in part])
        labels = tok([p[1].text for p in part], padding=True, truncation=True, max_length=MAX_NEW_TOKENS,
                     return_tensors="pt")["input_ids"].to(loaded.device)
        labels[labels == tok.pad_token_id] = -100
        with turns.turn():
            logits = loaded.model(**enc, labels=labels).logits
        logp = torch.log_softmax(logits.float(), dim=-1)
        mask = labels != -100
        picked = logp.gather(-1, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1) * mask
        means = picked.sum(1) / mask.sum(1).clamp(min=1)
        for (_, cand), value in zip(part, means.tolist()):
            cand.score = round(value, 4)
