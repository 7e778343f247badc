"""Hyperparameter search: a grid or random search over a small table of values (learning rate,
batch size, epochs, size), each combination one training recorded as its own run, the best chosen
by validation loss or by an Evaluate metric (chrF, exact match, …) on a held-out CSV. Optuna's GridSampler orders the combinations; the trainings are the ordinary
engine.train ones: one after another from the CLI, in the app's queue from the Train tab.

    python -m engine.train.search --csv FILE --name quiz --grid learning_rate=1e-4,3e-4 --grid batch_size=8,16
    python -m engine.train.search ... --random 6        # 6 of the combinations, drawn without repeats
    python -m engine.train.search ... --held-out test.csv --rank-by chrf   # ranked on held-out rows

Random search draws from the same table: optuna's GridSampler visits the combinations in a seeded
random order without repeating one, so "--random 6" is the first 6 of that order. Trial k is stored
as model "<name>-<k>"; every name is checked before the first training starts. The last line printed
is one JSON object, as with every CLI here.
"""
import json
import math
import sys
from dataclasses import dataclass, field, replace

from engine.core.messages import StudioError, field_label, finite_number, text
from engine.evaluate.metrics import METRICS, direction
from engine.models.store import check_new_name
from engine.train.config import TrainConfig
from engine.train.training import train

SPACE = {"learning_rate": float, "batch_size": int, "epochs": float, "size": str}  # what may vary
MAX_TRIALS = 16  # a class's CPU Space: more trainings in one search would run for hours
MAX_VALUES = 8  # per setting
RANK_BY = ("eval_loss", *METRICS)  # validation loss, or a metric of the held-out rows
MAX_HELD_OUT_ROWS = 500  # each trial's model translates every held-out row once


@dataclass
class SearchResult:
    trials: list = field(default_factory=list)  # {"trial", "name", "run_id", "status", <values>, "eval_loss"[, rank_by]}
    best: dict = None  # the trial with the best value of rank_by
    rank_by: str = "eval_loss"

    def to_dict(self) -> dict:
        return {"rank_by": self.rank_by, "trials": self.trials, "best": self.best}


@dataclass
class Judge:
    """What ranks the trials: their validation loss, or a metric of engine.evaluate over held-out
    rows (a DataFrame of Input, Output) that each trial's model translates once it has trained."""
    rank_by: str = "eval_loss"
    held_out: object = None

    def __post_init__(self):
        if self.rank_by not in RANK_BY:
            raise StudioError("search.bad_rank_by", metric=self.rank_by, allowed=", ".join(RANK_BY))
        if self.rank_by != "eval_loss" and self.held_out is None:
            raise StudioError("search.held_out_needed", metric=field_label(self.rank_by))
        if self.rank_by == "eval_loss" and self.held_out is not None:
            raise StudioError("search.held_out_unused")

    def check_fits(self, trials: int) -> None:
        """Refuse, before anything trains, held-out rows too many for this server's generation budget
        (public mode: engine.generate.turns) once every trial's model has translated them."""
        if self.held_out is not None:
            from engine.generate import turns
            from engine.generate.settings import GenerationSettings

            turns.check_fits(len(self.held_out) * trials, GenerationSettings())

    def lower_is_better(self) -> bool:
        return self.rank_by == "eval_loss" or direction(self.rank_by) == "lower"

    def score(self, model: str, status: str, owner: str = "", allow_paths: bool = True):
        """The held-out metric of a trained trial's model (an Evaluate run of its own, in the Logs);
        None when ranking by validation loss or when the trial saved no model."""
        if self.held_out is None or status not in ("finished", "stopped"):
            return None
        from engine.evaluate.evaluation import evaluate_model

        metrics = evaluate_model(model, self.held_out, owner=owner, allow_paths=allow_paths).metrics
        return metrics.get(self.rank_by)


def held_out_rows(path):
    """The rows of a held-out CSV (Input and Output columns), checked like the Evaluate tab's."""
    from engine.core import csvdata

    frame, _ = csvdata.load_pairs(path)
    if len(frame) > MAX_HELD_OUT_ROWS:
        raise StudioError("search.held_out_too_long", rows=len(frame), limit=MAX_HELD_OUT_ROWS)
    return frame


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


def points(grid: dict, random_trials: int = 0, seed: int = 42) -> list:
    """The combinations a search trains, in the order it trains them: asked of optuna's GridSampler
    (every point once, in a seeded random order), all of them or the first `random_trials`."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.GridSampler(grid, seed=seed))
    space = {key: optuna.distributions.CategoricalDistribution(values) for key, values in grid.items()}
    return [study.ask(space).params for _ in range(plan(grid, random_trials))]


def configs(base: TrainConfig, grid: dict, random_trials: int = 0) -> list:
    """One TrainConfig per point, named "<name>-<k>", every one checked before anything trains
    (a clash found at the third training would waste the first two)."""
    found = [replace(base, name=f"{base.name}-{k}", **values)
             for k, values in enumerate(points(grid, random_trials, base.seed), start=1)]
    for config in found:
        config.check()
        check_new_name(config.name)
    return found


def search(base: TrainConfig, grid: dict, random_trials: int = 0, owner: str = "", on_trial=None,
           stop_event=None, judge: Judge = None) -> SearchResult:
    """Train the points one after another here (the CLI; the app puts them in its queue instead)
    and report them, best first. on_trial: optional callable(done, total, trial_dict) after each."""
    judge = judge or Judge()
    planned = configs(base, grid, random_trials)
    judge.check_fits(len(planned))
    result = SearchResult(rank_by=judge.rank_by)
    for number, config in enumerate(planned, start=1):
        if stop_event is not None and stop_event.is_set():
            break
        outcome = train(config, owner=owner, stop_event=stop_event)
        row = trial_row(number, config, grid, outcome.run_id, outcome.status, outcome.metrics.get("eval_loss"))
        if judge.held_out is not None:
            row[judge.rank_by] = judge.score(config.name, outcome.status, owner)
        result.trials.append(row)
        if on_trial:
            on_trial(number, len(planned), result.trials[-1])
    return rank(result, judge)


def trial_row(number: int, config: TrainConfig, grid: dict, run_id: str, status: str, eval_loss) -> dict:
    return {"trial": number, "name": config.name, "run_id": run_id, "status": status,
            **{key: getattr(config, key) for key in grid}, "eval_loss": eval_loss}


def ranked(trials: list, judge: "Judge" = None) -> list:
    """Trials best first by the judge's metric (validation loss by default); those without a value last."""
    judge = judge or Judge()
    sign = 1 if judge.lower_is_better() else -1
    return sorted(trials, key=lambda t: (t.get(judge.rank_by) is None, sign * (t.get(judge.rank_by) or 0.0)))


def rank(result: SearchResult, judge: Judge = None) -> SearchResult:
    """Order the trials (see ranked); the best is the first one that has a value."""
    judge = judge or Judge()
    result.trials = ranked(result.trials, judge)
    first = result.trials[0] if result.trials else None
    result.best = first if first is not None and first.get(judge.rank_by) is not None else None
    return result


def main(argv=None) -> int:
    from engine.train.__main__ import build_parser

    parser = build_parser(run_flags=False)
    parser.prog = "python -m engine.train.search"
    parser.description = __doc__.split("\n")[0]
    parser.add_argument("--grid", action="append", metavar="SETTING=V1,V2", help=f"values to try; settings: {', '.join(SPACE)}")
    parser.add_argument("--random", type=int, default=0, metavar="N", help="train N combinations drawn from the grid")
    parser.add_argument("--held-out", metavar="CSV", help="rows (Input, Output) each trial's model translates")
    parser.add_argument("--rank-by", default=None, choices=RANK_BY,
                        help="what chooses the best: eval_loss (default), or a metric of the held-out rows (chrf with --held-out)")
    args = parser.parse_args(argv)
    options = {k: v for k, v in vars(args).items() if k not in ("grid", "random", "held_out", "rank_by")}
    try:
        rank_by = args.rank_by or ("chrf" if args.held_out else "eval_loss")
        judge = Judge(rank_by, held_out_rows(args.held_out) if args.held_out else None)
        result = search(TrainConfig.from_dict(options), parse_grid(args.grid), args.random, judge=judge,
                        on_trial=lambda done, total, trial: print(f"trial {done}/{total}: {trial}", flush=True))
    except StudioError as exc:
        print(exc.message(), file=sys.stderr)
        print(json.dumps({"ok": False, "error": exc.key, "message": exc.message()}, ensure_ascii=False))
        return 1
    for trial in result.trials:
        print(f"{trial['name']}\t{trial.get(result.rank_by)}\t{trial['status']}", file=sys.stderr)
    print(json.dumps({"ok": True, **result.to_dict()}, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
