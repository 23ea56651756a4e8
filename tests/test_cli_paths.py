"""Paths on the command line (issue 17, items 1, 2, 3 and 13; SPEC §2): --json records on stdout
whatever stderr is, outputs beside their inputs and re-runs, a file-like -o for several inputs,
input lists (@LIST, --from, -0) and --dry-run. Every test runs the real ``imgkit`` process."""

import json
import os
import pty
import subprocess
import sys
import threading

import cv2
import pytest

from conftest import PHOTOS

IMGKIT = [sys.executable, "-m", "imgkit"]


def imgkit(*args, cwd=None, **options):
    """Run ``imgkit ARGS`` in ``cwd``: the CompletedProcess, text streams (stdin empty unless
    ``input`` is given)."""
    if "input" not in options:
        options["stdin"] = subprocess.DEVNULL
    return subprocess.run([*IMGKIT, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=300,
                          **options)


@pytest.fixture
def tree(tmp_path):
    """``d/camera.png``, ``d/coffee.png`` and ``d/sub/chelsea.png``, small crops of the photos."""
    root = tmp_path / "d"
    (root / "sub").mkdir(parents=True)
    for name, target in [("camera.png", root / "camera.png"), ("coffee.png", root / "coffee.png"),
                         ("chelsea.png", root / "sub" / "chelsea.png")]:
        cv2.imwrite(str(target), cv2.imread(str(PHOTOS / name), cv2.IMREAD_UNCHANGED)[:48, :64])
    return root


def files(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def said(result):
    """stderr as one line of words: the usage error's box and its wrapping taken away."""
    return " ".join(result.stderr.translate({ord(c): " " for c in "│╭╮╰╯─"}).split())


def records(stdout):
    return [json.loads(line) for line in stdout.splitlines()]


# ---------------------------------------------------------------- 1. --json whatever stderr is

def test_json_records_reach_stdout_when_stderr_is_a_terminal(tree, tmp_path):
    """stdin and stderr on a pseudo-terminal, stdout on a pipe: every record reaches the pipe and
    parses, and the progress bar still draws on the terminal."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen([*IMGKIT, "blur", str(tree), "-r", "-o", str(tmp_path / "out"), "--json", "-j", "1"],
                               stdin=terminal, stdout=subprocess.PIPE, stderr=terminal,
                               env={**os.environ, "TERM": "xterm", "COLUMNS": "80"})
    os.close(terminal)
    shown = []

    def drain():
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:     # EIO: the terminal's last holder has gone
                return
            if not chunk:
                return
            shown.append(chunk)
    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    stdout, _ = process.communicate(timeout=300)
    reader.join(timeout=30)
    os.close(controller)
    assert process.returncode == 0
    lines = records(stdout.decode())
    assert sorted(line["input"] for line in lines[:-1]) == sorted(
        str(tree / name) for name in ("camera.png", "coffee.png", "sub/chelsea.png"))
    assert all(line["status"] == "ok" for line in lines[:-1]) and lines[-1]["ok"] == 3
    terminal_text = b"".join(shown).decode(errors="replace")
    assert "imgkit" in terminal_text and "{" not in terminal_text     # the bar, and no record
