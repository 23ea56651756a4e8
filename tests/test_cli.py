"""The command line as a user meets it: inputs, outputs, safety, errors and exit codes (SPEC §2, §7).

Most tests call ``imgkit.cli.main`` in-process (fast); the pipe, parallel and interrupt tests
run the real ``imgkit`` executable.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest

import imgkit
from conftest import BAD, PHOTOS, run_cli


IMGKIT = [sys.executable, "-m", "imgkit"]


@pytest.fixture
def photos(tmp_path):
    """Two small photos in a nested tree, so relative paths can be mirrored."""
    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    for name, target in [("camera.png", root / "camera.png"), ("chelsea.png", root / "sub" / "chelsea.png")]:
        image = cv2.imread(str(PHOTOS / name), cv2.IMREAD_UNCHANGED)
        cv2.imwrite(str(target), image[:64, :80])
    return root


def read(path):
    return cv2.imread(str(path), cv2.IMREAD_UNCHANGED)


# ---------------------------------------------------------------- inputs and outputs

def test_single_file_to_file_matches_the_api(tmp_path, capsys):
    import imgkit
    out = tmp_path / "out.png"
    code, _, _ = run_cli("blur", PHOTOS / "camera.png", "--sigma", "2", "-o", out, capsys=capsys)
    assert code == 0
    expected = imgkit.gaussian_blur(read(PHOTOS / "camera.png"), 2.0)
    np.testing.assert_array_equal(read(out), expected)


def test_directory_recursive_mirrors_relative_paths(photos, tmp_path, capsys):
    out = tmp_path / "out"
    code, _, _ = run_cli("blur", photos, "-r", "-o", out, "-j", 1, capsys=capsys)
    assert code == 0
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png")) == ["camera.png", "sub/chelsea.png"]


def test_directory_without_recursive_takes_only_its_own_images(photos, tmp_path, capsys):
    code, _, _ = run_cli("blur", photos, "-o", tmp_path / "out", "-j", 1, capsys=capsys)
    assert code == 0
    assert [p.name for p in (tmp_path / "out").rglob("*.png")] == ["camera.png"]


def test_glob_with_double_star_keeps_paths_below_the_fixed_prefix(photos, tmp_path, capsys):
    out = tmp_path / "out"
    code, _, _ = run_cli("blur", f"{photos}/**/*.png", "-o", out, "-j", 1, "--suffix", "_b", capsys=capsys)
    assert code == 0
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png")) == ["camera_b.png", "sub/chelsea_b.png"]


def test_glob_matching_nothing_is_a_usage_error_naming_it(tmp_path, capsys):
    code, _, err = run_cli("blur", f"{tmp_path}/*.png", "-o", tmp_path / "o", capsys=capsys)
    assert code == 2 and "*.png" in err


def test_default_output_is_beside_the_input_with_the_command_suffix(photos, capsys):
    code, _, _ = run_cli("blur", photos / "camera.png", capsys=capsys)
    assert code == 0 and (photos / "camera_blur.png").exists()


def test_format_changes_the_encoding_and_the_extension(photos, tmp_path, capsys):
    code, _, _ = run_cli("blur", photos / "camera.png", "-o", f"{tmp_path}/", "--format", "npy", capsys=capsys)
    assert code == 0
    result = np.load(tmp_path / "camera.npy")
    assert result.dtype == np.uint8 and result.shape == (64, 80)


def test_two_inputs_that_map_to_one_output_are_refused_before_anything_runs(tmp_path, capsys):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for d in "ab":
        shutil.copy(PHOTOS / "camera.png", tmp_path / d / "x.png")
    code, _, err = run_cli("blur", tmp_path / "a" / "x.png", tmp_path / "b" / "x.png", "-o", tmp_path / "out",
                          capsys=capsys)
    assert code == 2 and "both be written" in err
    assert not (tmp_path / "out").exists()


def test_json_lines_and_summary(photos, tmp_path, capsys):
    code, out, _ = run_cli("blur", photos, "-r", "-o", tmp_path / "out", "--json", "-j", 1,
                          BAD / "zero.png", capsys=capsys)
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert [r["status"] for r in records[:-1]].count("ok") == 2
    assert {"input", "output", "status", "ms", "error"} <= set(records[0])
    assert records[-1]["ok"] == 2 and records[-1]["error"] == 1 and "input" not in records[-1]


def test_json_with_stdout_output_is_a_usage_error(capsys):
    code, _, err = run_cli("blur", PHOTOS / "camera.png", "-o", "-", "--json", capsys=capsys)
    assert code == 2 and "--json" in err


@pytest.mark.parametrize("args, option", [
    (["--method", "nope"], "--method"),
    (["--border", "mirror"], "--border"),
    (["--method", "median", "--border", "reflect"], "--border"),
    (["--ksize", "4"], "ksize"),
    (["--format", "gif"], "format"),
])
def test_bad_options_are_usage_errors_naming_the_option(args, option, tmp_path, capsys):
    code, _, err = run_cli("blur", PHOTOS / "camera.png", "-o", tmp_path / "o.png", *args, capsys=capsys)
    assert code == 2 and option in err
    assert not (tmp_path / "o.png").exists()
    assert "Traceback" not in err


def version_line(**environment):
    result = subprocess.run([*IMGKIT, "--version"], capture_output=True, text=True, timeout=60,
                            env={**os.environ, **environment})
    assert result.returncode == 0          # stderr may hold OpenCV's word on OPENCV_CPU_DISABLE
    (line,) = result.stdout.splitlines()
    return line


def test_version_is_one_line_with_every_library_and_the_cpu_targets():
    import llvmlite
    import numba
    line = version_line()
    for name, found in [("imgkit", imgkit.__version__), ("numpy", np.__version__), ("numba", numba.__version__),
                        ("llvmlite", llvmlite.__version__), ("OpenCV", cv2.__version__)]:
        assert f"{name} {found}" in line
    assert f"for {llvmlite.binding.get_host_cpu_name()} +" in line and "+sse2" in line
    assert "IPP on" in line


def test_version_follows_the_target_numba_is_told_to_use():
    assert " for generic; " in version_line(NUMBA_CPU_NAME="generic")
    assert " for skylake-avx512 +avx2 +avx512f; " in version_line(NUMBA_CPU_NAME="skylake-avx512",
                                                                    NUMBA_CPU_FEATURES="+avx512f,+avx2,-avx512vnni")


def test_version_follows_the_features_opencv_is_told_to_disable():
    def dispatch(**environment):
        return re.search(r"; dispatch ([^;]*);", version_line(**environment)).group(1).split()
    if "AVX2" not in dispatch():
        pytest.skip("CPU-dependent: this CPU has no AVX2 for OPENCV_CPU_DISABLE to turn off")
    assert "AVX2" not in dispatch(OPENCV_CPU_DISABLE="AVX2")


def test_reference_backend_writes_opencvs_answer(tmp_path, capsys):
    code, _, _ = run_cli("blur", PHOTOS / "camera.png", "--method", "box", "--ksize", "5", "--reference",
                        "-o", tmp_path / "o.png", capsys=capsys)
    assert code == 0
    np.testing.assert_array_equal(read(tmp_path / "o.png"), cv2.blur(read(PHOTOS / "camera.png"), (5, 5)))


# ---------------------------------------------------------------- SPEC §7: every bad input

@pytest.mark.parametrize("name, reason", [
    ("missing.png", "no such file"),
    ("zero.png", "empty"),
    ("text.png", "not an image"),
    ("truncated.jpg", "truncated"),
    ("truncated.png", "truncated"),
    ("bomb.png", "max-pixels"),
])
def test_bad_input_is_one_line_naming_it_and_the_batch_goes_on(name, reason, tmp_path, capsys):
    bad = BAD / name
    code, _, err = run_cli("blur", bad, PHOTOS / "camera.png", "-o", tmp_path / "out", "-j", 1, capsys=capsys)
    assert code == 1
    error_lines = [line for line in err.splitlines() if line.startswith("imgkit: ") and str(bad) in line]
    assert len(error_lines) == 1 and reason in error_lines[0]
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["camera.png"]


def test_fail_fast_stops_at_the_first_failure(tmp_path, capsys):
    code, _, _ = run_cli("blur", BAD / "zero.png", PHOTOS / "rocket.jpg", "-o", tmp_path / "out", "-j", 1,
                        "--fail-fast", capsys=capsys)
    assert code == 1 and not (tmp_path / "out" / "rocket.jpg").exists()


def test_an_empty_directory_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code, _, err = run_cli("blur", tmp_path / "empty", "-o", tmp_path / "out", capsys=capsys)
    assert code == 2 and "empty" in err


@pytest.mark.parametrize("name", ["one_pixel.png", "one_row.png", "deep16.png", "bgra.png"])
def test_unusual_but_valid_images_keep_shape_depth_and_channels(name, tmp_path, capsys):
    code, _, _ = run_cli("blur", BAD / name, "-o", tmp_path / name, capsys=capsys)
    source, result = read(BAD / name), read(tmp_path / name)
    assert code == 0
    assert result.shape == source.shape and result.dtype == source.dtype


def test_transparent_neighbours_do_not_darken_an_opaque_edge(tmp_path, capsys):
    image = np.zeros((32, 32, 4), np.uint8)
    image[:, 16:] = (40, 200, 90, 255)          # opaque green-ish right half, transparent black left half
    cv2.imwrite(str(tmp_path / "in.png"), image)
    code, _, _ = run_cli("blur", tmp_path / "in.png", "--sigma", "2", "-o", tmp_path / "out.png", capsys=capsys)
    result = read(tmp_path / "out.png")
    assert code == 0
    # Premultiplied filtering keeps the colour of every clearly visible pixel (8-bit premultiplied colour
    # is exact to about 255 / 2α); straight filtering drags it towards the transparent black.
    visible = result[:, :, 3] >= 64
    assert visible.sum() > 32 * 16
    assert np.abs(result[visible][:, :3].astype(int) - (40, 200, 90)).max() <= 3
    straight = cv2.GaussianBlur(image, (0, 0), 2)
    assert np.abs(straight[visible][:, :3].astype(int) - (40, 200, 90)).max() > 20


def test_existing_output_is_an_error_unless_overwrite_or_skip(tmp_path, capsys):
    out = tmp_path / "o.png"
    out.write_bytes(b"keep me")
    code, _, err = run_cli("blur", PHOTOS / "camera.png", "-o", out, capsys=capsys)
    assert code == 1 and "exists" in err and out.read_bytes() == b"keep me"
    code, _, _ = run_cli("blur", PHOTOS / "camera.png", "-o", out, "--skip-existing", capsys=capsys)
    assert code == 0 and out.read_bytes() == b"keep me"
    code, _, _ = run_cli("blur", PHOTOS / "camera.png", "-o", out, "--overwrite", capsys=capsys)
    assert code == 0 and read(out).shape == (512, 512)


def test_output_pointing_at_the_input_never_overwrites_it(tmp_path, capsys):
    target = tmp_path / "camera.png"
    shutil.copy(PHOTOS / "camera.png", target)
    before = target.read_bytes()
    for extra in ([], ["--overwrite"]):
        code, _, err = run_cli("blur", target, "-o", target, *extra, capsys=capsys)
        assert code == 2 and str(target) in err      # a usage error: nothing runs
        assert target.read_bytes() == before


def test_unwritable_output_directory_fails_that_file_cleanly(tmp_path, capsys):
    blocker = tmp_path / "not_a_dir"
    blocker.write_bytes(b"")
    code, _, err = run_cli("blur", PHOTOS / "camera.png", "-o", blocker / "o.png", capsys=capsys)
    assert code == 1 and "o.png" in err and "Traceback" not in err


def test_no_temporary_files_are_left_behind(photos, tmp_path, capsys):
    out = tmp_path / "out"
    code, _, _ = run_cli("blur", photos, "-r", BAD / "truncated.png", "-o", out, "-j", 1, capsys=capsys)
    assert code == 1
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == ["camera.png", "sub", "sub/chelsea.png"]


# ---------------------------------------------------------------- real processes

def test_pipeline_through_os_pipes(tmp_path):
    out = tmp_path / "out.png"
    first = subprocess.Popen([*IMGKIT, "blur", "-", "-o", "-"], stdin=open(PHOTOS / "camera.png", "rb"),
                             stdout=subprocess.PIPE)
    second = subprocess.run([*IMGKIT, "blur", "-", "-o", str(out)], stdin=first.stdout, capture_output=True)
    first.stdout.close()
    assert first.wait() == 0 and second.returncode == 0, second.stderr
    import imgkit as api
    expected = api.gaussian_blur(api.gaussian_blur(read(PHOTOS / "camera.png")))
    np.testing.assert_array_equal(read(out), expected)


def test_parallel_jobs_give_the_same_outputs(photos, tmp_path):
    for jobs in ("1", "2"):
        result = subprocess.run([*IMGKIT, "blur", str(photos), "-r", "-o", str(tmp_path / jobs), "-j", jobs, "-q"],
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
    for name in ("camera.png", "sub/chelsea.png"):
        np.testing.assert_array_equal(read(tmp_path / "1" / name), read(tmp_path / "2" / name))


def test_interrupt_mid_batch_exits_130_with_only_complete_outputs(tmp_path):
    source = tmp_path / "in"
    source.mkdir()
    big = cv2.resize(read(PHOTOS / "astronaut.png"), (1200, 1200))
    for i in range(16):
        cv2.imwrite(str(source / f"{i:02d}.png"), big)
    out = tmp_path / "out"
    process = subprocess.Popen([*IMGKIT, "blur", str(source), "-o", str(out), "-j", "1", "--method", "bilateral",
                                "-q"], stderr=subprocess.PIPE, text=True,   # SIGINT as a terminal's, even
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # in a background run
    deadline = time.time() + 60
    while time.time() < deadline and not (out.exists() and any(out.glob("*.png"))):
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    written = list(out.iterdir())
    assert 0 < len(written) < 16
    for path in written:
        assert not path.name.startswith("."), f"temporary file left: {path.name}"
        assert read(path).shape == (1200, 1200, 3)


def test_help_imports_no_heavy_module():
    """What keeps ``imgkit --help`` quick (timed by ``make bench``, not here)."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "imgkit", "--help"],
                            capture_output=True, text=True, check=True)
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    assert imported.isdisjoint({"numba", "cv2", "numpy", "skimage"})
