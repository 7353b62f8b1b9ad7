from rag.retrieval import fuse_rankings


def test_rrf_rewards_items_ranked_by_both():
    fused = fuse_rankings([[1, 2, 3], [3, 4, 1]], [1.0, 1.0], k=60)
    order = [i for i, _ in fused]
    assert order[:2] == [1, 3]  # in both lists
    assert set(order) == {1, 2, 3, 4}


def test_weights_shift_the_order():
    lexical_heavy = [i for i, _ in fuse_rankings([[1], [2]], [0.5, 2.0])]
    dense_heavy = [i for i, _ in fuse_rankings([[1], [2]], [2.0, 0.5])]
    assert lexical_heavy[0] == 2 and dense_heavy[0] == 1


def test_empty_rankings():
    assert fuse_rankings([[], []], [1.0, 1.0]) == []
