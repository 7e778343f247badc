"""A run's log (log.txt) in words: the file keeps the machine lines that every job writes
("step=17, epoch=1.417, loss=2.31", "status: stopped"); the Train and Logs tabs show each one in
the reader's language ("ステップ 17 · エポック 1.42 · 訓練損失 2.31", "状態: 停止"). Lines of
no known form are shown as they are; the download keeps the file itself.
"""
import re

from engine.core.messages import field_label, text
from engine.core.runs import label

STAMP = re.compile(r"^\[(\d\d:\d\d:\d\d)\] (.*)$")
FIELDS = re.compile(r"([a-z_]+)=([^,]*)(?:, |$)")
# Left out of a line: the status line says the times better, and throughput figures are for the download.
HIDDEN = {"elapsed", "eta", "max_steps", "time", "eval_runtime", "eval_samples_per_second", "eval_steps_per_second",
          "train_samples_per_second", "train_steps_per_second", "total_flos"}
# (pattern of a whole line, its message key): the fixed-form lines that engine jobs write.
FORMS = (
    (re.compile(r"start (?P<kind>\w+) ?(?P<name>.*)"), "logs.line_start"),
    (re.compile(r"status: (?P<status>\w+)(?: \((?P<error>.*)\))?"), "logs.line_status"),
    (re.compile(r"warning: (?P<message>.*)"), "logs.line_warning"),
    (re.compile(r"resume"), "logs.line_resume"),
    (re.compile(r"corpus: (?P<sentences>\d+) sentences, (?P<tokens>\d+) tokens"), "logs.line_corpus"),
    (re.compile(r"epoch (?P<epoch>\d+)/(?P<epochs>\d+)"), "logs.line_epoch"),
    (re.compile(r"generated (?P<rows>\d+) rows in (?P<seconds>[\d.]+)s"), "logs.line_generated"),
    (re.compile(r"distractors for (?P<rows>\d+) rows \((?P<complete>\d+) with (?P<n>\d+)\) in (?P<seconds>[\d.]+)s"),
     "logs.line_distractors"),
)
EVALUATED = re.compile(r"evaluated (?P<rows>\d+) rows: (?P<fields>.*)")


def readable_log(raw: str) -> str:
    """Every line of a log in the reader's language, its time first."""
    return "\n".join(readable_line(line) for line in (raw or "").splitlines())


def readable_line(line: str) -> str:
    found = STAMP.match(line)
    stamp, body = found.groups() if found else ("", line)
    return f"{stamp}  {_body(body)}" if stamp else _body(body)


def _body(body: str) -> str:
    if body.startswith("event=begin"):  # the trainer's first record, before step 1
        return text("logs.line_begin")
    if body.startswith("step="):
        return _fields(body)
    evaluated = EVALUATED.fullmatch(body)
    if evaluated:
        return text("logs.line_evaluated", rows=evaluated["rows"]) + " · " + _fields(evaluated["fields"])
    for pattern, key in FORMS:
        found = pattern.fullmatch(body)
        if found:
            params = _shown(found.groupdict(default=""))
            return text(key + ("_error" if params.get("error") else ""), **params)
    return body


def _shown(params: dict) -> dict:
    """Kinds and statuses as words."""
    if "kind" in params:
        params["kind"] = label(params["kind"])
    if "status" in params:
        params["status"] = label(params["status"])
    return params


def _fields(line: str) -> str:
    """"step=17, epoch=1.417, loss=2.31" -> "ステップ 17 · エポック 1.42 · 訓練損失 2.31"."""
    shown = []
    for key, value in FIELDS.findall(line):
        if key not in HIDDEN:
            shown.append(f"{field_label(key)} {_number(key, value)}")
    return " · ".join(shown)


def _number(key: str, value: str) -> str:
    try:
        number = float(value)
    except ValueError:
        return value
    if key == "epoch":
        return f"{number:.2f}"
    return f"{number:.3g}" if abs(number) < 0.01 and number else f"{number:.4g}"
