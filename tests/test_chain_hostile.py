"""Hostile pipelines for ``imgkit run``, ``imgkit compare run`` and ``imgkit.pipeline`` (review of
issue 15): quoting, comments, ``--help`` and group words in a stage, errors raised by a later stage,
links no image can pass, outputs that would land on the pipeline's own file."""

import numpy as np
import pytest

import imgkit
from imgkit import io

from conftest import random_image, run_cli


def flat(text):
    return " ".join(text.replace("│", " ").split())


@pytest.fixture
def small(tmp_path):
    """A 24×24 colour PNG (fast to run any chain on)."""
    path = tmp_path / "small.png"
    io.imwrite(str(path), random_image((24, 24, 3), np.uint8, seed=3))
    return path


@pytest.fixture
def nothing_is_read(monkeypatch):
    """Reading an input fails the test (pipeline files and --guide images may be read)."""
    read_bytes = io.read_bytes

    def no_reading(path, **kwargs):
        if str(path).endswith((".pipeline", "guide.png")):
            return read_bytes(path, **kwargs)
        raise AssertionError(f"{path} was read before the pipeline was checked")
    monkeypatch.setattr(io, "read_bytes", no_reading)


# ---------------------------------------------------------------- words, quotes, comments

def test_help_in_a_stage_is_a_value_error_in_python(capsys):
    """The API raised typer.Exit (a RuntimeError) after printing the command's help on stdout."""
    with pytest.raises(ValueError, match=r"stage 2 \(canny\): No such option: --help"):
        imgkit.pipeline("blur --sigma 2 | canny --help")
    assert capsys.readouterr().out == ""


def test_help_in_a_stage_shows_that_commands_options_and_writes_nothing(small, tmp_path, capsys):
    code, out, _ = run_cli("run", "blur --sigma 2 | canny --help", small, "-o", tmp_path / "o.png", capsys=capsys)
    assert code == 0 and "--low" in out and not (tmp_path / "o.png").exists()


@pytest.mark.parametrize("chain", ["fft", "fft --help", "fft --pass low --cutoff 20", "blur | fft"])
def test_a_group_word_alone_says_which_commands_it_has(chain, nothing_is_read, small, tmp_path, capsys):
    """'fft --pass low' was reported as "'fft --pass' is not a command"."""
    words = "'fft' needs one of its commands: spectrum, phase, forward, inverse, filter"
    code, _, err = run_cli("run", chain, small, "-o", tmp_path / "o.png", capsys=capsys)
    assert code == 2 and words in flat(err), flat(err)
    with pytest.raises(ValueError, match=words):
        imgkit.pipeline(chain)


def test_a_quoted_two_word_command_keeps_its_options():
    """The options after a quoted 'fft spectrum' were dropped (two words counted for one)."""
    assert imgkit.pipeline("'fft spectrum' --no-log").steps[0].params == {"log": False}


def test_ctrl_c_while_a_stage_reads_its_guide_is_an_interrupt(small, monkeypatch, capsys):
    """The stage parser's click main turned Ctrl-C into a return value: the run exited 0."""
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(io, "imread", interrupted)
    code, _, err = run_cli("run", f"guided --guide {small}", small, "-o", small.with_name("o.png"), capsys=capsys)
    assert code == 130 and "imgkit: interrupted" in err
    with pytest.raises(KeyboardInterrupt):
        imgkit.pipeline(f"guided --guide {small}")


def test_a_hash_inside_a_word_is_part_of_it(small, tmp_path, capsys):
    """shlex took '#' in the middle of a word as a comment: 'guided --guide shot#1.png | blur'
    read the guide 'shot' and silently dropped every later stage."""
    guide = tmp_path / "shot#1.png"
    guide.write_bytes(small.read_bytes())
    code, _, err = run_cli("run", f"guided --guide {guide} | resize --width 6", small, "-o", tmp_path / "o.npy",
                           capsys=capsys)
    assert code == 0, err
    assert np.load(tmp_path / "o.npy").shape[:2] == (6, 6)


def test_a_hash_in_a_pipeline_text_does_not_drop_the_stages_after_it():
    """Comments belong to pipeline files: inline, '# …' silently ended the pipeline."""
    with pytest.raises(ValueError, match=r"stage 1 \(blur\): Got unexpected extra argument"):
        imgkit.pipeline("blur --sigma 2 # soft | canny")


def test_a_quoted_bar_is_a_value_not_a_separator():
    with pytest.raises(ValueError, match=r"stage 1 \(blur\): --method must be one of .*got '\|'"):
        imgkit.pipeline("blur --method '|' --sigma 2")
    with pytest.raises(ValueError, match=r"stage 1 \(blur\): .*--sigma"):
        imgkit.pipeline('blur --sigma "2|3"')


def test_a_pipeline_file_keeps_quoted_and_inner_hashes(small, tmp_path, capsys):
    guide = tmp_path / "shot #1.png"
    guide.write_bytes(small.read_bytes())
    spec = tmp_path / "g.pipeline"
    spec.write_text(f"# refine\nguided --guide '{guide}'   # the shot\n\nresize --width 6#not-a-comment\n")
    with pytest.raises(ValueError, match=r"stage 2 \(resize\): Invalid value for '--width'"):
        imgkit.pipeline(f"@{spec}")
    spec.write_text(f"# refine\nguided --guide '{guide}'   # the shot\n\nresize --width 6  # smaller\n")
    code, _, err = run_cli("run", f"@{spec}", small, "-o", tmp_path / "o.npy", capsys=capsys)
    assert code == 0, err
    assert np.load(tmp_path / "o.npy").shape[:2] == (6, 6)


@pytest.mark.parametrize("text", [123, b"blur", ["blur"]])
def test_a_pipeline_that_is_not_text_is_a_type_error(text):
    with pytest.raises(TypeError, match="pipeline"):
        imgkit.pipeline(text)


# ---------------------------------------------------------------- what a stage can take

def test_a_large_median_after_a_float_stage_is_refused_before_any_input_is_read(nothing_is_read, small, tmp_path,
                                                                               capsys):
    """median ksize ≥ 7 takes uint8 only; the declaration said every dtype, so every image failed."""
    words = "stage 2 (blur) takes uint8 images, but stage 1 (sobel) gives float32"
    code, _, err = run_cli("run", "sobel --dx 1 | blur --method median --ksize 7", small, "-o", tmp_path / "o.npy",
                           capsys=capsys)
    assert code == 2 and words in flat(err), flat(err)
    imgkit.pipeline("sobel --dx 1 | blur --method median --ksize 5")     # 3 and 5 take any dtype
    with pytest.raises(TypeError, match="uint8"):
        imgkit.median_blur(np.zeros((9, 9), np.float32), 7)


@pytest.mark.parametrize("output, fmt", [("f.png", None), ("f.npy", "png"), ("features/", "jpg")])
def test_features_as_a_picture_are_refused_as_imgkit_hog_refuses_them(output, fmt, nothing_is_read, small, tmp_path,
                                                                      capsys):
    """A chain ending in hog read, compiled and failed every input (exit 1) where `imgkit hog` exits 2."""
    code, _, err = run_cli("run", "blur --sigma 1 | hog", small, "-o", tmp_path / output,
                           *(("--format", fmt) if fmt else ()), capsys=capsys)
    assert code == 2 and "HOG features are a vector, not a picture" in flat(err), flat(err)


# ---------------------------------------------------------------- an error in a later stage names it

def test_an_error_in_a_later_stage_names_the_stage(small, tmp_path, capsys):
    """'small.png: guide must have the image's size 12×12, got 24×24' spoke of a size the input
    does not have: the resized image of stage 1."""
    guide = tmp_path / "guide.png"
    guide.write_bytes(small.read_bytes())
    chain = f"resize --scale 0.5 | guided --guide {guide}"
    code, _, err = run_cli("run", chain, small, "-o", tmp_path / "o.png", capsys=capsys)
    assert code == 1 and f"{small}: stage 2 (guided): guide must have the image's size 12×12" in err, err
    with pytest.raises(ValueError, match=r"stage 2 \(guided\): guide must have the image's size 12×12"):
        imgkit.pipeline(chain)(io.imread(str(small)))
    with pytest.raises(TypeError, match=r"stage 2 \(canny\): image dtype must be one of uint8, got uint16"):
        imgkit.pipeline().resize(scale=0.5).canny()(np.zeros((8, 8), np.uint16))


def test_a_guide_of_another_size_than_an_input_is_refused_naming_the_stage(small, nothing_is_read, tmp_path, capsys):
    guide = tmp_path / "guide.png"
    io.imwrite(str(guide), random_image((10, 12, 3), np.uint8))
    code, _, err = run_cli("run", f"guided --guide {guide} | blur", small, "-o", tmp_path / "o.png", capsys=capsys)
    assert code == 2 and f"stage 1 (guided): {small} is 24×24 but the guide is 12×10" in flat(err), flat(err)


def test_compare_run_names_the_failing_stage(small, tmp_path, capsys):
    guide = tmp_path / "guide.png"
    guide.write_bytes(small.read_bytes())
    code, _, err = run_cli("compare", "run", f"resize --scale 0.5 | guided --guide {guide}", small, "--repeat", "1",
                           capsys=capsys)
    assert code == 1 and "stage 2 (guided): guide must have the image's size" in flat(err), flat(err)


def test_a_one_stage_chain_says_what_the_command_says(tmp_path, capsys):
    deep = tmp_path / "deep.png"
    io.imwrite(str(deep), random_image((8, 8), np.uint16))
    code, _, err = run_cli("run", "canny", deep, "-o", tmp_path / "o.png", capsys=capsys)
    assert code == 1 and f"{deep}: image dtype must be one of uint8, got uint16" in err, err


# ---------------------------------------------------------------- the pipeline file is a file the run reads

def test_no_output_lands_on_the_pipeline_file(small, tmp_path, capsys):
    spec = tmp_path / "steps.png"       # a pipeline file named like an image: -o names it
    spec.write_text("blur --sigma 1\n")
    code, _, err = run_cli("run", f"@{spec}", small, "-o", spec, "--overwrite", capsys=capsys)
    assert code == 2 and "a file this run reads" in flat(err), flat(err)
    assert spec.read_text() == "blur --sigma 1\n"


# ---------------------------------------------------------------- bench --end-to-end

def test_bench_end_to_end_splits_stages_as_imgkit_run_does(tmp_path, monkeypatch):
    """The one-process-a-stage command lines were made with str.split: quotes and @FILE broke them."""
    import subprocess

    from imgkit import bench
    lines = []

    def recorded(line, **kwargs):
        lines.append(line)
        return subprocess.CompletedProcess(line, 0, "", "")
    monkeypatch.setattr(subprocess, "run", recorded)
    monkeypatch.setattr(bench, "photo_folder", lambda directory, count: directory)
    spec = tmp_path / "e.pipeline"
    spec.write_text("resize --scale 0.5\nblur --sigma '2'  # soft\n")
    bench.end_to_end(f"@{spec}", count=1, repeat=1)
    stages = [line[3:line.index("-o") - 1] for line in lines if line[3] != "run"]
    assert stages[:2] == [["resize", "--scale", "0.5"], ["blur", "--sigma", "2"]]


def test_a_bad_bench_chain_names_the_option(capsys):
    code, _, err = run_cli("bench", "--chain", "blur |", "--size", "1080p", capsys=capsys)
    assert code == 2 and "Invalid value for --chain: stage 2 is empty" in flat(err), flat(err)
