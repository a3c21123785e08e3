"""Dynamic batching: one worker thread owns the model, and callers share its forward passes.

Concurrent callers put their item on a bounded queue and wait; the worker takes what is queued (up
to `max_batch`, after waiting at most `max_wait_ms` for more), runs the batch function once, and
hands each caller its own result. While one batch runs, the next one queues, so batches grow with
the load instead of requests fighting over the cores (as Hugging Face TEI and Triton do).

On a CPU a forward pass costs about the same per question whatever the batch (`policy-qa bench
api`), so more than one worker (`workers`) may run batches at once, each on its own core, sharing
one model: onnxruntime runs one session from several threads.

A caller may wait in a thread (`submit`) or in an event loop (`enqueue`, then `await pending.wait()`):
the service's async routes wait without taking a thread, and do other work while the pass runs.

Nothing waits without limit: a full queue refuses at once and a caller gives up at its deadline
(counted from when its item was queued), both with `Overloaded`, which the service answers with 503
and Retry-After.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")


class Overloaded(RuntimeError):
    """More work than the service can take now: the caller should retry after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class BatchingConfig:
    max_batch: int = 16  # items in one forward pass
    max_wait_ms: float = 0.0  # how long a batch that is not full waits for more items
    max_queue: int = 32  # items waiting for the worker; one more is refused at once
    timeout: float = 5.0  # seconds a caller waits for its result before giving up
    retry_after: int = 1  # seconds, told to refused callers
    workers: int = 1  # threads that take batches from the queue and run them at once

    def __post_init__(self) -> None:
        if self.max_batch < 1 or self.max_queue < 1 or self.max_wait_ms < 0 or self.timeout <= 0 or self.workers < 1:
            raise ValueError(f"invalid batching settings: {self}")


class Pending(Generic[Item, Result]):
    """An item on the queue until a worker has run it: its result, waited for in a thread (`result`) or
    in an event loop (`wait`). A caller that gives up (deadline, cancelled request) marks it abandoned,
    and the worker skips it."""

    def __init__(self, item: Item, timeout: float, retry_after: int) -> None:
        self.item = item
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout  # past it the caller gives up
        self.retry_after = retry_after
        self.abandoned = False
        self._done = threading.Event()
        self._lock = threading.Lock()  # orders `finish` against an event loop registering to be woken
        self._wake: list[Callable[[], None]] = []
        self._result: Result | None = None
        self._error: BaseException | None = None

    def finish(self, result: Result | None, error: BaseException | None) -> None:
        """Called by the worker, once."""
        self._result, self._error = result, error
        with self._lock:
            self._done.set()
            wake, self._wake = self._wake, []
        for call in wake:
            call()

    def result(self) -> Result:
        """Block this thread until the result is in, or raise `Overloaded` at the deadline."""
        if not self._done.wait(max(0.0, self.deadline - time.monotonic())):
            self._give_up()
        return self._outcome()

    async def wait(self) -> Result:
        """The same, awaited: the event loop is woken when the worker finishes, no thread waits."""
        if not self._done.is_set():
            loop = asyncio.get_running_loop()
            woken: asyncio.Future[None] = loop.create_future()

            def wake() -> None:
                try:
                    loop.call_soon_threadsafe(_resolve, woken)
                except RuntimeError:  # the loop is closed: nobody is waiting any more
                    pass

            with self._lock:
                if not self._done.is_set():
                    self._wake.append(wake)
            if self._done.is_set():
                _resolve(woken)
            try:
                await asyncio.wait_for(woken, max(0.0, self.deadline - time.monotonic()))
            except TimeoutError:
                self._give_up()
            except asyncio.CancelledError:  # the request was cancelled (its deadline passed): skip the item
                self.abandoned = True
                raise
        return self._outcome()

    def _give_up(self) -> None:
        self.abandoned = True
        raise Overloaded(f"not served within {self.timeout:g} s; retry shortly", self.retry_after)

    def _outcome(self) -> Result:
        if self._error is not None:
            raise self._error
        return self._result  # type: ignore[return-value]


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class DynamicBatcher(Generic[Item, Result]):
    def __init__(self, run_batch: Callable[[list[Item]], Sequence[Result]], config: BatchingConfig = BatchingConfig(),
                 on_start: Callable[[], None] | None = None, name: str = "batcher") -> None:
        self.run_batch = run_batch
        self.config = config
        self._on_start = on_start
        self._queue: deque[Pending[Item, Result]] = deque()
        self._changed = threading.Condition()
        self._closed = False
        self.batches = 0  # forward passes run, and the items they held: the mean batch size is their ratio
        self.items = 0
        self._start_errors: list[BaseException] = []
        self._threads: list[threading.Thread] = []
        # Callers' deadlines should not include loading the model: wait here for the workers to be ready,
        # one after the other (the first loads the model; the others find it loaded).
        for i in range(config.workers):
            started = threading.Event()
            self._threads.append(threading.Thread(target=self._work, args=(started,), name=f"{name}-{i}", daemon=True))
            self._threads[-1].start()
            started.wait()
            if self._start_errors:
                self.close()
                raise self._start_errors[0]

    def submit(self, item: Item) -> Result:
        """The result for `item`, computed in a batch with whatever else is queued."""
        return self.enqueue(item).result()

    def enqueue(self, item: Item) -> Pending[Item, Result]:
        """Queue `item` and return at once; raises `Overloaded` when the queue is full."""
        pending: Pending[Item, Result] = Pending(item, self.config.timeout, self.config.retry_after)
        with self._changed:
            if self._closed:
                raise RuntimeError("the batcher is closed")
            if len(self._queue) >= self.config.max_queue:
                raise Overloaded(f"{len(self._queue)} requests are already waiting for the encoder; retry shortly",
                                 self.config.retry_after)
            self._queue.append(pending)
            self._changed.notify_all()
        return pending

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        for thread in self._threads:
            thread.join(self.config.timeout)

    def _next_batch(self) -> list[Pending[Item, Result]] | None:
        with self._changed:
            while not self._queue and not self._closed:
                self._changed.wait()
            if self._closed:
                return None
            give_up = time.monotonic() + self.config.max_wait_ms / 1000
            while len(self._queue) < self.config.max_batch and (left := give_up - time.monotonic()) > 0:
                self._changed.wait(left)
            # A worker takes its share of what is queued: with the cost per item about constant, one worker
            # running all of it while another idles would only make the last callers wait longer.
            share = -(-len(self._queue) // self.config.workers)
            count = min(share, self.config.max_batch)
            return [self._queue.popleft() for _ in range(count)]

    def _work(self, started: threading.Event) -> None:
        try:
            if self._on_start:
                self._on_start()
        except BaseException as error:  # told to the constructor, which raises it
            self._start_errors.append(error)
            return
        finally:
            started.set()
        while (batch := self._next_batch()) is not None:
            batch = [job for job in batch if not job.abandoned]
            if not batch:
                continue
            outcomes: list[tuple[Result | None, BaseException | None]]
            try:
                results = self.run_batch([job.item for job in batch])
                outcomes = [(result, None) for result in results]
                if len(outcomes) != len(batch):
                    raise ValueError(f"a batch of {len(batch)} gave {len(outcomes)} results")
            except Exception as error:  # every caller of the batch hears of it; the worker lives on
                log.exception("a batch of %d failed", len(batch))
                outcomes = [(None, error)] * len(batch)
            with self._changed:
                self.batches += 1
                self.items += len(batch)
            for job, (result, error) in zip(batch, outcomes):
                job.finish(result, error)
        with self._changed:  # closed: nobody is left waiting
            for job in self._queue:
                job.finish(None, RuntimeError("the batcher was closed"))
            self._queue.clear()
