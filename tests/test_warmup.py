"""``imgkit warmup`` (issue 16): one line per operation with its time and what it compiled, then the
total; plain lines in a log, a live rich line per operation on a terminal; ``--op`` narrows it."""

import os
import pty
import select
import subprocess
import sys
import time


def warmup(*args, cache, **streams):
    return subprocess.run([sys.executable, "-m", "imgkit", "warmup", *args], timeout=300, text=True,
                          env={**os.environ, "NUMBA_CACHE_DIR": str(cache)}, **streams)


def test_a_log_gets_one_plain_line_per_operation_and_the_total(tmp_path):
    cache = tmp_path / "numba-cache"
    first = warmup("--op", "phase", "--op", "nms", cache=cache, capture_output=True)
    assert first.returncode == 0, first.stderr
    lines = first.stderr.splitlines()
    assert [line.split(":")[1] for line in lines[:2]] == [" phase", " nms"]
    assert all(" kernels compiled" in line for line in lines[:2]), lines
    assert lines[2].startswith("imgkit: all kernels ready in ") and len(lines) == 3
    assert "\r" not in first.stderr and "\x1b" not in first.stderr      # no progress bar in a log
    assert any(cache.rglob("*.nbi"))
    again = warmup("--op", "phase", cache=cache, capture_output=True)
    assert again.returncode == 0 and "imgkit: phase: ready in" in again.stderr
    assert "nothing to compile" in again.stderr                        # loaded from the disk cache


def test_a_terminal_sees_what_compiles_then_the_time(tmp_path):
    main, side = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "imgkit", "warmup", "--op", "phase"], stdout=subprocess.DEVNULL,
                               stderr=side, env={**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba-cache")})
    os.close(side)
    seen = b""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if select.select([main], [], [], 1)[0]:
            try:
                chunk = os.read(main, 65536)
            except OSError:         # the terminal's other end closed: the command is done
                break
            if not chunk:
                break
            seen += chunk
    os.close(main)
    assert process.wait(timeout=60) == 0
    text = seen.decode(errors="replace")
    assert "imgkit: phase: compiling fourier." in text                  # the live line names the kernel
    assert "imgkit: phase: ready in" in text and "imgkit: all kernels ready in" in text


def test_an_unknown_operation_is_a_usage_error_before_anything_compiles(tmp_path):
    cache = tmp_path / "numba-cache"
    result = warmup("--op", "phase", "--op", "blurr", cache=cache, capture_output=True)
    assert result.returncode == 2
    assert "--op" in result.stderr and "'blurr'" in result.stderr
    assert not cache.exists() or not any(cache.rglob("*"))
