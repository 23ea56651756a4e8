"""A short, reproducible run of the fuzz harness (``tests/fuzz/fuzz.py``; ``make fuzz`` runs it
for 30 minutes): mutated images, arrays and detection files must each end in a clean per-file
error or a sound result, within the harness's time and memory bounds."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fuzz"))
import fuzz  # noqa: E402

INPUTS_PER_FORMAT = 200
SEED = 14

@pytest.fixture(scope="module")
def tally(tmp_path_factory):
    return fuzz.fuzz(count=INPUTS_PER_FORMAT, seed=SEED, findings=tmp_path_factory.mktemp("findings"))


@pytest.mark.parametrize("fmt", fuzz.FORMATS)
def test_mutated_inputs_end_in_a_clean_error_or_a_sound_result(fmt, tally):
    assert tally.inputs[fmt] == INPUTS_PER_FORMAT
    found = {signature: detail for (kind, signature), (_, detail, _) in tally.findings.items() if kind == fmt}
    assert not found, "\n\n".join(f"{signature}\n{detail}" for signature, detail in found.items())


def test_the_harness_reads_seeds_as_results_and_mutants_as_errors(tally):
    """The mutations are neither all harmless nor all fatal: both outcomes occur in every format."""
    for fmt in fuzz.FORMATS:
        assert tally.errors[fmt] > 0, fmt
        assert tally.results[fmt] > 0 or fmt == "npz", fmt     # nothing decodes a .npz
