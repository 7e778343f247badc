"""Hyperparameter search: a grid or random search over a small table of values (learning rate,
batch size, epochs, size), each combination one training recorded as its own run, the best chosen
by validation loss. Optuna samples the combinations (GridSampler / RandomSampler); the trainings are
the ordinary engine.train ones, one after another.

    python -m engine.train.search --csv FILE --name quiz --grid learning_rate=1e-4,3e-4 --grid batch_size=8,16
    python -m engine.train.search ... --random 6        # 6 of the combinations, drawn without repeats

Random search draws from the same table: optuna's GridSampler visits the combinations in a seeded
random order without repeating one, so "--random 6" is the first 6 of that order. Trial k is stored
as model "<name>-<k>"; every name is checked before the first training starts. The last line printed
is one JSON object, as with every CLI here.
"""
import json
import sys
import math
from dataclasses import dataclass, field, replace

from engine.core.messages import StudioError, finite_number, text
from engine.models.store import check_new_name
from engine.train.config import TrainConfig
from engine.train.training import train

SPACE = {"learning_rate": float, "batch_size": int, "epochs": float, "size": str}  # what may vary
MAX_TRIALS = 16  # a class's CPU Space: more trainings in one search would run for hours
MAX_VALUES = 8  # per setting


@dataclass
class SearchResult:
    trials: list = field(default_factory=list)  # {"trial", "name", "run_id", "status", <values>, "eval_loss"}
    best: dict = None  # the trial with the lowest validation loss

    def to_dict(self) -> dict:
        return {"trials": self.trials, "best": self.best}


def parse_grid(specs: list) -> dict:
    """["learning_rate=1e-4,3e-4", "batch_size=8,16"] -> {"learning_rate": [0.0001, 0.0003], ...}."""
    grid = {}
    for spec in specs or []:
        key, _, values = str(spec).partition("=")
        key = key.strip().replace("-", "_")
        if key not in SPACE:
            raise StudioError("search.bad_setting", setting=key, allowed=", ".join(SPACE))
        parsed = [_value(key, v.strip()) for v in values.split(",") if v.strip()]
        if not parsed or len(parsed) > MAX_VALUES:
            raise StudioError("search.bad_values", setting=key, limit=MAX_VALUES)
        grid[key] = list(dict.fromkeys(parsed))
    if not grid:
        raise StudioError("search.empty")
    return grid


def _value(key: str, raw: str):
    if SPACE[key] is str:
        return raw
    return finite_number(raw, text(f"train.{key}"), whole=SPACE[key] is int)


def plan(grid: dict, random_trials: int = 0) -> int:
    """How many trainings the search runs: every combination, or the random draws asked for."""
    combinations = math.prod(len(v) for v in grid.values())
    count = min(random_trials, combinations) if random_trials else combinations
    if count > MAX_TRIALS:
        raise StudioError("search.too_many", count=count, limit=MAX_TRIALS)
    return count


def search(base: TrainConfig, grid: dict, random_trials: int = 0, owner: str = "", on_trial=None,
           stop_event=None) -> SearchResult:
    """Train every combination (or `random_trials` drawn ones) and report them, best first.

    on_trial: optional callable(done, total, trial_dict) after each training."""
    import optuna

    count = plan(grid, random_trials)
    names = [f"{base.name}-{k}" for k in range(1, count + 1)]
    for name in names:
        check_new_name(name)  # before the first training: a clash found at trial 3 would waste two
    replace(base, name=names[0], **{key: values[0] for key, values in grid.items()}).check()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.GridSampler(grid, seed=base.seed))
    result = SearchResult()

    def objective(trial):
        values = {key: trial.suggest_categorical(key, choices) for key, choices in grid.items()}
        outcome = train(replace(base, name=names[trial.number], **values), owner=owner, stop_event=stop_event)
        loss = outcome.metrics.get("eval_loss")
        result.trials.append({"trial": trial.number + 1, "name": outcome.name, "run_id": outcome.run_id,
                              "status": outcome.status, **values, "eval_loss": loss})
        if on_trial:
            on_trial(len(result.trials), count, result.trials[-1])
        if stop_event is not None and stop_event.is_set():
            study.stop()
        return loss if loss is not None else math.inf

    study.optimize(objective, n_trials=count)
    result.trials.sort(key=lambda t: math.inf if t["eval_loss"] is None else t["eval_loss"])
    result.best = result.trials[0] if result.trials and result.trials[0]["eval_loss"] is not None else None
    return result


def main(argv=None) -> int:
    from engine.train.__main__ import build_parser

    parser = build_parser(run_flags=False)
    parser.prog = "python -m engine.train.search"
    parser.description = __doc__.split("\n")[0]
    parser.add_argument("--grid", action="append", metavar="SETTING=V1,V2", help=f"values to try; settings: {', '.join(SPACE)}")
    parser.add_argument("--random", type=int, default=0, metavar="N", help="train N combinations drawn from the grid")
    args = parser.parse_args(argv)
    options = {k: v for k, v in vars(args).items() if k not in ("grid", "random")}
    try:
        result = search(TrainConfig.from_dict(options), parse_grid(args.grid), args.random,
                        on_trial=lambda done, total, trial: print(f"trial {done}/{total}: {trial}", flush=True))
    except StudioError as exc:
        print(exc.message(), file=sys.stderr)
        print(json.dumps({"ok": False, "error": exc.key, "message": exc.message()}, ensure_ascii=False))
        return 1
    for trial in result.trials:
        print(f"{trial['name']}\t{trial['eval_loss']}\t{trial['status']}", file=sys.stderr)
    print(json.dumps({"ok": True, **result.to_dict()}, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
