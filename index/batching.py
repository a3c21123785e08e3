"""Dynamic batching: one worker thread owns the model, and callers share its forward passes.

Concurrent callers put their item on a bounded queue and wait; the worker takes what is queued (up
to `max_batch`, after waiting at most `max_wait_ms` for more), runs the batch function once, and
hands each caller its own result. While one batch runs, the next one queues, so batches grow with
the load instead of requests fighting over the cores (as Hugging Face TEI and Triton do).

On a CPU a forward pass costs about the same per question whatever the batch (`policy-qa bench
api`), so more than one worker (`workers`) may run batches at once, each on its own core, sharing
one model: onnxruntime runs one session from several threads.

Nothing waits without limit: a full queue refuses at once and a caller gives up at its deadline,
both with `Overloaded`, which the service answers with 503 and Retry-After.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
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


@dataclass
class _Job(Generic[Item, Result]):
    item: Item
    done: threading.Event = field(default_factory=threading.Event)
    result: Result | None = None
    error: BaseException | None = None
    abandoned: bool = False  # the caller gave up: the worker skips it


class DynamicBatcher(Generic[Item, Result]):
    def __init__(self, run_batch: Callable[[list[Item]], Sequence[Result]], config: BatchingConfig = BatchingConfig(),
                 on_start: Callable[[], None] | None = None, name: str = "batcher") -> None:
        self.run_batch = run_batch
        self.config = config
        self._on_start = on_start
        self._queue: deque[_Job[Item, Result]] = deque()
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
        job: _Job[Item, Result] = _Job(item)
        with self._changed:
            if self._closed:
                raise RuntimeError("the batcher is closed")
            if len(self._queue) >= self.config.max_queue:
                raise Overloaded(f"{len(self._queue)} requests are already waiting for the encoder; retry shortly",
                                 self.config.retry_after)
            self._queue.append(job)
            self._changed.notify_all()
        if not job.done.wait(self.config.timeout):
            job.abandoned = True
            raise Overloaded(f"not served within {self.config.timeout:g} s; retry shortly", self.config.retry_after)
        if job.error is not None:
            raise job.error
        return job.result  # type: ignore[return-value]

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        for thread in self._threads:
            thread.join(self.config.timeout)

    def _next_batch(self) -> list[_Job[Item, Result]] | None:
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
            try:
                results = self.run_batch([job.item for job in batch])
                for job, result in zip(batch, results, strict=True):
                    job.result = result
            except Exception as error:  # every caller of the batch hears of it; the worker lives on
                log.exception("a batch of %d failed", len(batch))
                for job in batch:
                    job.error = error
            with self._changed:
                self.batches += 1
                self.items += len(batch)
            for job in batch:
                job.done.set()
        with self._changed:  # closed: nobody is left waiting
            for job in self._queue:
                job.error = RuntimeError("the batcher was closed")
                job.done.set()
            self._queue.clear()
