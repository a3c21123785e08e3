import pytest

from index.fusion import min_max, ranks_of, rrf, weighted


def test_rrf_is_the_sum_of_reciprocal_ranks() -> None:
    fused = rrf([{1: 1, 2: 2}, {2: 1, 3: 3}], [1.0, 1.0], k=60)
    assert fused[2] == pytest.approx(1 / 62 + 1 / 61)
    assert fused[1] == pytest.approx(1 / 61)
    assert fused[3] == pytest.approx(1 / 63)


def test_rrf_weights_scale_each_channel() -> None:
    fused = rrf([{1: 1}, {2: 1}], [2.0, 1.0], k=60)
    assert fused[1] == pytest.approx(2 * fused[2])


def test_weighted_fusion_normalises_each_channel() -> None:
    fused = weighted([{1: 10.0, 2: 5.0, 3: 0.0}, {1: 0.2, 2: 0.9}], [0.7, 0.3])
    assert fused[1] == pytest.approx(0.7)
    assert fused[2] == pytest.approx(0.7 * 0.5 + 0.3)
    assert fused[3] == pytest.approx(0.0)


def test_min_max_of_equal_scores_is_one() -> None:
    assert min_max({1: 3.0, 2: 3.0}) == {1: 1.0, 2: 1.0}


def test_ranks_start_at_one_in_score_order() -> None:
    scores = {0: 0.1, 1: 0.9, 2: 0.5}
    assert ranks_of(scores) == {1: 1, 2: 2, 0: 3}
