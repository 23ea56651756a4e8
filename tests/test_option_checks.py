"""Options checked by rule (issue 14, items 9 and 11): each operation's ``check_*`` function holds
the rules of its parameters that need no image; the API applies it first, the CLI applies it
through the registry before any input is read or any kernel compiled, and a bad value is a usage
error (exit 2) naming the command's option."""

import importlib.abc
import json
import signal
import sys

import cv2
import numpy as np
import pytest

import imgkit
from imgkit import registry
from imgkit.rules import ParameterError, ParameterTypeError

from conftest import random_image, run_cli

SECONDS = 10        # each case used to hang or compile: now it is refused at once


@pytest.fixture
def nothing_runs(monkeypatch):
    """No kernel can be imported (so nothing compiles) and no input read: a command that tries
    fails with an internal error instead of exit 2."""
    class NoKernels(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "imgkit.kernels" or name.startswith("imgkit.kernels."):
                raise ImportError(f"{name} imported before the options were checked")
            return None

    for name in [name for name in sys.modules if name == "imgkit.kernels" or name.startswith("imgkit.kernels.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [NoKernels()] + sys.meta_path)

    def no_reading(*args, **kwargs):
        raise AssertionError("an input was read before the options were checked")
    from imgkit import io
    monkeypatch.setattr(io, "read_bytes", no_reading)
    monkeypatch.setattr(io, "imread", no_reading)


@pytest.fixture
def within_seconds():
    def too_slow(*_):
        raise TimeoutError(f"took more than {SECONDS} s")
    previous = signal.signal(signal.SIGALRM, too_slow)
    signal.alarm(SECONDS)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def inputs(tmp_path):
    """An image and a detection file: valid, so that only the option can be wrong."""
    cv2.imwrite(str(tmp_path / "x.png"), random_image((32, 32), np.uint8))
    (tmp_path / "boxes.json").write_text(json.dumps([{"box": [0, 0, 10, 10], "score": 0.9}]))
    return tmp_path


# (command words and options, the option the message must name)
BAD_OPTIONS = [
    (["blur", "--sigma", "1e300"], "--sigma"),
    (["blur", "--sigma", "nan"], "--sigma"),
    (["blur", "--sigma", "-1"], "--sigma"),
    (["blur", "--sigma-y", "inf"], "--sigma-y"),
    (["blur", "--sigma", "0"], "--sigma"),
    (["blur", "--ksize", "0"], "--ksize"),
    (["blur", "--ksize", "100001"], "--ksize"),
    (["blur", "--method", "box", "--ksize", "0"], "--ksize"),
    (["blur", "--method", "box", "--ksize", "100001"], "--ksize"),
    (["blur", "--method", "median", "--ksize", "0"], "--ksize"),
    (["blur", "--method", "median", "--ksize", "100001"], "--ksize"),
    (["blur", "--method", "bilateral", "--diameter", "100000"], "--diameter"),
    (["blur", "--method", "bilateral", "--diameter", "0", "--sigma-space", "1e6"], "--sigma-space"),
    (["blur", "--method", "bilateral", "--sigma-color", "nan"], "--sigma-color"),
    (["blur", "--method", "bilateral", "--sigma-color", "-1"], "--sigma-color"),
    (["blur", "--method", "bilateral", "--sigma-space", "-5"], "--sigma-space"),
    (["blur", "--max-pixels", "nan"], "--max-pixels"),
    (["blur", "--max-pixels", "inf"], "--max-pixels"),
    (["blur", "--max-pixels", "0"], "--max-pixels"),
    (["blur", "--max-pixels", "-1"], "--max-pixels"),
    (["canny", "--sigma", "1e300"], "--sigma"),
    (["canny", "--high", "inf"], "--high"),
    (["resize", "--scale", "100000"], "--scale"),
    (["resize", "--scale", "nan"], "--scale"),
    (["resize", "--width", "0"], "--width"),
    (["resize", "--width", "100000", "--height", "100000"], "--width"),
    (["resize", "--fit", "0x10"], "--fit"),
    (["resize", "--scale", "2", "--fit", "10x10"], "--scale"),
    (["resize", "--scale", "2", "--interp", "nearest", "--antialias"], "--antialias"),
    (["hog", "--orientations", "100000"], "--orientations"),
    (["guided", "--radius", "1000000"], "--radius"),
    (["guided", "--radius", "0"], "--radius"),
    (["guided", "--eps", "-1"], "--eps"),
    (["guided", "--eps", "nan"], "--eps"),
    (["guided", "--enhance", "-1"], "--enhance"),
    (["guided", "--subsample", "0"], "--subsample"),
    (["fft", "filter", "--cutoff", "nan"], "--cutoff"),
    (["fft", "filter", "--cutoff", "-1"], "--cutoff"),
    (["fft", "filter", "--width", "0"], "--width"),
    (["fft", "filter", "--order", "nan"], "--order"),
    (["fft", "filter", "--shape", "square"], "--shape"),
    (["nms", "--iou", "1.5"], "--iou"),
    (["nms", "--iou", "nan"], "--iou"),
    (["nms", "--score", "-1"], "--score"),
    (["nms", "--score", "nan"], "--score"),
    (["nms", "--eta", "0"], "--eta"),
    (["nms", "--eta", "nan"], "--eta"),
    (["nms", "--top-k", "-1"], "--top-k"),
    (["nms", "--soft-sigma", "-1"], "--soft-sigma"),
    (["nms", "--soft-sigma", "nan"], "--soft-sigma"),
    (["nms", "--soft-method", "cubic"], "--soft-method"),
    # refused before too, by checks each command wrote by hand: kept, now that the rules moved
    (["canny", "--sigma", "nan"], "--sigma"),
    (["canny", "--low", "nan"], "--low"),
    (["hog", "--orientations", "0"], "--orientations"),
    (["hog", "--cell", "0"], "--cell"),
    (["hog", "--block-norm", "L1"], "--block-norm"),
    (["fft", "filter", "--pass", "sideways"], "--pass"),
    (["sobel", "--dx", "3"], "--dx"),
    (["sobel", "--ksize", "4"], "--ksize"),
    (["laplacian", "--ksize", "9"], "--ksize"),
]


@pytest.mark.parametrize("words, option", BAD_OPTIONS, ids=[" ".join(words) for words, _ in BAD_OPTIONS])
def test_bad_option_is_a_usage_error_naming_it(words, option, inputs, nothing_runs, within_seconds, capsys):
    given = inputs / ("boxes.json" if words[0] == "nms" else "x.png")
    code, _, err = run_cli(*words, given, "-o", inputs / "out", capsys=capsys)
    assert code == 2, err
    assert option in err
    assert "internal error" not in err and "Traceback" not in err


def test_good_options_do_reach_the_kernels(inputs, nothing_runs, capsys):
    """The guard of the test above is real: a run with good options needs what it forbids."""
    code, _, err = run_cli("blur", inputs / "x.png", "-o", inputs / "out.png", capsys=capsys)
    assert code != 0 and ("before the options were checked" in err or "internal error" in err)


def test_prepare_checks_without_compiling(nothing_runs):
    from imgkit.warmup import prepare
    prepare("gaussian_blur", {"sigma": 2.0}, quiet=True)      # no sample run, no kernel imported
    with pytest.raises(ParameterError, match="sigma must be a finite number in"):
        prepare("gaussian_blur", {"sigma": float("inf")}, quiet=True)


def test_bench_markdown_is_checked_before_the_run(tmp_path, monkeypatch, capsys):
    from imgkit import bench

    def no_run(*args, **kwargs):
        raise AssertionError("the benchmark ran before --markdown was checked")
    monkeypatch.setattr(bench, "run", no_run)
    for target in (tmp_path / "missing" / "B.md", tmp_path):
        code, _, err = run_cli("bench", "--op", "gaussian_blur", "--markdown", target, capsys=capsys)
        assert code == 2 and "--markdown" in err and str(target) in err.replace("\n", "").replace("│", "")


# ------------------------------------------------------------------ the API says the same

IMAGE = random_image((40, 40, 3), np.uint8)

# (registry name, parameters, error type, words of the message)
API_CASES = [
    ("gaussian_blur", {"sigma": 1e300}, ValueError, "sigma must be a finite number in [0, 1000], got 1e+300"),
    ("gaussian_blur", {"sigma": 1.0, "ksize": 4}, ValueError, "ksize must be odd, got 4"),
    ("gaussian_blur", {"sigma": 0}, ValueError, "sigma must be > 0 when ksize is not given"),
    ("gaussian_blur", {"sigma": 1.0, "ksize": 2.5}, TypeError, "ksize must be an integer, got 2.5"),
    ("gaussian_blur", {"sigma": 1.0, "border": "mirror"}, ValueError, "border must be one of reflect101"),
    ("box_blur", {"ksize": 0}, ValueError, "ksize must be in [1, 8001], got 0"),
    ("median_blur", {"ksize": 257}, ValueError, "ksize must be in [1, 255], got 257"),
    ("bilateral_filter", {"diameter": 100000}, ValueError, "diameter must be ≤ 401, got 100000"),
    ("bilateral_filter", {"sigma_color": float("nan")}, ValueError, "sigma_color must be a finite number ≥ 0"),
    ("bilateral_filter", {"diameter": 0, "sigma_space": 1e6}, ValueError,
     "sigma_space must be ≤ 133.3 when diameter ≤ 0"),
    ("sobel", {"dx": 0, "dy": 0}, ValueError, "dx and dy cannot both be 0"),
    ("sobel", {"dx": 3, "dy": 0, "ksize": 3}, ValueError, "dx must be ≤ 2 for ksize 3, got 3"),
    ("scharr", {"dx": 1, "dy": 1}, ValueError, "dx and dy must be 1 and 0, or 0 and 1"),
    ("laplacian", {"ksize": 9}, ValueError, "ksize must be one of 1, 3, 5, 7, got 9"),
    ("gradient_magnitude", {"operator": "roberts"}, ValueError, "operator must be one of sobel, scharr, prewitt"),
    ("canny", {"sigma": float("inf")}, ValueError, "sigma must be a finite number in [0, 1000], got inf"),
    ("canny", {"aperture": 4}, ValueError, "aperture must be one of 3, 5, 7, got 4"),
    ("canny", {"low": float("nan")}, ValueError, "low must be a finite number, got nan"),
    ("resize", {"scale": 100000}, ValueError, "scale must be a finite number in (0, 46340], got 100000"),
    ("resize", {"width": 100000, "height": 100000}, ValueError, "width × height must be below 2³¹ pixels"),
    ("resize", {"scale": 2, "fit": "4x4"}, ValueError, "give exactly one of width/height, scale or fit, not scale and fit"),
    ("resize", {"scale": 2, "interp": "nearest", "antialias": True}, ValueError, "antialias applies to linear"),
    ("guided_filter", {"radius": 10**6}, ValueError, "radius must be in [1, 4000], got 1000000"),
    ("guided_filter", {"eps": -1}, ValueError, "eps must be a finite number > 0, got -1"),
    ("guided_filter", {"radius": 2.5}, TypeError, "radius must be an integer, got 2.5"),
    ("frequency_filter", {"cutoff": float("nan")}, ValueError, "cutoff must be a finite number > 0, got nan"),
    ("frequency_filter", {"kind": "sideways"}, ValueError, "kind must be one of low, high, band, notch"),
    ("hog", {"orientations": 100000}, ValueError, "orientations must be in [1, 360], got 100000"),
    ("hog", {"style": "skimage", "signed": True}, ValueError, "signed needs style opencv"),
    ("hog_image", {"cell": 1}, ValueError, "cell must be ≥ 2, got 1"),
    # a flag is True or False, a number a number: "no" turned antialiasing on, "2" and True were numbers
    ("resize", {"scale": 0.5, "antialias": "no"}, TypeError, "antialias must be True or False, got 'no'"),
    ("gaussian_blur", {"sigma": "2"}, TypeError, "sigma must be a number, got '2'"),
    ("gaussian_blur", {"sigma": True}, TypeError, "sigma must be a number, got True"),
]


@pytest.mark.parametrize("name, params, error, words", API_CASES,
                         ids=[f"{name}-{params}" for name, params, _, _ in API_CASES])
def test_check_and_function_raise_the_same_words(name, params, error, words):
    with pytest.raises(error) as checked:
        registry.check(name, params)
    assert words in str(checked.value)
    assert isinstance(checked.value, (ParameterError, ParameterTypeError))
    with pytest.raises(error) as called:
        registry.get(name).function(IMAGE[:, :, 0] if name == "canny" else IMAGE, **params)
    assert str(called.value) == str(checked.value)


@pytest.mark.parametrize("name, params, words", [
    ("nms", {"iou": 1.5}, "iou must be a finite number in [0, 1], got 1.5"),
    ("nms", {"eta": 0}, "eta must be a finite number in (0, 1], got 0"),
    ("nms", {"box_format": "ltrb"}, "box_format must be one of xyxy, xywh, cxcywh"),
    ("soft_nms", {"sigma": float("nan")}, "sigma must be a finite number > 0, got nan"),
    ("soft_nms", {"method": "cubic"}, "method must be one of gaussian, linear"),
])
def test_nms_checks_say_what_nms_says(name, params, words):
    with pytest.raises(ValueError) as checked:
        registry.check(name, params)
    assert words in str(checked.value)
    with pytest.raises(ValueError) as called:
        registry.get(name).function(np.array([[0, 0, 10, 10]]), np.array([0.9]), **params)
    assert str(called.value) == str(checked.value)


def test_every_parameter_of_every_operation_is_declared_with_a_rule():
    """Every parameter of every public operation is declared (``registry.Param``), and each one that
    is a string has a rule (choices, or a rule of its own; numbers always have one: finite, and of
    their type, within any range given): only the inputs
    (image, boxes, scores, classes) and ``backend`` are not parameters. Its bench parameters pass."""
    import inspect
    for name, op in registry.operations().items():
        for params in op.bench:
            op.check(params)
        declared = {param.name: param for param in op.params}
        for parameter in inspect.signature(op.function).parameters.values():
            if parameter.name in declared or parameter.name == "backend":
                continue
            assert parameter.default is inspect.Parameter.empty or parameter.name == "classes", (name, parameter)
        for param in declared.values():
            assert param.type in (bool, int, float, "image") or param.choices or param.parse, (name, param.name)


# ------------------------------------------------------------------ what OpenCV answers

@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
@pytest.mark.parametrize("sigma, ksize", [(1e-300, None), (1e-300, 5), (1e-20, 3), (0.01, None)])
def test_a_vanishing_sigma_leaves_the_image_as_opencv_does(sigma, ksize, dtype):
    """cv2.GaussianBlur's kernel for σ → 0 is a delta; imgkit divided by σ² = 0 instead (1e-300;
    1e-20 and 0.01, whose squares do not vanish, worked already and stay as neighbours)."""
    image = random_image((20, 24, 3), dtype)
    expected = cv2.GaussianBlur(image, (ksize or 0, ksize or 0), sigma)
    np.testing.assert_array_equal(expected, image)
    np.testing.assert_array_equal(imgkit.gaussian_blur(image, sigma, ksize=ksize), expected)
    np.testing.assert_array_equal(imgkit.gaussian_blur(image, sigma, ksize=ksize, backend="opencv"), expected)


def test_cli_blur_with_a_vanishing_sigma_writes_the_image_unchanged(inputs, capsys):
    code, _, err = run_cli("blur", "--sigma", "1e-300", inputs / "x.png", "-o", inputs / "same.png", capsys=capsys)
    assert code == 0, err
    np.testing.assert_array_equal(cv2.imread(str(inputs / "same.png")), cv2.imread(str(inputs / "x.png")))


def test_canny_with_a_vanishing_sigma_is_canny_without_blur():
    image = random_image((30, 30), np.uint8)
    np.testing.assert_array_equal(imgkit.canny(image, sigma=1e-300), imgkit.canny(image, sigma=0))


def test_resize_refuses_an_output_of_2_31_pixels_before_allocating_it():
    tall = np.zeros((100_000, 1), np.uint8)         # 50000 wide keeps the aspect: 5·10⁹ pixels
    with pytest.raises(ValueError, match="2³¹ or more"):
        imgkit.resize(tall, width=50_000)


def test_hog_refuses_a_feature_vector_too_long_to_hold_before_allocating_it():
    image = np.zeros((2000, 2000), np.uint8)
    with pytest.raises(ValueError, match="the feature vector would hold"):
        imgkit.hog(image, cell=1, block=400, style="skimage")
