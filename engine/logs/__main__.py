"""Command line for the run history. The last line printed is one JSON object.

    python -m engine.logs [--kind train] [--status failed]   # lists runs
    python -m engine.logs --run ID --plot curve.png          # one run, and its curve
    python -m engine.logs --compare ID ID [...] --plot c.png # runs side by side: settings that differ
"""
import argparse
import json
import sys
from pathlib import Path

from engine.core import runs
from engine.core.messages import StudioError
from engine.logs.compare import compare_runs, comparison_figure
from engine.logs.view import list_records, loss_figure, run_details


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="List the run history, or show one run.")
    parser.add_argument("--kind", choices=("all",) + runs.KINDS, default="all")
    parser.add_argument("--status", choices=("all",) + runs.STATUSES, default="all")
    parser.add_argument("--run", help="one run id: print its record, and with --plot save its curve")
    parser.add_argument("--compare", nargs="+", metavar="ID", help="two or more run ids to compare")
    parser.add_argument("--plot", type=Path, help="PNG path for the loss curve of --run or --compare")
    args = parser.parse_args(argv)
    try:
        result = _cli_result(args)
    except StudioError as exc:  # one Japanese line and a non-zero exit, never a traceback
        print(exc.message(), file=sys.stderr)
        print(json.dumps({"ok": False, "error": exc.key, "message": exc.message()}, ensure_ascii=False))
        return 1
    print(json.dumps(result, ensure_ascii=False, default=str))
    return 0


def _cli_result(args) -> dict:
    if args.compare:
        return _comparison(args.compare, args.plot)
    if args.run:
        details = run_details(args.run)
        result = {"run": details["record"], "curve_points": len(details["curve"])}
        if args.plot:
            figure = loss_figure(details["curve"], title=details["record"].get("name", ""))
            if figure is not None:
                figure.savefig(args.plot)
                result["plot"] = str(args.plot)
    else:
        records = list_records(args.kind, args.status)
        result = {"runs": [{k: r.get(k) for k in ("id", "kind", "status", "name", "started", "ended")} for r in records]}
    return result


def _comparison(run_ids: list, plot: Path = None) -> dict:
    found = compare_runs(run_ids)
    table = found["differences"]
    result = {"runs": [r["id"] for r in found["runs"]], "best": found["best"],
              "differences": table.to_dict(orient="records")}
    print(table.to_string(index=False) if not table.empty else "(same settings)", file=sys.stderr)
    figure = comparison_figure(found["curves"]) if plot else None
    if figure is not None:
        figure.savefig(plot)
        result["plot"] = str(plot)
    return result


if __name__ == "__main__":
    sys.exit(main())
