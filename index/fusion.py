"""Fusing the lexical and dense rankings: reciprocal rank fusion or a weighted sum of normalised scores."""

from __future__ import annotations

from enum import StrEnum

import numpy as np


class FusionMethod(StrEnum):
    RRF = "rrf"
    WEIGHTED = "weighted"


def ranks_of(scores: np.ndarray, candidates: np.ndarray) -> dict[int, int]:
    """1-based rank of each candidate id by descending score."""
    order = candidates[np.argsort(-scores[candidates], kind="stable")]
    return {int(pid): rank for rank, pid in enumerate(order, start=1)}


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
