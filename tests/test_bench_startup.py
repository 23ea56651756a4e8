"""The start-up section of ``imgkit bench``: what it runs (its times are make bench's, not asserted)."""

import shlex

from imgkit import bench_startup, registry


def test_every_command_has_a_first_compile_case_on_an_input_it_takes(tmp_path):
    cases = bench_startup.compile_cases(tmp_path)
    named = {next(name for name in sorted(registry.commands(), key=len, reverse=True)
                  if line.startswith(name + " ")) for line, _source in cases}
    assert named == set(registry.commands())
    for line, source in cases:
        args = shlex.split(line.format(input=source, output=tmp_path / "out"))
        assert str(source) in args and source.exists()
        assert args[args.index("-o") + 1].startswith(str(tmp_path / "out."))


def test_a_ratio_passes_at_its_target_and_fails_above_it():
    at = bench_startup.Timing("call", 1.5, "floor", 1.5, 1.5)
    above = bench_startup.Timing("call", 1.51, "floor", 1.51, 1.5)
    slow_compile = bench_startup.Timing("first call", 5.2, target=5.0)
    assert at.passed and not above.passed and not slow_compile.passed
    assert "FAIL" in bench_startup.markdown([above]) and "FAIL" in bench_startup.describe(slow_compile)
