"""The Train tab's status line, live curve, log lines and result, drawn from a job's progress."""
from engine.core.messages import text
from engine.logs.lines import readable_log
from engine.logs.view import loss_figure
from engine.train.data import overfitting_warning
from tabs.common import escape


def _clock(seconds) -> str:
    if seconds is None:
        return "—"
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _num(value, fmt="{:.4f}") -> str:
    return "—" if value is None else fmt.format(value)


def render_status(info: dict) -> str:
    total = info.get("max_steps") or 0
    share = min(1.0, info["step"] / total) if total else 0.0
    if info["status"] in ("finished", "stopped"):
        share = share if info["status"] == "stopped" else 1.0
    label = text(f"train.status_{info['status']}")
    if info["status"] in ("queued", "cancelled"):  # waiting in line (its place and when it should start), or left it
        details = (text("train_ui.queued", place=info["place"], starts=_clock(info.get("starts_in")))
                   if info["status"] == "queued" else text("train_ui.left_queue"))
        return (f"<div class='t5s-progress'><b>{escape(info['name'])}</b> — {escape(label)}"
                f"<div><span>{escape(details)}</span></div></div>")
    details = text("train_ui.details", step=info["step"], total=total or "?", epoch=_num(info.get("epoch"), "{:.2f}"),
                   loss=_num(info.get("loss")), eval_loss=_num(info.get("eval_loss")),
                   lr=_num(info.get("learning_rate"), "{:.2e}"), elapsed=_clock(info.get("elapsed")),
                   eta=_clock(info.get("eta") if info["status"] == "running" else None))  # no ETA once it ended
    error = f"<div class='t5s-error' style='color:#b91c1c'>{escape(info['error'])}</div>" if info.get("error") else ""
    rising = overfitting_note(info.get("curve")) if info["status"] != "running" else ""
    error += f"<div class='t5s-note' style='color:#92400e'>{escape(rising)}</div>" if rising else ""
    saved = saved_note(info.get("outcome"))
    error += f"<div class='t5s-saved'>{escape(saved)}</div>" if saved else ""
    return (
        f"<div class='t5s-progress'><b>{escape(info['name'])}</b> — {escape(label)} ({share * 100:.0f}%)"
        f"<div style='background:#e5e7eb;border-radius:6px;height:14px;margin:6px 0'>"
        f"<div role='progressbar' aria-valuenow='{share * 100:.0f}' aria-valuemin='0' aria-valuemax='100' "
        f"style='background:#f97316;height:14px;border-radius:6px;width:{share * 100:.1f}%'></div></div>"
        f"<span>{escape(details)}</span>{error}</div>"
    )


LOG_LINES = 12  # the newest log lines shown; the Logs tab has the whole log


def log_lines(raw: str) -> str:
    """The newest lines of the run's log, in words (engine.logs.lines)."""
    return readable_log("\n".join(raw.splitlines()[-LOG_LINES:]))


def live_figure(info: dict):
    """The loss curve so far as a figure (train and validation loss, learning rate), or None."""
    curve = info.get("curve")
    return None if curve is None or curve.empty else loss_figure(curve, title=text("train.loss_plot"))


def overfitting_note(curve) -> str:
    """The engine's overfitting warning for a curve table (its eval_loss column), else ''."""
    if curve is None or "eval_loss" not in getattr(curve, "columns", ()):
        return ""
    return overfitting_warning(list(curve["eval_loss"].dropna()))


def saved_note(outcome) -> str:
    """One sentence on where the model went, once a run has saved one."""
    if not outcome or outcome.get("status") not in ("finished", "stopped"):
        return ""
    return text("train_ui.saved", name=outcome["name"], try_tab=text("app.tab_try"), evaluate_tab=text("app.tab_evaluate"))


def render_status_text(message: str) -> str:
    return f"<div class='t5s-progress'>{escape(message)}</div>"


def result_view(outcome):
    """The outcome without its server path: clients would take it for a file to download, and on a
    Space it would show the data home. The model's name is how every tab finds it."""
    if not outcome:
        return None
    return {k: v for k, v in outcome.items() if k != "path"}
