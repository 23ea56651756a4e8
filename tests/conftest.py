"""Shared test data: the bundled photos, random images and a 4K version of a photo."""

import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from imgkit.versions import opencv_dispatch

# The command lines the tests run render their usage errors (rich panels) this wide, so that no
# temporary path (longer under pytest-xdist: .../popen-gw0/...), nor a message naming two of them,
# is wrapped inside the words a test looks for; the tests of a width (80 columns) set COLUMNS.
os.environ["COLUMNS"] = "1000"

ROOT = Path(__file__).resolve().parent.parent
PHOTOS = ROOT / "fixtures" / "photos"
BAD = ROOT / "fixtures" / "bad"
PHOTO_NAMES = sorted(p.name for p in PHOTOS.iterdir())

# Sizes every kernel must handle: 1×1, 1×N, N×1, odd and even, smaller than most kernels.
EDGE_SHAPES = [(1, 1), (1, 7), (7, 1), (2, 3), (5, 4), (16, 17), (31, 64)]


# The SIMD code OpenCV dispatches to here (OPENCV_CPU_DISABLE taken into account). Its AVX2 and
# AVX-512 builds fuse multiply-adds and its SSE baseline rounds twice, so where a kernel follows
# OpenCV's fused arithmetic (magnitude, phase, HOG, bilateral), bit-identity is a CPU-dependent
# claim: those tests skip, saying so, where OpenCV runs its baseline code.
OPENCV_DISPATCH = frozenset(opencv_dispatch(cv2).split())


def skip_unless_opencv_fuses(what):
    """Skip the calling test, with the reason shown by ``pytest -rs``, unless OpenCV runs its
    AVX2 or AVX-512 code here, whose fused multiply-adds ``what`` follows."""
    if "AVX2" not in OPENCV_DISPATCH:
        pytest.skip(f"CPU-dependent: {what} follows OpenCV's AVX2/AVX-512 code (fused multiply-adds); "
                    f"OpenCV dispatches only {' '.join(sorted(OPENCV_DISPATCH)) or 'its baseline'} here")


def photo(name, gray=False):
    flags = cv2.IMREAD_GRAYSCALE if gray else cv2.IMREAD_COLOR
    return cv2.imread(str(PHOTOS / name), flags)


def at_4k(image):
    """A photo stretched to 3840×2160, the size the accuracy targets are stated at."""
    return cv2.resize(image, (3840, 2160), interpolation=cv2.INTER_CUBIC)


def random_image(shape, dtype, seed=0):
    """Random pixels over the dtype's whole range (float32: 0–255 with fractions)."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if dtype == np.float32:
        return (rng.random(shape) * 255).astype(np.float32)
    return rng.integers(0, np.iinfo(dtype).max, shape, dtype=dtype, endpoint=True)


def channels_of(shape, channels, dtype, seed):
    """A random image of ``shape`` with ``channels`` channels; 0 means a 2-D gray image."""
    image = random_image(shape + (max(channels, 1),), dtype, seed)
    return image[:, :, 0] if channels == 0 else image


def assert_matches(result, expected, rtol=1e-5):
    """Same dtype and shape; identical for integers, within ``rtol`` (of the 0–255 range) for floats."""
    assert result.dtype == expected.dtype and result.shape == expected.shape
    if result.dtype.kind == "f":
        np.testing.assert_allclose(result, expected, rtol=rtol, atol=rtol * 255)
    else:
        np.testing.assert_array_equal(result, expected)


@pytest.fixture(params=PHOTO_NAMES)
def photo_name(request):
    return request.param


def run_cli(*args, capsys=None):
    """Run the imgkit command line in-process: (exit code, stdout, stderr); the streams are
    captured only when ``capsys`` is given."""
    if _THROUGH_SERVER:
        return _run_cli_in_a_new_process(args, capsys)
    from imgkit.cli import main
    with pytest.raises(SystemExit) as exit_info:
        main([str(a) for a in args])
    out, err = capsys.readouterr() if capsys else ("", "")
    return exit_info.value.code, out, err


def compare_rows(out):
    """``imgkit compare --json``'s stdout: the per-input rows, once the last line is checked to be
    the summary, which holds ``imgkit --version``'s line and no ``input``."""
    *rows, summary = [json.loads(line) for line in out.splitlines()]
    assert list(summary) == ["versions"] and summary["versions"].startswith("imgkit "), summary
    return rows


# ---------------------------------------------------------------- the suite's second pass (make test-server)
# IMGKIT_TEST_SERVER=1 runs the whole session with a resident server (imgkit server start) in a
# runtime directory of its own: every command line a test starts with `python -m imgkit` then runs
# in the server, wherever the server can take it (calls it refuses run in-process, as ever).

@pytest.fixture(scope="session", autouse=True)
def resident_server():
    import os
    import shutil
    import subprocess
    import sys
    import tempfile
    if not os.environ.get("IMGKIT_TEST_SERVER"):
        yield None
        return
    runtime = tempfile.mkdtemp(prefix="imgkit-pass-", dir="/tmp")    # short: a socket's path has 108 bytes
    os.environ["XDG_RUNTIME_DIR"] = runtime
    os.environ.pop("IMGKIT_NO_SERVER", None)
    imgkit = [sys.executable, "-m", "imgkit", "server"]
    subprocess.run([*imgkit, "start", "--idle-timeout", "3600"], check=True, capture_output=True)
    try:
        yield runtime
    finally:
        from imgkit.server import ask
        said = ask({"do": "status"})
        _SERVED.append(said)
        subprocess.run([*imgkit, "stop"], capture_output=True)
        shutil.rmtree(runtime, ignore_errors=True)


_SERVED = []
_THROUGH_SERVER = False     # run_cli starts `python -m imgkit`, which the server then runs


@pytest.fixture(autouse=True)
def run_cli_through_the_server(request, resident_server):
    """In the second pass, ``run_cli`` runs its command line through the server too, except in a
    test that patches this process (``monkeypatch``): the server would not see the patch."""
    global _THROUGH_SERVER
    _THROUGH_SERVER = bool(resident_server) and "monkeypatch" not in request.fixturenames
    yield
    _THROUGH_SERVER = False


def _run_cli_in_a_new_process(args, capsys):
    import subprocess
    import sys
    result = subprocess.run([sys.executable, "-m", "imgkit", *map(str, args)], capture_output=True,
                            stdin=subprocess.DEVNULL, timeout=600)
    out, err = result.stdout.decode(errors="replace"), result.stderr.decode(errors="replace")
    if capsys is None:      # where in-process output goes: to this process's (captured) streams
        sys.stdout.write(out)
        sys.stderr.write(err)
        return result.returncode, "", ""
    return result.returncode, out, err
# Tests that count the processes of the calling process's group (its -j workers): through a server
# the call's child and workers are in the server's group, where such a test sees nothing and
# passes vacuously (tests/test_server.py checks them for a call through the server). In the
# second pass they run in-process, and the summary says how many did.
_GROUP_READERS = {"_group_processes", "_wait_for_workers"}
_IN_PROCESS = []


@pytest.fixture(autouse=True)
def in_process_where_the_group_is_counted(request, resident_server):
    import os
    code = getattr(request.function, "__code__", None)
    if not resident_server or code is None or not _GROUP_READERS & set(code.co_names):
        yield
        return
    _IN_PROCESS.append(request.node.nodeid)
    os.environ["IMGKIT_NO_SERVER"] = "1"
    try:
        yield
    finally:
        del os.environ["IMGKIT_NO_SERVER"]


def pytest_terminal_summary(terminalreporter):
    if _SERVED:
        said = _SERVED[0]
        terminalreporter.write_line("imgkit server: gone before the end of the second pass" if said is None else
                                    f"imgkit server: {said['served']} calls served in the second pass; in-process: "
                                    f"{said['refused'] or 'none'}")
    if _IN_PROCESS:
        terminalreporter.write_line(f"imgkit server: {len(_IN_PROCESS)} tests that count the caller's process group "
                                    "ran in-process: " + ", ".join(_IN_PROCESS))
