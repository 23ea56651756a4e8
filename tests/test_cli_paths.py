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


# ---------------------------------------------------------------- 2. beside each input, re-runs

@pytest.mark.parametrize("form", ["directory", "glob"])
def test_outputs_go_beside_their_inputs_and_a_rerun_finds_the_same_names(tree, form):
    pattern = [str(tree), "-r"] if form == "directory" else [str(tree / "**" / "*.png")]
    first = imgkit("blur", *pattern, "-j", "1")
    assert first.returncode == 0, first.stderr
    expected = ["camera.png", "camera_blur.png", "coffee.png", "coffee_blur.png", "sub/chelsea.png",
                "sub/chelsea_blur.png"]
    assert files(tree) == expected
    again = imgkit("blur", *pattern, "-j", "1")
    assert again.returncode == 1 and again.stderr.count("output exists") == 3     # the same names, refused
    skipped = imgkit("blur", *pattern, "--skip-existing", "--json")
    assert skipped.returncode == 0, skipped.stderr
    assert [r["status"] for r in records(skipped.stdout)[:-1]] == ["skipped"] * 3
    replaced = imgkit("blur", *pattern, "--overwrite", "--json", "-j", "1")
    assert replaced.returncode == 0, replaced.stderr
    assert sorted(r["output"] for r in records(replaced.stdout)[:-1]) == [str(tree / n) for n in expected[1::2]]
    assert files(tree) == expected      # no photo_blur_blur.png, no nested directory


def test_an_input_named_on_the_command_line_is_never_left_out(tree):
    assert imgkit("blur", tree / "camera.png").returncode == 0
    both = imgkit("blur", tree / "camera.png", tree / "camera_blur.png")
    assert both.returncode == 2 and "a file this run reads" in said(both)


# ---------------------------------------------------------------- 3. -o x.png for several inputs

@pytest.mark.parametrize("name", ["x.png", "x.JPEG", "x.Tif", "x.npy", "x.csv"])
def test_several_inputs_with_a_file_name_as_output_are_a_usage_error(tree, tmp_path, name):
    out = tmp_path / "out" / name
    result = imgkit("blur", tree / "camera.png", tree / "coffee.png", "-o", out)
    assert result.returncode == 2
    assert "2 inputs" in said(result) and f"'{name}' looks like a file name" in said(result)
    assert not (tmp_path / "out").exists()


def test_a_directory_of_inputs_with_a_file_name_as_output_is_a_usage_error(tree, tmp_path):
    result = imgkit("blur", tree, "-o", tmp_path / "x.png")
    assert result.returncode == 2 and "looks like a file name" in said(result)
    assert not (tmp_path / "x.png").exists()


def test_a_path_ending_in_a_slash_is_a_directory_whatever_its_extension(tree, tmp_path):
    result = imgkit("blur", tree / "camera.png", tree / "coffee.png", "-o", f"{tmp_path / 'x.png'}/", "-j", "1")
    assert result.returncode == 0, result.stderr
    assert files(tmp_path / "x.png") == ["camera.png", "coffee.png"]
