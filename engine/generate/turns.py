"""Fair turns on the processor every visitor shares, with a work and a time budget per request.

All generation (Try, Evaluate, distractors) runs on the same cores. A request is cut into turns,
each one model call on a few rows, and the turns of all requests are served in the order they
were asked for. A request that arrives while another runs goes before that one's next turn, so a
one-word try waits for at most one turn of somebody's thousand-row batch, not for the batch.

A request also has a budget, lower in public mode: its work (rows x sequences x new tokens, checked
before it starts) and its compute time (checked at every turn). Its owner can cancel it; it then
ends at the start of its next turn.
"""
import contextvars
import threading
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass

from engine.core.messages import StudioError
from engine.core.paths import public_mode


@dataclass(frozen=True)
class Limits:
    work: int  # rows x sequences x new tokens in one request
    row_work: int  # sequences x new tokens for one row: the smallest turn
    new_tokens: int  # a long output costs more than its share of work (attention grows with it)
    seconds: float  # compute time of one request (time spent waiting for turns is not counted)


# Local mode keeps what one person may reasonably ask of their own machine. Public mode keeps the
# longest request near two minutes and the longest turn to a few seconds: for a 44M-parameter
# scratch T5 that never stops early, on two CPU cores, one row of 64 beams x 64 tokens took 2.5 s,
# 64 x 128 took 6.8 s and 8 x 512 took 19 s (length costs more than beams).
LOCAL = Limits(work=100_000_000, row_work=64 * 512, new_tokens=512, seconds=3600)
PUBLIC = Limits(work=400_000, row_work=4096, new_tokens=128, seconds=120)
TURN_WORK = 4096  # rows are grouped into turns of about this much work


def limits() -> Limits:
    return PUBLIC if public_mode() else LOCAL


def sequences_per_row(settings) -> int:
    """How many sequences a model decodes side by side for one input under `settings`."""
    if settings.method == "sampling":
        return settings.samples()
    if settings.method in ("beam", "diverse_beam"):
        return max(settings.num_beams, settings.num_outputs)
    return 1


def row_work(settings) -> int:
    return sequences_per_row(settings) * settings.max_new_tokens


def rows_per_turn(settings, batch_size: int) -> int:
    return max(1, min(batch_size, TURN_WORK // row_work(settings)))


class Request:
    """One visitor's request: its budget, its spending so far and its cancel switch."""

    def __init__(self, owner: str = "", budget: Limits = None):
        self.owner = owner
        self.budget = budget or limits()
        self.work = 0
        self.seconds = 0.0
        self.cancelled = threading.Event()
        self.rng = None  # torch's random state between turns (other requests' turns use it too)
        self.seed = None  # a seed to start from at the next turn, instead of self.rng

    def fits(self, rows: int, settings) -> None:
        """Raise StudioError, saying what to reduce, unless `rows` inputs under `settings` fit the budget left."""
        per_row = row_work(settings)
        if settings.max_new_tokens > self.budget.new_tokens:
            raise StudioError("turns.too_many_tokens", tokens=settings.max_new_tokens, limit=self.budget.new_tokens)
        if per_row > self.budget.row_work:
            raise StudioError("turns.row_too_big", sequences=sequences_per_row(settings),
                              tokens=settings.max_new_tokens, work=per_row, limit=self.budget.row_work)
        if self.work + rows * per_row > self.budget.work:
            raise StudioError("turns.too_much_work", rows=rows, sequences=sequences_per_row(settings),
                              tokens=settings.max_new_tokens, work=self.work + rows * per_row, limit=self.budget.work)

    def charge(self, rows: int, settings) -> None:
        self.fits(rows, settings)
        self.work += rows * row_work(settings)

    def seconds_left(self) -> float:
        return max(0.0, self.budget.seconds - self.seconds)

    def check(self) -> None:
        if self.cancelled.is_set():
            raise StudioError("turns.cancelled")
        if self.seconds >= self.budget.seconds:
            raise StudioError("turns.time_limit", seconds=f"{self.budget.seconds:g}")


_CURRENT = contextvars.ContextVar("t5studio_request", default=None)
_ACTIVE = {}  # owner -> their running Request, so that the owner can cancel it
_ACTIVE_LOCK = threading.Lock()


@contextmanager
def request(owner: str = "", budget: Limits = None):
    """Run the body as `owner`'s request. In public mode an owner has one request at a time."""
    req = Request(owner, budget)
    with _ACTIVE_LOCK:
        if owner and owner in _ACTIVE and public_mode():
            raise StudioError("turns.already_running")
        if owner:
            _ACTIVE[owner] = req
    token = _CURRENT.set(req)
    try:
        yield req
    finally:
        _CURRENT.reset(token)
        with _ACTIVE_LOCK:
            if owner and _ACTIVE.get(owner) is req:
                del _ACTIVE[owner]


def current() -> Request:
    """The request this thread works for, or None outside one."""
    return _CURRENT.get()


@contextmanager
def ensure():
    """The current request, or (the CLI, a test, a script) a new ownerless one for the body."""
    req = current()
    if req is not None:
        yield req
        return
    with request() as req:
        yield req


def check_fits(rows: int, settings) -> None:
    """Refuse a request too big for the budget before any of it runs (a run record, a model load)."""
    (current() or Request()).fits(rows, settings)


def cancel(owner: str) -> bool:
    """Ask `owner`'s running request to end at its next turn; False when they have none."""
    with _ACTIVE_LOCK:
        req = _ACTIVE.get(owner) if owner else None
    if req is None:
        return False
    req.cancelled.set()
    return True


class FairLock:
    """A lock handed out strictly in the order it was asked for (threading.Lock promises no order)."""

    def __init__(self):
        self._cond = threading.Condition()
        self._waiting = deque()
        self._busy = False

    def acquire(self, req: Request) -> None:
        ticket = object()
        with self._cond:
            self._waiting.append(ticket)
            try:
                while self._busy or self._waiting[0] is not ticket:
                    self._cond.wait(timeout=0.5)
                    req.check()  # a cancelled request leaves the line at once
            except BaseException:
                self._waiting.remove(ticket)
                self._cond.notify_all()
                raise
            self._waiting.popleft()
            self._busy = True

    def release(self) -> None:
        with self._cond:
            self._busy = False
            self._cond.notify_all()


_LOCK = FairLock()


@contextmanager
def turn():
    """One turn of the current request on the shared processor.

    torch's random state is global, so each request's own state is put back for its turns: a
    seeded sampling gives the same outputs however other requests' turns fall between its own."""
    import torch

    req = current() or Request()
    req.check()
    _LOCK.acquire(req)
    started = time.monotonic()
    try:
        if req.seed is not None:
            torch.manual_seed(req.seed)  # the CPU and every GPU generator
            req.seed = None
        elif req.rng is not None:
            _set_rng(torch, req.rng)
        yield req
        req.rng = _get_rng(torch)
    finally:
        req.seconds += time.monotonic() - started
        _LOCK.release()


def seed(value: int) -> None:
    """Start the current request's random state from `value` at its next turn."""
    current().seed = value


def _get_rng(torch):
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
    return torch.get_rng_state(), cuda


def _set_rng(torch, state) -> None:
    cpu, cuda = state
    torch.set_rng_state(cpu)
    if cuda is not None:
        torch.cuda.set_rng_state_all(cuda)
