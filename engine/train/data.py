"""The rows a model trains on: as the model reads them, split for validation, tokenized in pieces."""
from engine.core.messages import StudioError, text
from engine.models import prompts
from engine.train.config import TrainConfig

MIN_TRAIN_ROWS = 2
UNKNOWN_WARN_SHARE = 0.05  # more <unk> than this means the base vocabulary cannot spell the data
OVERFIT_RISE = 1.05  # validation loss 5 % above its best at the end: the model learnt the rows by heart


def overfitting_warning(eval_losses: list) -> str:
    """A plain warning when the validation loss ended well above its lowest point, else ''."""
    values = [v for v in eval_losses if v is not None and v == v]  # NaN: a step with no validation
    if len(values) < 3 or values[-1] <= min(values) * OVERFIT_RISE:
        return ""
    return text("train.overfitting", best=f"{min(values):.3f}", last=f"{values[-1]:.3f}")


def with_model_inputs(frame, model, tokenizer):
    """The rows as the model reads them: a word=answer base gets each row's answer beside the word
    (the Correct column's first suitable one, else the dictionary's), as it does when generating."""
    corrects = list(frame["Correct"]) if "Correct" in frame.columns else None
    frame = frame.copy()
    frame["Input"] = prompts.model_inputs(model.config, tokenizer, list(frame["Input"]), corrects)
    return frame


def unknown_share(tokenizer, texts: list) -> float:
    """Share of tokens that become <unk> (original T5 vocabularies cannot spell most Japanese)."""
    unk = tokenizer.unk_token_id
    if unk is None:
        return 0.0
    total = unknown = 0
    for ids in tokenizer(texts[:500], add_special_tokens=False)["input_ids"]:
        total += len(ids)
        unknown += sum(1 for i in ids if i == unk)
    return unknown / total if total else 0.0


# Data ---------------------------------------------------------------------------------------

def validation_count(rows: int, validation_split: float) -> int:
    return max(1, int(round(rows * validation_split))) if validation_split > 0 else 0


def split_rows(frame, validation_split: float, seed: int) -> tuple:
    """(train, validation) frames; the validation part is empty when the split is 0."""
    shuffled = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    n_val = validation_count(len(shuffled), validation_split)
    train, val = shuffled.iloc[n_val:], shuffled.iloc[:n_val]
    if len(train) < MIN_TRAIN_ROWS:
        raise StudioError("train.too_few_rows", rows=len(frame), needed=MIN_TRAIN_ROWS + n_val)
    return train.reset_index(drop=True), val.reset_index(drop=True)


TOKENIZE_ROWS = 5000  # rows tokenized between two looks at the stop button


def tokenize_frame(frame, tokenizer, config: TrainConfig, check_stop=None):
    """Tokenize once, in batches, without padding: the collator pads each batch to its own longest row."""
    from datasets import Dataset

    columns = {"input_ids": [], "attention_mask": [], "labels": []}
    for start in range(0, len(frame), TOKENIZE_ROWS):
        if check_stop:
            check_stop()
        part = frame.iloc[start : start + TOKENIZE_ROWS]
        inputs = tokenizer(list(part["Input"]), max_length=config.max_input_length, truncation=True)
        labels = tokenizer(text_target=list(part["Output"]), max_length=config.max_target_length, truncation=True)
        columns["input_ids"] += inputs["input_ids"]
        columns["attention_mask"] += inputs["attention_mask"]
        columns["labels"] += labels["input_ids"]
    columns["length"] = [len(ids) for ids in columns["input_ids"]]  # lets the sampler group similar lengths
    return Dataset.from_dict(columns)


# Training -----------------------------------------------------------------------------------
