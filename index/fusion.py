"""Fusing the lexical and dense rankings: reciprocal rank fusion or a weighted sum of normalised scores."""

from __future__ import annotations

from enum import StrEnum


class FusionMethod(StrEnum):
    RRF = "rrf"
    WEIGHTED = "weighted"


def ranks_of(scores: dict[int, float]) -> dict[int, int]:
    """1-based rank of each id by descending score (ties by id, so rankings are stable)."""
    order = sorted(scores, key=lambda pid: (-scores[pid], pid))
    return {pid: rank for rank, pid in enumerate(order, start=1)}


def rrf(rankings: list[dict[int, int]], weights: list[float], k: int = 60) -> dict[int, float]:
    """score = Σ w / (k + rank), ranks from 1 (Cormack et al.; k = 60 by convention)."""
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights):
        for pid, rank in ranking.items():
            fused[pid] = fused.get(pid, 0.0) + weight / (k + rank)
    return fused


def min_max(values: dict[int, float]) -> dict[int, float]:
    if not values:
        return {}
    low, high = min(values.values()), max(values.values())
    span = high - low
    return {pid: (v - low) / span if span > 0 else 1.0 for pid, v in values.items()}


def weighted(channel_scores: list[dict[int, float]], weights: list[float]) -> dict[int, float]:
    """Σ w · min-max-normalised score over each channel's candidates; a missing candidate scores 0."""
    fused: dict[int, float] = {}
    for scores, weight in zip(channel_scores, weights):
        for pid, value in min_max(scores).items():
            fused[pid] = fused.get(pid, 0.0) + weight * value
    return fused
