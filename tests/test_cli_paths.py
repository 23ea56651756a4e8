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


# ---------------------------------------------------------------- 13. lists and --dry-run

def test_at_list_reads_one_path_a_line(tree, tmp_path):
    listing = tmp_path / "list.txt"
    listing.write_bytes(b"d/camera.png\r\n\nd/sub/chelsea.png\n")
    result = imgkit("blur", "@list.txt", "-o", "out/", "-j", "1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert files(tmp_path / "out") == ["d/camera.png", "d/sub/chelsea.png"]     # listed paths mirrored


def test_from_stdin_nul_separated_as_find_print0_writes(tree, tmp_path):
    names = b"\0".join([str(tree / "camera.png").encode(), str(tree / "sub" / "chelsea.png").encode()]) + b"\0"
    result = subprocess.run([*IMGKIT, "blur", "--from", "-", "-0", "-o", str(tmp_path / "out"), "--json", "-j", "1"],
                            input=names, capture_output=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert sorted(r["input"] for r in records(result.stdout.decode())[:-1]) == [str(tree / "camera.png"),
                                                                                 str(tree / "sub" / "chelsea.png")]
    assert files(tmp_path / "out") == ["camera.png", "chelsea.png"]     # absolute paths: their names


def test_names_in_a_list_are_literal(tree, tmp_path):
    (tmp_path / "list.txt").write_text("d/*.png\n")
    result = imgkit("blur", "--from", "list.txt", "-o", "out/", cwd=tmp_path)
    assert result.returncode == 1 and "d/*.png" in result.stderr      # no glob expansion: no such file
    assert not (tmp_path / "out").exists() or files(tmp_path / "out") == []


def test_from_stdin_is_refused_on_a_terminal(tree, tmp_path):
    controller, terminal = pty.openpty()
    try:
        result = subprocess.run([*IMGKIT, "blur", "--from", "-", "-o", str(tmp_path / "out")], stdin=terminal,
                                capture_output=True, text=True, timeout=120)
    finally:
        os.close(terminal)
        os.close(controller)
    assert result.returncode == 2 and "stdin is a terminal" in said(result)


@pytest.mark.parametrize("args, words", [
    (["--from", "-", "-"], "cannot be combined with '-'"),
    (["-0", "PHOTO"], "-0/--null"),
    (["@missing.txt"], "cannot read list missing.txt"),
    ([], "no INPUT given"),
])
def test_list_usage_errors(tree, tmp_path, args, words):
    args = [str(tree / "camera.png") if arg == "PHOTO" else arg for arg in args]
    result = imgkit("blur", "--sigma", "1", *args, "-o", "out/", cwd=tmp_path, input="")
    assert result.returncode == 2 and words in said(result), result.stderr


def test_a_list_file_is_never_an_output(tree, tmp_path):
    listing = tmp_path / "list.png"
    listing.write_text(f"{tree / 'camera.png'}\n")
    result = imgkit("blur", f"@{listing}", "-o", listing, "--overwrite")
    assert result.returncode == 2 and "a file this run reads" in said(result)
    assert listing.read_text() == f"{tree / 'camera.png'}\n"


def test_a_list_is_capped(tmp_path):
    (tmp_path / "big.txt").write_bytes(b"a" * ((16 << 20) + 1))
    result = imgkit("blur", "@big.txt", "-o", "out/", cwd=tmp_path)
    assert result.returncode == 2 and "larger than 16 MiB" in said(result)


@pytest.mark.parametrize("command", [["blur", "--sigma", "2"], ["run", "resize --scale 0.5 | blur"]])
def test_dry_run_prints_each_task_and_writes_nothing(tree, tmp_path, command):
    cache = tmp_path / "cache"      # empty: a compiled kernel would be cached there
    cache.mkdir()
    before = files(tmp_path)
    result = imgkit(*command, "d", "-r", "-o", "out/new/", "--dry-run", cwd=tmp_path,
                    env={**os.environ, "NUMBA_CACHE_DIR": str(cache)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"d/{name} -> out/new/{name}"
                                          for name in ("camera.png", "coffee.png", "sub/chelsea.png")]
    assert files(tmp_path) == before and not (tmp_path / "out").exists()
    assert "compiling" not in result.stderr and not any(cache.iterdir())


def test_dry_run_with_json_gives_one_planned_record_per_task(tree, tmp_path):
    (tmp_path / "list.txt").write_text("d/coffee.png\nd/camera.png\n")
    result = imgkit("blur", "@list.txt", "--dry-run", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = records(result.stdout)
    assert [(r["input"], r["output"], r["status"]) for r in lines[:-1]] == [
        ("d/camera.png", "d/camera_blur.png", "planned"), ("d/coffee.png", "d/coffee_blur.png", "planned")]
    assert lines[-1] == {"planned": 2, "total": 2}
    assert files(tree) == ["camera.png", "coffee.png", "sub/chelsea.png"]


def test_dry_run_keeps_usage_errors(tree, tmp_path):
    result = imgkit("blur", tree / "camera.png", tree / "coffee.png", "-o", tmp_path / "x.png", "--dry-run")
    assert result.returncode == 2 and result.stdout == ""


def test_hog_takes_lists_and_dry_run(tree, tmp_path):
    (tmp_path / "list.txt").write_text("d/camera.png\n")
    result = imgkit("hog", "@list.txt", "-o", "f.npy", "--visualize", "v.png", "--dry-run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["d/camera.png -> f.npy", "d/camera.png -> v.png"]
    assert not (tmp_path / "f.npy").exists()


def test_nms_takes_lists_and_dry_run(tmp_path):
    detections = {"boxes": [[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], "scores": [0.9, 0.8, 0.7]}
    (tmp_path / "a.json").write_text(json.dumps(detections))
    (tmp_path / "b.json").write_text(json.dumps(detections))
    names = b"a.json\0b.json\0"
    planned = subprocess.run([*IMGKIT, "nms", "--from", "-", "-0", "-o", "out/", "--dry-run"], cwd=tmp_path,
                             input=names, capture_output=True, text=False, timeout=300)
    assert planned.returncode == 0, planned.stderr
    assert planned.stdout.decode().splitlines() == ["a.json -> out/a.json", "b.json -> out/b.json"]
    assert not (tmp_path / "out").exists()
    (tmp_path / "list.json").write_text("a.json\n")
    refused = imgkit("nms", "@list.json", "-o", "list.json", "--overwrite", cwd=tmp_path)
    assert refused.returncode == 2 and "a file this run reads" in said(refused)
    done = imgkit("nms", "@list.json", "-o", "kept.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(json.loads((tmp_path / "kept.json").read_text())["boxes"]) == 2


def test_a_find_list_with_directories_takes_their_images_once(tree, tmp_path):
    (tree / "empty").mkdir()
    names = subprocess.run(["find", "d", "-print0"], cwd=tmp_path, capture_output=True, check=True).stdout
    result = subprocess.run([*IMGKIT, "blur", "--from", "-", "-0", "-o", "out/", "--dry-run"], cwd=tmp_path,
                            input=names, capture_output=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert sorted(result.stdout.decode().splitlines()) == [
        "d/camera.png -> out/d/camera.png", "d/coffee.png -> out/d/coffee.png",
        "d/sub/chelsea.png -> out/d/sub/chelsea.png"]
    only_empty = subprocess.run([*IMGKIT, "blur", "--from", "-", "-o", "out/"], cwd=tmp_path, input=b"d/empty\n",
                                capture_output=True, timeout=300)
    assert only_empty.returncode == 2 and b"no images in the directories listed" in only_empty.stderr
