"""``imgkit run`` and ``imgkit.pipeline`` (issue 15): a chain of commands in one process, each stage
parsed by its command's own options, checked before any input is read, its array passed on as the
operation returns it; and ``compare run`` / ``bench --chain``."""

import os
import subprocess
import sys

import cv2
import numpy as np
import pytest

import imgkit
from imgkit import io, registry

from conftest import BAD, PHOTOS, PHOTO_NAMES, compare_rows, run_cli

IMGKIT = [sys.executable, "-m", "imgkit"]
EDGES = "resize --scale 0.5 | blur --sigma 2 | canny --low 50 --high 150"


def imgkit_process(*args):
    return subprocess.run([*IMGKIT, *map(str, args)], capture_output=True, text=True, timeout=300)


def read(path):
    return io.imread(str(path))


def api_edges(image):
    half = imgkit.resize(image, scale=0.5)
    return imgkit.canny(imgkit.gaussian_blur(half, 2.0), 50, 150)


# ---------------------------------------------------------------- the acceptance chain

def test_run_equals_the_api_and_three_commands_through_npy_on_every_photo(tmp_path):
    result = imgkit_process("run", EDGES, PHOTOS, "-o", tmp_path / "run", "--format", "png")
    assert result.returncode == 0, result.stderr
    for name in PHOTO_NAMES:
        image = read(PHOTOS / name)
        chained = read((tmp_path / "run" / name).with_suffix(".png"))
        np.testing.assert_array_equal(chained, api_edges(image), err_msg=name)
        steps = tmp_path / name
        for command, source, target in ((["resize", "--scale", "0.5"], PHOTOS / name, steps.with_suffix(".1.npy")),
                                        (["blur", "--sigma", "2"], steps.with_suffix(".1.npy"), steps.with_suffix(".2.npy")),
                                        (["canny", "--low", "50", "--high", "150"], steps.with_suffix(".2.npy"),
                                         steps.with_suffix(".png"))):
            code, _, _ = run_cli(*command, source, "-o", target)
            assert code == 0
        np.testing.assert_array_equal(chained, read(steps.with_suffix(".png")), err_msg=name)


def test_float_results_flow_on_as_float32(tmp_path):
    """No 8-bit round trip between stages: the gradient reaches the blur as float32."""
    image = read(PHOTOS / "camera.png")
    code, _, err = run_cli("run", "sobel --dx 1 | blur --sigma 1.5", PHOTOS / "camera.png", "-o", tmp_path / "g.npy")
    assert code == 0, err
    expected = imgkit.gaussian_blur(imgkit.sobel(image, 1, 0), 1.5)
    assert expected.dtype == np.float32
    np.testing.assert_array_equal(np.load(tmp_path / "g.npy"), expected)


@pytest.mark.parametrize("chain", ["fft spectrum | resize --scale 0.5", "sobel --normalize | resize --scale 0.5"])
def test_a_stretch_asked_before_the_last_stage_still_stretches(chain, tmp_path):
    """A stage with no say on 8 bits (resize) keeps the choice of the stage before: the spectrum
    came out nearly black, |v| saturated instead of stretched."""
    from imgkit.batch import to_8bit
    image = read(PHOTOS / "camera.png")
    code, _, err = run_cli("run", chain, PHOTOS / "camera.png", "-o", tmp_path / "s.png")
    assert code == 0, err
    values = imgkit.pipeline(chain)(image)
    np.testing.assert_array_equal(read(tmp_path / "s.png"), to_8bit(values, normalize=True))


def test_reference_runs_every_stage_on_opencv(tmp_path):
    image = read(PHOTOS / "chelsea.png")
    code, _, err = run_cli("run", EDGES, PHOTOS / "chelsea.png", "-o", tmp_path / "e.png", "--reference")
    assert code == 0, err
    np.testing.assert_array_equal(read(tmp_path / "e.png"), imgkit.pipeline(EDGES, backend="opencv")(image))


def test_a_pipeline_file_holds_one_stage_a_line_with_comments(tmp_path):
    spec = tmp_path / "edges.pipeline"
    spec.write_text("# halve, smooth, find edges\nresize --scale 0.5\n\nblur --sigma 2   # soft\n"
                    "  # nothing here\ncanny --low 50 --high 150\n")
    code, _, err = run_cli("run", f"@{spec}", PHOTOS / "coffee.png", "-o", tmp_path / "e.png")
    assert code == 0, err
    np.testing.assert_array_equal(read(tmp_path / "e.png"), api_edges(read(PHOTOS / "coffee.png")))
    np.testing.assert_array_equal(imgkit.pipeline(f"@{spec}")(read(PHOTOS / "coffee.png")), read(tmp_path / "e.png"))


def test_a_hash_inside_a_word_is_not_a_comment(tmp_path):
    """A guide whose name holds '#', inline and in a file (where '#' starts a comment only at a word's start)."""
    guide = tmp_path / "guide#1.png"
    guide.write_bytes((PHOTOS / "camera.png").read_bytes())
    spec = tmp_path / "g.pipeline"
    spec.write_text(f"guided --guide {guide} --radius 4   # steered by a copy | blur\n")
    image = read(PHOTOS / "camera.png")
    expected = imgkit.guided_filter(image, image, radius=4)
    for chain in (f"guided --guide {guide} --radius 4", f"@{spec}"):
        code, _, err = run_cli("run", chain, PHOTOS / "camera.png", "-o", tmp_path / "g.png", "--overwrite")
        assert code == 0, err
        np.testing.assert_array_equal(read(tmp_path / "g.png"), expected)


def test_outputs_are_named_after_the_last_stage_in_its_format(tmp_path):
    source = tmp_path / "photo.png"
    source.write_bytes((PHOTOS / "camera.png").read_bytes())
    code, _, err = run_cli("run", "blur --sigma 1 | hog --cell 16", source)
    assert code == 0, err
    features = np.load(tmp_path / "photo_hog.npy")
    np.testing.assert_array_equal(features, imgkit.hog(imgkit.gaussian_blur(read(source), 1.0), cell=16))


# ---------------------------------------------------------------- the shared rules of single commands

@pytest.mark.parametrize("name, chain", [("bgra.png", "resize --scale 0.5 | blur --sigma 2"),
                                         ("rotated.jpg", "blur --sigma 2 | sobel --dx 1"),
                                         ("deep16.png", "blur --sigma 2 | resize --width 7")])
def test_alpha_orientation_and_depth_as_the_single_commands_have_them(name, chain, tmp_path):
    """Alpha premultiplied around each filtering stage, EXIF orientation applied at decoding, the
    bit depth kept: the chain equals its commands run one by one through .npy files."""
    code, _, err = run_cli("run", chain, BAD / name, "-o", tmp_path / "chained.npy")
    assert code == 0, err
    source = BAD / name
    for index, stage in enumerate(chain.split(" | ")):
        target = tmp_path / f"{index}.npy"
        code, _, err = run_cli(*stage.split(), source, "-o", target)
        assert code == 0, err
        source = target
    chained, one_by_one = np.load(tmp_path / "chained.npy"), np.load(source)
    assert chained.dtype == one_by_one.dtype and chained.shape == one_by_one.shape
    np.testing.assert_array_equal(chained, one_by_one)


def test_alpha_is_premultiplied_in_the_chain(tmp_path):
    """The chain of a BGRA image is not the API chain (which leaves alpha alone, as OpenCV)."""
    image = read(BAD / "bgra.png")
    assert image.shape[2] == 4
    code, _, err = run_cli("run", "blur --sigma 3", BAD / "bgra.png", "-o", tmp_path / "b.npy")
    assert code == 0, err
    from imgkit.alpha import premultiplied
    expected = premultiplied(lambda planes: imgkit.gaussian_blur(planes, 3.0), image)
    np.testing.assert_array_equal(np.load(tmp_path / "b.npy"), expected)


# ---------------------------------------------------------------- usage errors before any input is read

@pytest.fixture
def nothing_is_read(monkeypatch):
    """Reading anything but a pipeline file fails the test."""
    read_bytes = io.read_bytes

    def no_reading(path, **kwargs):
        if str(path).endswith(".pipeline"):
            return read_bytes(path, **kwargs)
        raise AssertionError("an input was read before the pipeline was checked")
    monkeypatch.setattr(io, "read_bytes", no_reading)


@pytest.mark.parametrize("chain, words", [
    ("resize --scale 0.5 | blur --sigmaa 2", "stage 2 (blur): No such option: --sigmaa"),
    ("resize --scale 0.5 | blur --sigma -2", "stage 2 (blur): --sigma must be a finite number in [0, 1000], got -2"),
    ("resize --scale 0.5 | blur --method wavy", "stage 2 (blur): --method must be one of gaussian, box, median"),
    ("resize | blur", "stage 1 (resize): give exactly one of --width/--height, --scale or --fit"),
    ("resize --scale 0.5 | blurr", "stage 2: 'blurr' is not a command that takes an image"),
    ("sobel | canny", "stage 2 (canny) takes uint8 images, but stage 1 (sobel) gives float32"),
    ("hog | blur", "stage 2 (blur) takes images, but stage 1 (hog) gives a feature vector"),
    ("fft forward | blur", "stage 2 (blur) takes uint8 or uint16 or float32 images, but stage 1 (fft forward) "
                           "gives complex64"),
    ("blur | fft inverse", "stage 2 (fft inverse) takes complex64 or complex128 spectra"),
    ("nms", "stage 1: 'nms' is not a command that takes an image"),
    ("blur || canny", "stage 2 is empty"),
    ("blur |", "stage 2 is empty"),
    ("", "the pipeline has no stage"),
    ("blur --sigma '2", "does not parse"),
    ("@/nonexistent/x.pipeline", "@/nonexistent/x.pipeline: cannot read the pipeline"),
])
def test_a_bad_stage_is_a_usage_error_naming_it(chain, words, nothing_is_read, tmp_path, capsys):
    code, _, err = run_cli("run", chain, PHOTOS / "camera.png", "-o", tmp_path / "o.png", capsys=capsys)
    flat = " ".join(err.replace("│", " ").split())
    assert code == 2 and words in flat, flat
    assert not (tmp_path / "o.png").exists()
    with pytest.raises(ValueError) as error:
        imgkit.pipeline(chain)
    assert words in str(error.value)


@pytest.mark.parametrize("make, words", [
    (lambda path: os.mkfifo(path), "not a regular file"),
    (lambda path: path.write_bytes(b"\xff\xfe blur"), "not UTF-8 text"),
    (lambda path: path.write_bytes(b"blur " * 300_000), "larger than"),
])
def test_a_pipeline_file_that_is_not_a_small_text_file_is_refused_at_once(make, words, tmp_path, capsys):
    """A FIFO is never waited on (it used to hang), nor is a huge file read whole."""
    spec = tmp_path / "x.pipeline"
    make(spec)
    code, _, err = run_cli("run", f"@{spec}", PHOTOS / "camera.png", "-o", tmp_path / "o.png", capsys=capsys)
    flat = " ".join(err.replace("│", " ").split())
    assert code == 2 and f"@{spec}: cannot read the pipeline" in flat and words in flat, flat


def test_fft_forward_then_inverse_is_a_chain_that_restores_the_image(tmp_path):
    code, _, err = run_cli("run", "fft forward | fft inverse --dtype uint8", PHOTOS / "camera.png", "-o", tmp_path / "r.png")
    assert code == 0, err
    np.testing.assert_array_equal(read(tmp_path / "r.png"), read(PHOTOS / "camera.png"))


def test_stage_notes_name_the_stage(tmp_path, capsys):
    code, _, err = run_cli("run", "canny --low 200 --high 100", PHOTOS / "camera.png", "-o", tmp_path / "e.png",
                           capsys=capsys)
    assert code == 0 and "stage 1 (canny): --low 200 is above --high 100: swapped" in err


# ---------------------------------------------------------------- Python

def test_pipeline_builder_and_text_agree_and_take_a_backend():
    image = read(PHOTOS / "astronaut.png")
    by_keywords = imgkit.pipeline().resize(scale=0.5).gaussian_blur(sigma=2.0).canny(low=50, high=150)
    np.testing.assert_array_equal(by_keywords(image), api_edges(image))
    np.testing.assert_array_equal(imgkit.pipeline(EDGES)(image), api_edges(image))
    opencv = imgkit.pipeline().then("resize", scale=0.5).then("gaussian_blur", sigma=2.0)
    assert "resize" in repr(opencv)
    reference = imgkit.pipeline(EDGES, backend="opencv")(image)
    assert (reference == api_edges(image)).mean() > 0.999


def test_pipeline_builder_checks_each_stage_as_it_is_added():
    with pytest.raises(ValueError, match=r"sigma must be a finite number in \[0, 1000\], got -1"):
        imgkit.pipeline().gaussian_blur(sigma=-1)
    with pytest.raises(ValueError, match="stage 2 \\(canny\\) takes uint8 images, but stage 1 \\(sobel\\) gives float32"):
        imgkit.pipeline().sobel(dx=1, dy=0).canny()
    with pytest.raises(ValueError, match="takes detection boxes"):
        imgkit.pipeline().nms()
    with pytest.raises(AttributeError, match="no operation 'blurr'"):
        imgkit.pipeline().blurr()
    with pytest.raises(ValueError, match="backend must be"):
        imgkit.pipeline(backend="cuda")


# ---------------------------------------------------------------- compare run, bench --chain

def test_compare_run_reports_each_stage(capsys):
    code, out, err = run_cli("compare", "run", EDGES, PHOTOS / "camera.png", "--repeat", "1", "--json", capsys=capsys)
    assert code == 0, err
    (row,) = compare_rows(out)
    assert [stage["op"] for stage in row["stages"]] == ["resize", "gaussian_blur", "canny"]
    assert row["within_tolerance"] and all(stage["within_tolerance"] for stage in row["stages"])
    assert row["stages"][0]["max_abs"] <= 1 and row["imgkit_ms"] > 0 and row["reference_ms"] > 0
    code, out, _ = run_cli("compare", "run", EDGES, PHOTOS / "camera.png", "--repeat", "1", capsys=capsys)
    assert code == 0 and "gaussian_blur" in out and "all" in out


def test_compare_run_exits_1_when_a_stage_alone_is_outside_its_tolerance(monkeypatch, capsys):
    import dataclasses
    strict = dataclasses.replace(registry.get("gaussian_blur"), tolerance=registry.Tolerance(max_abs=-1))
    monkeypatch.setitem(registry._OPERATIONS, "gaussian_blur", strict)
    code, out, _ = run_cli("compare", "run", "blur --sigma 2", PHOTOS / "camera.png", "--repeat", "1", "--json",
                           capsys=capsys)
    assert code == 1 and not compare_rows(out)[0]["within_tolerance"]


def test_bench_times_a_chain_against_its_opencv_equivalent():
    from imgkit import bench
    from imgkit.chain import Pipeline
    steps = Pipeline([registry.Step("resize", {"scale": 0.5}), registry.Step("gaussian_blur", {"sigma": 2.0})]).steps
    rows = bench.run_chain("resize --scale 0.5 | blur --sigma 2", steps, sizes=("1080p",), repeat=1)
    assert [(row.op, row.kind) for row in rows] == [("chain", "gray"), ("chain", "BGR")]
    assert all(row.imgkit_ms > 0 and row.reference_ms > 0 for row in rows)
