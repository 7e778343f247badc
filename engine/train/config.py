"""TrainConfig: everything one training run needs, checked before anything starts."""
import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from engine.core.messages import StudioError, raise_all, text
from engine.core.names import check_name
from engine.core.paths import BUNDLED_BASE, public_mode

OPTIMIZERS = {"adamw": "adamw_torch", "adafactor": "adafactor"}
SCHEDULERS = ("linear", "cosine", "constant", "constant_with_warmup", "polynomial", "inverse_sqrt")
SIZES = ("tiny", "small")
MAX_STEPS = 1_000_000  # far beyond any class's data; a larger number is a typo that would never end


@dataclass(frozen=True)
class TrainLimits:
    """How much one training may take, checked once the data is read (steps depend on the rows)."""

    steps: int
    rows: int
    minutes: float  # wall time, after which the training stops and saves what it learnt; 0 = none


# A class's word lists are a few thousand rows: the default recipe on 2,700 rows is 456 steps and
# about 1.5 minutes on two CPU cores. Public mode leaves room for forty times that, not for a year.
LOCAL_LIMITS = TrainLimits(steps=MAX_STEPS, rows=1_000_000, minutes=0)
PUBLIC_LIMITS = TrainLimits(steps=20_000, rows=50_000, minutes=60)


def train_limits() -> TrainLimits:
    return PUBLIC_LIMITS if public_mode() else LOCAL_LIMITS


@dataclass
class TrainConfig:
    csv: str = field(default="", metadata={"help": "CSV with the training pairs"})
    name: str = field(default="", metadata={"help": "name of the model in the store"})
    # The bundled base knows Japanese words offline; scratch starts from nothing (a user's own domain).
    base: str = field(default=BUNDLED_BASE, metadata={"help": f"{BUNDLED_BASE} (bundled), scratch, a Hub id, a local folder or a stored model"})
    input_column: str = field(default="", metadata={"help": "CSV column used as input (guessed when empty)"})
    output_column: str = field(default="", metadata={"help": "CSV column used as target (guessed when empty)"})
    size: str = field(default="tiny", metadata={"help": "size preset of a scratch model: tiny or small"})
    # A few epochs suit the small word lists teachers bring; max_steps overrides when > 0.
    epochs: float = field(default=3.0, metadata={"help": "passes over the data"})
    max_steps: int = field(default=0, metadata={"help": "stop after this many steps (0 = use epochs)"})
    # 3e-4 is the usual AdamW rate for T5 fine-tuning; Adafactor users often take 1e-3.
    learning_rate: float = field(default=3e-4, metadata={"help": "step size of the optimizer"})
    batch_size: int = field(default=16, metadata={"help": "examples per step and device"})
    grad_accum: int = field(default=1, metadata={"help": "steps whose gradients are summed before an update"})
    warmup_ratio: float = field(default=0.0, metadata={"help": "share of steps spent ramping the rate up"})
    weight_decay: float = field(default=0.0, metadata={"help": "L2-style shrinkage of weights"})
    optimizer: str = field(default="adamw", metadata={"help": "adamw or adafactor"})
    scheduler: str = field(default="linear", metadata={"help": "how the learning rate changes over time"})
    max_input_length: int = field(default=64, metadata={"help": "input tokens kept; longer is cut"})
    max_target_length: int = field(default=64, metadata={"help": "target tokens kept; longer is cut"})
    validation_split: float = field(default=0.1, metadata={"help": "share of rows held out for eval loss"})
    seed: int = field(default=42, metadata={"help": "seed for splits, initialisation and shuffling"})
    early_stopping_patience: int = field(default=0, metadata={"help": "evaluations without improvement before stopping (0 = off)"})
    label_smoothing: float = field(default=0.0, metadata={"help": "share of probability spread over other tokens"})
    eval_every: int = field(default=0, metadata={"help": "evaluate every N steps (0 = about 10 times per run)"})
    save_only: bool = field(default=False, metadata={"help": "store the base model without training"})

    def check(self) -> "TrainConfig":
        """Raise one StudioError listing every problem, or return self with the name cleaned."""
        errors = []
        try:
            self.name = check_name(self.name)
        except StudioError as exc:
            errors.append(exc)
        if not self.csv and not (self.save_only and self.base != "scratch"):
            errors.append(StudioError("train.no_csv"))
        elif self.csv and not Path(self.csv).is_file():
            errors.append(StudioError("csv.not_found", path=self.csv))
        if not str(self.base).strip():
            errors.append(StudioError("train.no_base"))
        errors += self._check_numbers()
        errors += self._check_choices()
        raise_all(errors)
        return self

    def read_rows(self) -> tuple:
        """(rows named by role, Table) as the training reads its CSV; StudioError when it cannot."""
        from engine.core.csvdata import load_pairs

        return load_pairs(self.csv, {"Input": self.input_column, "Output": self.output_column, "Correct": None},
                          choosable=True)

    def _check_numbers(self) -> list:
        errors = []

        def bad(field_name, rule, **bounds):
            errors.append(StudioError("train.bad_number", label=text(f"train.{field_name}"),
                                      value=getattr(self, field_name), rule=text(f"train.rule_{rule}", **bounds)))

        for name in ("epochs", "learning_rate", "warmup_ratio", "weight_decay", "validation_split", "label_smoothing"):
            if not isinstance(getattr(self, name), (int, float)) or not math.isfinite(getattr(self, name)):
                bad(name, "finite")
        if errors:
            return errors
        if not 0 <= self.max_steps <= MAX_STEPS:
            bad("max_steps", "max_steps", high=MAX_STEPS)
        # Epochs are ignored when max_steps is set, but a negative or huge value is still a typo to report.
        if self.epochs < 0 or self.epochs > 1000 or (self.max_steps == 0 and self.epochs == 0):
            bad("epochs", "positive", high=1000)
        if not 0 < self.learning_rate <= 1:
            bad("learning_rate", "positive", high=1)
        if not 1 <= self.batch_size <= 1024:
            bad("batch_size", "whole", low=1, high=1024)
        if not 1 <= self.grad_accum <= 1024:
            bad("grad_accum", "whole", low=1, high=1024)
        if not 0 <= self.warmup_ratio < 1:
            bad("warmup_ratio", "below", low=0, high=1)
        if not 0 <= self.weight_decay <= 1:
            bad("weight_decay", "between", low=0, high=1)
        for name in ("max_input_length", "max_target_length"):
            if not 1 <= getattr(self, name) <= 2048:
                bad(name, "whole", low=1, high=2048)
        if not 0 <= self.validation_split <= 0.5:
            bad("validation_split", "between", low=0, high=0.5)
        if not 0 <= self.label_smoothing < 1:
            bad("label_smoothing", "below", low=0, high=1)
        if not 0 <= self.early_stopping_patience <= 100:
            bad("early_stopping_patience", "whole", low=0, high=100)
        if self.eval_every < 0:
            bad("eval_every", "whole_from", low=0)
        if not 0 <= self.seed < 2**32:
            bad("seed", "whole", low=0, high=2**32 - 1)
        if self.early_stopping_patience and self.validation_split == 0:
            # Early stopping watches eval loss; without a validation split it would silently never fire.
            errors.append(StudioError("train.early_stopping_needs_validation"))
        return errors

    def _check_choices(self) -> list:
        errors = []
        if self.optimizer not in OPTIMIZERS:
            errors.append(StudioError("train.bad_choice", label=text("train.optimizer"), value=self.optimizer, choices=", ".join(OPTIMIZERS)))
        if self.scheduler not in SCHEDULERS:
            errors.append(StudioError("train.bad_choice", label=text("train.scheduler"), value=self.scheduler, choices=", ".join(SCHEDULERS)))
        if self.size not in SIZES:
            errors.append(StudioError("train.bad_choice", label=text("train.size"), value=self.size, choices=", ".join(SIZES)))
        return errors

    def to_dict(self) -> dict:
        return asdict(self)

    def public_dict(self) -> dict:
        """to_dict() for records people can see: the data file by name only, never its server path
        (an upload's folder would name the uploader's session)."""
        values = self.to_dict()
        values["csv"] = Path(self.csv).name if self.csv else ""
        return values

    @classmethod
    def from_dict(cls, data: dict) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
