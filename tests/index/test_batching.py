"""The batching worker: each caller gets its own vector, the queue is bounded, nobody waits forever."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest

from eval.gold import load_gold
from index.batching import BatchingConfig, DynamicBatcher, Overloaded
from index.dense import Encoder
from index.retriever import Retriever


@pytest.fixture(scope="module")
def encoder(retriever: Retriever) -> Encoder:
    """A second encoder of the same model, batching with a long collection window so that
    concurrent callers surely share passes."""
    encoder = Encoder(retriever.encoder.config)
    encoder.start_batching(BatchingConfig(max_batch=8, max_wait_ms=300, max_queue=64, timeout=300))
    yield encoder
    encoder.stop_batching()


def _run_together(count: int, call) -> list:  # noqa: ANN001
    results: list = [None] * count
    start = threading.Barrier(count)

    def worker(i: int) -> None:
        start.wait()
        try:
            results[i] = call(i)
        except Exception as error:  # noqa: BLE001 - the test inspects what each caller got
            results[i] = error

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    return results


def test_concurrent_callers_each_get_their_own_vector(encoder: Encoder, retriever: Retriever) -> None:
    questions = list(dict.fromkeys(q.question for q in load_gold()))[:20]
    encoder.clear_query_cache()
    before = (encoder.batcher.batches, encoder.batcher.items)
    vectors = _run_together(len(questions), lambda i: encoder.embed_query(questions[i]))
    batches, items = encoder.batcher.batches - before[0], encoder.batcher.items - before[1]
    assert items == len(questions)
    assert batches < len(questions), "concurrent questions shared forward passes"
    single = [retriever.encoder.embed_queries([q])[0] for q in questions]  # one by one, no batching
    for question, got, alone in zip(questions, vectors, single):
        assert isinstance(got, np.ndarray), got
        assert float(got @ alone) >= 0.9999, question
    # and no vector went to the wrong caller: each is nearest to its own question's
    similarity = np.stack(vectors) @ np.stack(single).T
    assert (similarity.argmax(axis=1) == np.arange(len(questions))).all()


def test_cache_hits_skip_the_queue(encoder: Encoder) -> None:
    encoder.clear_query_cache()
    first = encoder.embed_query("高压用户报装时限是多少")
    items = encoder.batcher.items
    again = encoder.embed_query("高压用户报装时限是多少")
    assert encoder.batcher.items == items
    assert np.array_equal(first, again)


def test_repeated_questions_in_one_batch_are_embedded_once_and_answered_to_each(encoder: Encoder) -> None:
    vectors = encoder.embed_queries(["企业开办", "不动产登记", "企业开办"])
    assert np.array_equal(vectors[0], vectors[2]) and not np.array_equal(vectors[0], vectors[1])


class _Gate:
    """A batch function that holds the worker until released: to fill the queue on purpose."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, items: list[str]) -> list[str]:
        self.entered.set()
        self.release.wait(60)
        return [item.upper() for item in items]


@contextmanager
def _gated(config: BatchingConfig) -> Iterator[tuple[_Gate, DynamicBatcher]]:
    """A batcher whose worker the test holds and releases; released and closed whatever the test does."""
    gate = _Gate()
    batcher = DynamicBatcher(gate, config)
    try:
        yield gate, batcher
    finally:
        gate.release.set()
        batcher.close()


def test_a_full_queue_refuses_at_once_with_retry_after() -> None:
    config = BatchingConfig(max_batch=1, max_wait_ms=0, max_queue=1, timeout=60, retry_after=3)
    with _gated(config) as (gate, batcher):
        first = threading.Thread(target=batcher.submit, args=("a",))
        first.start()
        assert gate.entered.wait(30)  # the worker holds "a"
        second: list = []
        waiting = threading.Thread(target=lambda: second.append(batcher.submit("b")))
        waiting.start()
        deadline = time.monotonic() + 30
        while len(batcher._queue) < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        started = time.monotonic()
        with pytest.raises(Overloaded) as refused:
            batcher.submit("c")
        assert time.monotonic() - started < 1.0  # refused, not queued
        assert refused.value.retry_after == 3
        gate.release.set()
        first.join(30)
        waiting.join(30)
        assert second == ["B"]


def test_a_caller_gives_up_at_its_deadline_and_the_worker_skips_it() -> None:
    with _gated(BatchingConfig(max_batch=4, max_wait_ms=0, max_queue=4, timeout=0.3)) as (gate, batcher):
        held: list = []
        holder = threading.Thread(target=lambda: held.append(pytest.raises(Overloaded, batcher.submit, "held")))
        holder.start()
        assert gate.entered.wait(30)
        started = time.monotonic()
        with pytest.raises(Overloaded):
            batcher.submit("late")
        assert time.monotonic() - started < 5
        holder.join(30)
        assert held, "the held caller gave up too"
        gate.release.set()
        assert batcher.submit("next") == "NEXT"
        assert batcher.items == 2  # "held" and "next": the abandoned "late" was never run


def test_a_failing_batch_fails_its_callers_and_the_worker_lives_on() -> None:
    def run(items: list[str]) -> list[int]:
        return [int(item) for item in items]  # "x" is no number

    batcher = DynamicBatcher(run, BatchingConfig(max_batch=4, max_wait_ms=0, timeout=30))
    try:
        with pytest.raises(ValueError):
            batcher.submit("x")
        assert batcher.submit("7") == 7
    finally:
        batcher.close()


def test_workers_run_batches_at_once() -> None:
    """Two workers: two batches in flight together (each waits until the other has started)."""
    both_running = threading.Barrier(2, timeout=30)

    def run(items: list[str]) -> list[str]:
        both_running.wait()  # breaks (BrokenBarrierError) unless another batch runs meanwhile
        return [item.upper() for item in items]

    batcher = DynamicBatcher(run, BatchingConfig(max_batch=1, max_wait_ms=0, timeout=60, workers=2))
    try:
        assert sorted(_run_together(2, lambda i: batcher.submit("ab"[i]))) == ["A", "B"]
        assert (batcher.batches, batcher.items) == (2, 2)
    finally:
        batcher.close()


def test_concurrent_callers_of_two_encoder_workers_each_get_their_own_vector(retriever: Retriever) -> None:
    """One model, two threads running it at once (onnxruntime sessions are shared between threads)."""
    encoder = Encoder(retriever.encoder.config)
    encoder.start_batching(BatchingConfig(max_batch=2, max_wait_ms=0, max_queue=64, timeout=300, workers=2))
    try:
        questions = list(dict.fromkeys(q.question for q in load_gold()))[20:36]
        vectors = _run_together(len(questions), lambda i: encoder.embed_query(questions[i]))
        assert encoder.batcher.items == len(questions)  # warm-ups run outside the queue
        single = np.stack([retriever.encoder.embed_queries([q])[0] for q in questions])
        similarity = np.stack(vectors) @ single.T
        assert (np.diag(similarity) >= 0.9999).all()
        assert (similarity.argmax(axis=1) == np.arange(len(questions))).all()
    finally:
        encoder.stop_batching()


def test_workers_share_what_is_queued() -> None:
    """Both workers busy, four questions queued: the first worker free takes its share (two), not all four."""
    release = threading.Event()
    sizes: list[int] = []

    def run(items: list[str]) -> list[str]:
        sizes.append(len(items))
        release.wait(60)
        return items

    batcher = DynamicBatcher(run, BatchingConfig(max_batch=16, max_wait_ms=0, timeout=60, workers=2))
    try:
        callers = [threading.Thread(target=batcher.submit, args=(str(i),)) for i in range(6)]
        for caller in callers[:2]:  # one each: both workers are held
            caller.start()
        deadline = time.monotonic() + 30
        while len(sizes) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        for caller in callers[2:]:
            caller.start()
        while len(batcher._queue) < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        release.set()
        for caller in callers:
            caller.join(30)
        assert sizes[:2] == [1, 1] and sum(sizes) == 6
        assert max(sizes[2:]) == 2, sizes
    finally:
        release.set()
        batcher.close()


# ---- waiting in an event loop (the async routes)


def test_callers_awaiting_in_an_event_loop_each_get_their_own_vector(encoder: Encoder, retriever: Retriever) -> None:
    questions = [f"{q.question}（异步）" for q in load_gold()[:12]]  # new texts: none is cached

    async def ask_all() -> list[np.ndarray]:
        return await asyncio.gather(*(encoder.start_query(q).wait() for q in questions))

    vectors = asyncio.run(ask_all())
    single = retriever.encoder.embed_queries(questions)
    assert all(float(got @ alone) >= 0.9999 for got, alone in zip(vectors, single))
    assert (np.stack(vectors) @ single.T).argmax(axis=1).tolist() == list(range(len(questions)))
    items = encoder.batcher.items
    assert np.array_equal(encoder.embed_query(questions[0]), vectors[0])  # remembered: no new pass
    assert encoder.batcher.items == items


def test_an_awaiting_caller_gives_up_at_its_deadline_and_the_worker_skips_it() -> None:
    with _gated(BatchingConfig(max_batch=4, max_wait_ms=0, max_queue=4, timeout=0.3)) as (gate, batcher):
        batcher.enqueue("held")
        assert gate.entered.wait(30)
        late = batcher.enqueue("late")
        started = time.monotonic()
        with pytest.raises(Overloaded) as refused:
            asyncio.run(late.wait())
        assert time.monotonic() - started < 5 and "0.3 s" in str(refused.value)
        gate.release.set()
        assert asyncio.run(batcher.enqueue("next").wait()) == "NEXT"
        assert batcher.items == 2  # "held" and "next": the abandoned "late" was never run


def test_a_cancelled_request_leaves_its_item_to_be_skipped() -> None:
    with _gated(BatchingConfig(max_batch=4, max_wait_ms=0, max_queue=4, timeout=60)) as (gate, batcher):
        batcher.enqueue("held")
        assert gate.entered.wait(30)
        cancelled = batcher.enqueue("cancelled")

        async def cancel_while_waiting() -> None:
            task = asyncio.ensure_future(cancelled.wait())
            await asyncio.sleep(0.05)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        asyncio.run(cancel_while_waiting())
        assert cancelled.abandoned
        gate.release.set()
        assert batcher.submit("next") == "NEXT"
        assert batcher.items == 2  # "held" and "next"


def test_a_result_ready_before_the_caller_awaits_is_returned_at_once() -> None:
    batcher = DynamicBatcher(lambda items: [item.upper() for item in items], BatchingConfig(timeout=30))
    try:
        pending = batcher.enqueue("early")
        assert pending.result() == "EARLY"  # done, in a thread
        assert asyncio.run(pending.wait()) == "EARLY"  # and awaited afterwards: no wake-up needed
    finally:
        batcher.close()
