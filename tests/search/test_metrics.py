"""The metric code against an independent, loop-based full-matrix reference."""
import numpy as np
import pytest

from mediasearch.search.metrics import ranks_from_lists, ranks_from_scores, summarize


def reference_recall(scores, relevant, k):
    """A hit when any relevant item is among the k best; ties favour the truth."""
    hits = 0
    for q in range(scores.shape[0]):
        for r in relevant[q]:
            better = sum(1 for j in range(scores.shape[1]) if scores[q, j] > scores[q, r])
            if better < k:
                hits += 1
                break
    return 100.0 * hits / scores.shape[0]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_recall_matches_reference_with_ties_and_several_captions(seed):
    rng = np.random.default_rng(seed)
    n_img, caps_per = 30, 5
    img = rng.normal(size=(n_img, 8)).astype(np.float32)
    txt = rng.normal(size=(n_img * caps_per, 8)).astype(np.float32)
    sim = np.round(txt @ img.T, 1)  # rounding creates many ties
    t2i_rel = [[t // caps_per] for t in range(len(txt))]
    i2t_rel = [list(range(i * caps_per, (i + 1) * caps_per)) for i in range(n_img)]
    for k in (1, 5, 10):
        assert summarize(ranks_from_scores(sim, t2i_rel))[f"R@{k}"] == pytest.approx(
            round(reference_recall(sim, t2i_rel, k), 2))
        assert summarize(ranks_from_scores(sim.T, i2t_rel))[f"R@{k}"] == pytest.approx(
            round(reference_recall(sim.T, i2t_rel, k), 2))


def test_ranks_from_result_lists():
    ranked = [[3, 1, 2], [0, 2, 9], [5, 6, 7]]
    ranks = ranks_from_lists(ranked, [[1], [9, 0], [4]], cap=3)
    assert list(ranks) == [2, 1, 4]
    s = summarize(ranks, cap=3)
    assert s["R@1"] == pytest.approx(33.33) and s["mean_rank"] is None and s["median_rank"] == 2
