"""The model a training starts from: scratch, the bundled base, a stored model, a folder or a Hub id."""
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

from engine.core.messages import StudioError
from engine.models.loading import resolve_source
from engine.models.publishing import is_reachable
from engine.models.scratch import build_model, build_scratch


def resolve_base(base: str, allow_paths: bool = True) -> tuple:
    """('scratch'|'store'|'local'|'hub', location) for what the user typed as base model.

    Store names, folders and Hub ids are told apart exactly as generation does; allow_paths=False
    (the app on a Space) keeps visitors from opening server folders of their choosing.
    """
    base = str(base).strip()
    if base == "scratch":
        return "scratch", None
    try:
        return resolve_source(base, allow_paths=allow_paths)
    except StudioError as exc:
        raise StudioError("train.base_not_found", base=base) from exc


def load_base(base: str, texts: list, size: str, seed: int, allow_paths: bool = True):
    """(model, tokenizer) for the chosen base; scratch models get a tokenizer trained on `texts`."""
    kind, location = resolve_base(base, allow_paths)
    if kind == "scratch":
        return build_scratch(texts, size=size, seed=seed)
    # Never run code from a model folder: uploaded or downloaded folders are untrusted.
    options = {"trust_remote_code": False}
    if kind == "hub" and not is_reachable():
        options["local_files_only"] = True  # a model already downloaded still works; others fail at once
    try:
        tokenizer = AutoTokenizer.from_pretrained(location, **options)
        model = AutoModelForSeq2SeqLM.from_pretrained(location, use_safetensors=kind != "hub" or None, **options)
    except (OSError, ValueError) as exc:
        reason = str(exc).lower()
        if kind == "hub" and ("local_files_only" in options or "offline" in reason or "connect" in reason):
            raise StudioError("train.hub_offline", base=base) from exc
        raise StudioError("train.base_load_failed", base=base, detail=str(exc).splitlines()[0][:200]) from exc
    if not model.config.is_encoder_decoder:
        raise StudioError("train.not_seq2seq", base=base, model_type=model.config.model_type)
    return model, tokenizer


def load_base_shared(base, texts, config, run, state, allow_paths=True):
    """load_base(), but a scratch tokenizer is trained once (main process) and read by the others."""
    if base != "scratch" or state.num_processes == 1:
        return load_base(base, texts, config.size, config.seed, allow_paths)
    shared = run.folder / "scratch_tokenizer"
    if state.is_main_process:
        model, tokenizer = load_base(base, texts, config.size, config.seed)
        tokenizer.save_pretrained(shared)
    state.wait_for_everyone()
    if not state.is_main_process:
        tokenizer = AutoTokenizer.from_pretrained(shared)
        model = build_model(tokenizer, config.size, config.seed)
    return model, tokenizer
