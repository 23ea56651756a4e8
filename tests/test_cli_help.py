"""Issue 17, item 7: help that teaches. Every command's ``--help`` fits 80 columns and ends with
examples that parse as written; placeholders name what they stand for and flags show none; the
names agree across commands, the old spellings still accepted but hidden; shell completion (bash,
zsh, fish) completes commands, options, choices and paths, in-process even with a server."""

import functools
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import PHOTOS

IMGKIT = [sys.executable, "-m", "imgkit"]
VAGUE = re.compile(r"<[a-z][a-z_ \[\]]*>|\b(?:NUMBER|TEXT|INTEGER|FLOAT)\b")
ANSI = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]")


def imgkit(*args, env=None, cwd=None):
    return subprocess.run([*IMGKIT, *map(str, args)], capture_output=True, text=True, timeout=300, cwd=cwd,
                          stdin=subprocess.DEVNULL, env={**os.environ, "IMGKIT_NO_SERVER": "1", **(env or {})})


def command_paths():
    """Every command and group, as the words that name it (the bare ``imgkit`` is [])."""
    import typer.main

    from imgkit.cli import app

    def walk(command, path):
        yield path
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            yield from walk(sub, [*path, name])
    return list(walk(typer.main.get_command(app), []))


@functools.lru_cache(maxsize=None)
def _helps(env):
    paths = command_paths()
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda path: imgkit(*path, "--help", env=dict(env)), paths))
    return {" ".join(path): result for path, result in zip(paths, results)}


def helps(env):
    """``imgkit … --help`` of every command, two at a time; run once per environment."""
    return _helps(tuple(sorted(env.items())))


def examples_of(text):
    """The command lines after the "Examples:" line of a rendered ``--help``."""
    assert "Examples:" in text, text
    return [line.strip() for line in text.split("Examples:", 1)[1].splitlines() if line.strip()]


# ``COLUMNS`` for rich's plain rendering; ``TERMINAL_WIDTH`` is Typer's own width, and ``FORCE_COLOR``
# makes rich render as for a terminal (escape sequences, stripped before measuring)
@pytest.mark.parametrize("env", [{"COLUMNS": "80"}, {"TERMINAL_WIDTH": "80", "FORCE_COLOR": "1", "COLUMNS": "200"}],
                         ids=["COLUMNS", "TERMINAL_WIDTH"])
def test_every_help_fits_80_columns_ends_with_examples_and_has_no_vague_placeholder(env):
    for name, result in helps(env).items():
        assert result.returncode == 0, (name, result.stderr)
        text = ANSI.sub("", result.stdout)
        widths = [len(line.rstrip()) for line in text.splitlines()]
        assert max(widths) <= 80, (name, max(widths))
        assert not VAGUE.findall(text), (name, VAGUE.findall(text))
        shown = examples_of(text)
        assert 2 <= len(shown) <= 3 and all(line.startswith("imgkit ") for line in shown), (name, shown)
        assert text.rstrip().endswith(shown[-1]), name       # the examples end the help


def test_flags_show_no_placeholder_and_values_show_theirs():
    text = imgkit("sobel", "--help", env={"COLUMNS": "80"}).stdout
    for flag, help_start in (("--normalize", "For 8-bit"), ("--json", "One JSON"), ("--overwrite", "Replace"),
                             ("--help", "Show this")):
        assert re.search(rf"{flag}\s+{help_start}", text), flag
    for option, placeholder in (("--output", "PATH"), ("--format", "FORMAT"), ("--quality", "N"), ("--jobs", "N"),
                                ("--dx", "ORDER"), ("--norm", "NORM"), ("--border", "BORDER"), ("--suffix", "SUFFIX")):
        assert re.search(rf"{option}\s+(?:-\w\s+)?{placeholder}\s", text), option
    assert re.search(r"INPUT\s+Image files", imgkit("blur", "--help", env={"COLUMNS": "80"}).stdout)


def test_every_example_in_every_help_parses_with_its_command(folder, monkeypatch):
    """Each example's words are the options of its command, with values its rules accept
    (parsed, not run: a run compiles every kernel), in a folder with photo.jpg and photos/."""
    monkeypatch.chdir(folder)
    import typer.main

    from imgkit import registry
    from imgkit.cli import app
    from imgkit.cli.commands import build_step
    root = typer.main.get_command(app)
    declared = registry.commands()
    for name, result in helps({"COLUMNS": "80"}).items():     # each example fits one line there (checked above)
        for line in examples_of(result.stdout):
            for part in re.split(r"\s*(?:;|&&|\|\|)\s*", line):
                words = shlex.split(part)[1:]
                command, path = root, []
                while hasattr(command, "commands") and words and words[0] in command.commands:
                    path.append(words[0])
                    command = command.commands[words.pop(0)]
                with command.make_context(" ".join(path), list(words), resilient_parsing=False) as context:
                    params = context.params
                named = " ".join(path[1:] if path[:1] == ["compare"] else path)
                if named in declared:       # the command's own rules too (--method's choices…)
                    options = {p.name for p in declared[named].options}
                    build_step(declared[named], {k: v for k, v in params.items() if k in options or "_alias_" in k})


# ---------------------------------------------------------------- one name for one thing, old ones hidden

@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A 48×40 crop of a photo: the runs below compare results, not speeds."""
    import cv2
    folder = tmp_path_factory.mktemp("small")
    cv2.imwrite(str(folder / "photo.png"), cv2.imread(str(PHOTOS / "coffee.png"))[100:140, 100:148])
    return folder / "photo.png"


@pytest.mark.parametrize("command, new, old, hidden", [
    ("canny", ["--ksize", "5", "--norm", "l2", "--low", "200", "--high", "600"],
     ["--aperture", "5", "--l2", "--low", "200", "--high", "600"], ["--aperture", "--l2"]),
    ("sobel", ["--norm", "l1"], ["--l1"], ["--l1"]),
    ("prewitt", ["--norm", "l1"], ["--l1"], ["--l1"]),
    ("fft filter", ["--pass", "band", "--cutoff", "8", "--band-width", "4"],
     ["--pass", "band", "--cutoff", "8", "--width", "4"], ["--width"]),
])
def test_old_spellings_are_hidden_and_give_what_the_new_ones_give(tmp_path, small, command, new, old, hidden):
    text = imgkit(*command.split(), "--help", env={"COLUMNS": "200"}).stdout
    assert all(not re.search(rf"{re.escape(name)}\b", text) for name in hidden), text
    outputs = []
    for label, options in (("new", new), ("old", old)):
        out = tmp_path / f"{label}.tif"
        result = imgkit(*command.split(), small, *options, "-o", out)
        assert result.returncode == 0, result.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    chained = imgkit("run", f"{command} {' '.join(old)}", small, "-o", tmp_path / "chain.tif")
    assert chained.returncode == 0 and (tmp_path / "chain.tif").read_bytes() == outputs[0], chained.stderr


def test_an_old_spelling_is_named_in_its_errors_and_cannot_contradict_the_new(tmp_path, small):
    result = imgkit("canny", small, "--aperture", "4", "-o", tmp_path / "e.png")
    assert result.returncode == 2 and "--aperture" in result.stderr and "Traceback" not in result.stderr
    result = imgkit("canny", small, "--ksize", "7", "--aperture", "5", "-o", tmp_path / "e.png")
    assert result.returncode == 2 and "--aperture is the old spelling of --ksize" in result.stderr
    result = imgkit("sobel", small, "--norm", "l1", "--component", "angle", "-o", tmp_path / "e.png")
    assert result.returncode == 2 and "--norm applies to the magnitude only" in result.stderr
    assert not (tmp_path / "e.png").exists()


def test_the_python_api_keeps_opencvs_parameter_names(small):
    import cv2

    import imgkit as api
    image = cv2.imread(str(small))
    assert (api.canny(image, 200, 600, aperture=5, l2=True) == cv2.Canny(
        cv2.GaussianBlur(image, (7, 7), 1.0), 200, 600, apertureSize=5, L2gradient=True)).all()


def test_warmup_and_bench_take_command_names_and_the_old_operation_names():
    result = imgkit("warmup", "--op", "blur --method box")
    assert result.returncode == 0 and "imgkit: box_blur: ready" in result.stderr, result.stderr
    assert "gaussian_blur" not in result.stderr
    result = imgkit("warmup", "--op", "box_blur")      # the old spelling, still accepted
    assert result.returncode == 0 and "imgkit: box_blur: ready" in result.stderr, result.stderr
    wide = functools.partial(imgkit, env={"COLUMNS": "300"})    # error boxes unwrapped
    for tool in ("warmup", "bench"):
        result = wide(tool, "--op", "blurr")
        assert result.returncode == 2 and "must be a command (blur, canny" in result.stderr, result.stderr
        result = wide(tool, "--op", "blur --method boxy")
        assert result.returncode == 2 and "'blur --method boxy': --method must be one of" in result.stderr, result.stderr
        assert "gaussian_blur" not in wide(tool, "--help").stdout


def test_operations_of_a_command_are_the_ones_it_runs():
    from imgkit.cli.commands import operations_of
    assert operations_of("blur") == ["gaussian_blur", "box_blur", "median_blur", "bilateral_filter"]
    assert operations_of("blur --method median") == ["median_blur"]
    assert operations_of("sobel --component angle") == ["gradient_angle"]
    assert operations_of("fft filter") == ["frequency_filter"]
    assert operations_of("gaussian_blur") == ["gaussian_blur"]
    assert operations_of("sobel") == ["sobel"]      # an operation's name keeps its meaning
    assert operations_of("sobel --component magnitude") == ["gradient_magnitude"]
    assert operations_of("sobel --dx 1") == ["sobel"]


# ---------------------------------------------------------------- shell completion

@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A directory with photo.jpg and photos/, where completions are asked for."""
    folder = tmp_path_factory.mktemp("completion")
    shutil.copy(PHOTOS / "rocket.jpg", folder / "photo.jpg")
    (folder / "photos").mkdir()
    return folder


def bash(line, folder, env=None):
    """What the bash script gets for the last word of ``line`` (a trailing space: a new word)."""
    words = line.split() + ([""] if line.endswith(" ") else [])
    result = imgkit(env={"_IMGKIT_COMPLETE": "complete_bash", "COMP_WORDS": " ".join(words),
                         "COMP_CWORD": str(len(words) - 1), **(env or {})}, cwd=folder)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


@pytest.mark.parametrize("line, wanted, unwanted", [
    ("imgkit bl", ["blur"], []),
    ("imgkit ", ["blur", "canny", "resize", "run", "compare", "fft"], []),
    ("imgkit fft fi", ["filter"], []),
    ("imgkit blur --sig", ["--sigma", "--sigma-y", "--sigma-color", "--sigma-space"], []),
    ("imgkit canny --", ["--ksize", "--norm", "--output"], ["--aperture", "--l2"]),
    ("imgkit blur --border re", ["reflect101", "reflect", "replicate"], ["wrap"]),
    ("imgkit resize --interp l", ["linear", "lanczos"], ["cubic"]),
    ("imgkit sobel --norm ", ["l1", "l2"], []),
    ("imgkit blur pho", ["photo.jpg", "photos/"], []),
    ("imgkit blur photo.jpg -o pho", ["photo.jpg", "photos/"], []),
    ("imgkit guided photo.jpg --guide photo.", ["photo.jpg"], []),
    ("imgkit warmup --op ca", ["canny"], []),
])
def test_bash_completion(folder, line, wanted, unwanted):
    offered = bash(line, folder)
    assert set(wanted) <= set(offered) and not set(unwanted) & set(offered), offered


def test_zsh_and_fish_completion(folder):
    zsh = imgkit(env={"_IMGKIT_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "imgkit blur --method b"},
                 cwd=folder)
    assert zsh.returncode == 0 and '"box"' in zsh.stdout and '"bilateral"' in zsh.stdout, zsh.stdout
    fish = imgkit(env={"_IMGKIT_COMPLETE": "complete_fish", "_TYPER_COMPLETE_FISH_ACTION": "get-args",
                       "_TYPER_COMPLETE_ARGS": "imgkit canny pho"}, cwd=folder)
    assert fish.returncode == 0 and "photo.jpg" in fish.stdout.split() and "photos/" in fish.stdout.split()


@pytest.mark.parametrize("shell, line", [("bash", "complete -o default -F _imgkit_completion imgkit"),
                                         ("zsh", "compdef _imgkit_completion imgkit"),
                                         ("fish", "complete --command imgkit")])
def test_show_and_install_completion(tmp_path, shell, line):
    env = {"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1", "HOME": str(tmp_path)}
    shown = imgkit("--show-completion", shell, env=env)
    assert shown.returncode == 0 and line in shown.stdout and "_IMGKIT_COMPLETE=complete_" in shown.stdout
    installed = imgkit("--install-completion", shell, env=env)
    assert installed.returncode == 0 and f"{shell} completion installed" in installed.stdout, installed.stderr
    assert any("_IMGKIT_COMPLETE" in path.read_text() for path in tmp_path.rglob("*") if path.is_file())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the server is Linux-only (SO_PEERCRED)")
def test_completion_is_answered_in_process_with_a_server_running(folder):
    """The server runs calls with a subset of the caller's environment, which has neither the
    completion variables nor the asking shell: completion must not go there."""
    runtime = tempfile.mkdtemp(prefix="imgkit-c-", dir="/tmp")
    env = {k: v for k, v in os.environ.items() if k != "IMGKIT_NO_SERVER"}
    env["XDG_RUNTIME_DIR"] = runtime
    run = [*IMGKIT, "server"]
    try:
        subprocess.run([*run, "start", "--idle-timeout", "120"], env=env, check=True, capture_output=True, timeout=120)
        result = subprocess.run(IMGKIT, capture_output=True, text=True, timeout=120, cwd=folder, env={
            **env, "_IMGKIT_COMPLETE": "complete_bash", "COMP_WORDS": "imgkit blur --bor", "COMP_CWORD": "2"})
        assert result.stdout.split() == ["--border"], result
        status = subprocess.run([*run, "status"], env=env, capture_output=True, text=True, timeout=60)
        assert " 0 calls served" in status.stdout, status.stdout
    finally:
        subprocess.run([*run, "stop"], env=env, capture_output=True, timeout=60)
        shutil.rmtree(runtime, ignore_errors=True)


def test_a_command_call_builds_no_completion_options(monkeypatch):
    """Start-up: ``--install-completion``/``--show-completion`` belong to the bare ``imgkit``; a
    command's call does not build them (nor the other commands, tests/test_startup.py)."""
    from imgkit.cli import _app_for
    monkeypatch.delenv("_IMGKIT_COMPLETE", raising=False)
    assert _app_for(["blur", "photo.jpg"])._add_completion is False
    assert _app_for(["--help"])._add_completion is True and _app_for([])._add_completion is True
    assert _app_for(["--version"])._add_completion is False
    assert _app_for(["--show-completion"])._add_completion is True
    monkeypatch.setenv("_IMGKIT_COMPLETE", "complete_bash")
    assert len(_app_for(["blur"]).registered_commands) > 1      # completing: every command


def test_imgkit_pipeline_text_takes_the_old_spellings(small):
    import cv2

    import imgkit as api
    image = cv2.imread(str(small))
    old, new = api.pipeline("sobel --l1 | resize --width 20"), api.pipeline("sobel --norm l1 | resize --width 20")
    assert (old(image) == new(image)).all()
    with pytest.raises(ValueError, match="--l1 applies to the magnitude only"):
        api.pipeline("sobel --l1 --component angle")
