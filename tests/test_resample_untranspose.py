"""``_untranspose``: the uint8 block of the vertical-first passes back into row order."""
import numpy as np
import pytest

from imgkit.kernels.resample import BLOCK, _untranspose


@pytest.mark.parametrize("nv, count", [(1, 1), (7, 5), (8, 8), (13, 32), (64, 17), (101, 31)])
def test_untranspose_is_the_block_transposed(nv, count):
    nw = (nv + 7) // 8
    rng = np.random.default_rng(nv * 100 + count)
    block = rng.integers(0, 256, nw * 8 * BLOCK, dtype=np.uint8)
    rows = np.zeros(BLOCK * nw * 8, np.uint8)
    _untranspose(block.view(np.uint64), rows.view(np.uint64), nw, (count + 7) // 8)
    expected = block.reshape(nw * 8, BLOCK).T
    np.testing.assert_array_equal(rows.reshape(BLOCK, nw * 8)[:count, :nv], expected[:count, :nv])
