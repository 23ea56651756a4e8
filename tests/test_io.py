"""imgkit.io: decoding, encoding, header sizes, the bad inputs of SPEC §7, atomic writes."""

import importlib.util
import io as stdio
import os
import shutil
import stat
import struct
import sys
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import imgkit
from conftest import BAD, EDGE_SHAPES, PHOTOS, ROOT, random_image
from imgkit import io
from imgkit.io import ImageError

_spec = importlib.util.spec_from_file_location("make_bad", ROOT / "fixtures" / "make_bad.py")
make_bad = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_bad)


def image_of(shape, channels, dtype, seed=0):
    return random_image(shape if channels == 1 else (*shape, channels), dtype, seed)


def assert_error(call, path, reason):
    with pytest.raises(ImageError) as caught:
        call()
    assert caught.value.path == path
    assert caught.value.reason == reason
    assert str(caught.value) == f"{path}: {reason}"


# ---------------------------------------------------------------- round trips

LOSSLESS = ([("png", dtype, c) for dtype in ("uint8", "uint16") for c in (1, 3, 4)]
            + [("tiff", dtype, c) for dtype in ("uint8", "uint16", "float32") for c in (1, 3, 4)]
            + [("bmp", "uint8", c) for c in (1, 3, 4)]
            + [("npy", dtype, c) for dtype in ("uint8", "uint16", "float32") for c in (1, 3, 4)])


@pytest.mark.parametrize("fmt, dtype, channels", LOSSLESS)
def test_lossless_round_trip_is_bit_exact(fmt, dtype, channels):
    for seed, shape in enumerate(EDGE_SHAPES):
        image = image_of(shape, channels, dtype, seed)
        decoded = io.decode(io.encode(image, fmt), name="x")
        assert decoded.dtype == image.dtype
        np.testing.assert_array_equal(decoded, image)


def test_webp_without_quality_is_lossless():
    bgr = image_of((31, 64), 3, "uint8")
    np.testing.assert_array_equal(io.decode(io.encode(bgr, "webp"), name="x"), bgr)

    bgra = image_of((31, 64), 4, "uint8", seed=1)
    bgra[..., 3][bgra[..., 3] < 64] = 0
    decoded = io.decode(io.encode(bgra, "webp"), name="x")
    np.testing.assert_array_equal(decoded[..., 3], bgra[..., 3])
    visible = bgra[..., 3] > 0   # lossless WebP may drop the colour of fully transparent pixels
    np.testing.assert_array_equal(decoded[visible], bgra[visible])

    gray = image_of((31, 64), 1, "uint8", seed=2)   # WebP stores colour: gray comes back via gray=True
    np.testing.assert_array_equal(io.decode(io.encode(gray, "webp"), name="x", gray=True), gray)


@pytest.mark.parametrize("fmt", ["jpg", "webp"])
@pytest.mark.parametrize("channels", [1, 3])
def test_lossy_round_trip_is_close_and_quality_matters(fmt, channels):
    image = make_bad.picture(48, 64)
    if channels == 1:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    decoded = io.decode(io.encode(image, fmt, quality=95), name="x", gray=channels == 1)
    assert decoded.shape == image.shape and decoded.dtype == np.uint8
    assert np.abs(decoded.astype(int) - image).mean() < 3
    assert len(io.encode(image, fmt, quality=10)) < len(io.encode(image, fmt, quality=95))


def test_public_imread_imwrite(tmp_path):
    image = image_of((16, 17), 4, "uint16")
    target = tmp_path / "deep.tif"
    imgkit.imwrite(target, image)
    np.testing.assert_array_equal(imgkit.imread(target), image)
    imgkit.imwrite(target, image[::-1])   # overwrites by default, as cv2.imwrite does
    np.testing.assert_array_equal(imgkit.imread(str(target)), image[::-1])


def test_gray_keeps_depth_and_matches_opencv(photo_name):
    path = PHOTOS / photo_name
    np.testing.assert_array_equal(io.imread(path, gray=True), cv2.imread(str(path), cv2.IMREAD_GRAYSCALE))
    deep = io.imread(BAD / "deep16.png", gray=True)
    assert deep.dtype == np.uint16 and deep.ndim == 2


def test_colour_photos_decode_as_cv2_imread(photo_name):
    path = PHOTOS / photo_name
    expected = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(io.imread(path), expected)


# ---------------------------------------------------------------- encoding errors

@pytest.mark.parametrize("fmt", ["png", "jpg", "webp", "bmp"])
def test_float32_is_refused_where_it_cannot_be_stored(fmt):
    with pytest.raises(ValueError, match=rf"^{fmt} cannot hold float32 pixels \(tiff and npy keep float32\)$"):
        io.encode(np.zeros((4, 4), np.float32), fmt)


@pytest.mark.parametrize("fmt", ["jpg", "webp", "bmp"])
def test_uint16_is_refused_where_it_cannot_be_stored(fmt):
    with pytest.raises(ValueError, match=r"png, tiff and npy keep uint16"):
        io.encode(np.zeros((4, 4, 3), np.uint16), fmt)


@pytest.mark.parametrize("quality", [0, 101, 50.5, True, "90"])
def test_quality_is_validated(quality):
    with pytest.raises(ValueError, match="quality must be an integer from 1 to 100"):
        io.encode(np.zeros((4, 4), np.uint8), "jpg", quality=quality)


@pytest.mark.parametrize("fmt", ["tiff", "bmp", "npy"])
def test_quality_is_ignored_by_formats_without_it(fmt):
    image = image_of((5, 6), 3, "uint8")
    assert io.encode(image, fmt, quality=50) == io.encode(image, fmt)


@pytest.mark.parametrize("quality", [1, 9, 15, 42, 58, 75, 88, 100])
def test_png_quality_as_imagemagick_changes_the_bytes_never_the_pixels(quality):
    image = image_of((40, 50), 3, "uint8") // 16    # compressible
    encoded = io.encode(image, "png", quality=quality)
    np.testing.assert_array_equal(io.decode(encoded, name="x"), image)
    assert io.quality_params("png", quality)[:2] == [io.cv2.IMWRITE_PNG_COMPRESSION, min(quality // 10, 9)]


@pytest.mark.parametrize("shape", [(0, 4), (4, 4, 2), (2, 2, 2, 3)])
def test_unencodable_shapes(shape):
    with pytest.raises(ValueError, match="1, 3 or 4 channels"):
        io.encode(np.zeros(shape, np.uint8), "png")


def test_npy_keeps_any_array():
    spectrum = (np.arange(12) * (1 + 2j)).astype(np.complex64).reshape(3, 4)
    np.testing.assert_array_equal(io.decode(io.encode(spectrum, "npy"), name="x"), spectrum)


def test_formats_and_extensions():
    assert set(io.FORMATS.values()) == {"png", "jpg", "webp", "tiff", "bmp", "npy"}
    assert io.format_for("a/b.JPEG") == "jpg"
    assert io.format_for(Path("x.tif")) == "tiff"
    assert io.format_for("x.npy") == "npy"
    for bad in ("x.gif", "noextension"):
        with pytest.raises(ValueError, match=r"use one of \.png, \.jpg, \.jpeg"):
            io.format_for(bad)
    with pytest.raises(ValueError, match="unknown format 'gif'; use one of bmp, jpg, npy, png, tiff, webp"):
        io.encode(np.zeros((2, 2), np.uint8), "gif")


# ---------------------------------------------------------------- bad inputs (SPEC §7)

BAD_INPUTS = {
    "missing.png": "no such file",
    "subdir": "is a directory",
    "zero.png": "empty file",
    "text.png": "not an image (unknown format)",
    "truncated.jpg": "truncated JPEG",
    "truncated.png": "truncated PNG",
    "bomb.png": "image is 100000×100000 = 1e10 pixels, above --max-pixels 1e8",
}


@pytest.mark.parametrize("name", BAD_INPUTS)
def test_bad_inputs_give_one_clear_error(name, capfd):
    path = str(BAD / name)
    assert_error(lambda: io.imread(path), path, BAD_INPUTS[name])
    assert capfd.readouterr().err == ""   # nothing from OpenCV, libpng or libjpeg


def test_awkward_but_valid_inputs():
    assert io.imread(BAD / "one_pixel.png").shape == (1, 1, 3)
    assert io.imread(BAD / "one_row.png").shape == (1, 17, 3)
    deep = io.imread(BAD / "deep16.png")
    assert deep.dtype == np.uint16 and deep.shape == (24, 32, 3) and deep.max() > 255
    bgra = io.imread(BAD / "bgra.png")
    assert bgra.shape == (32, 32, 4)
    alpha = bgra[..., 3]
    assert alpha.min() == 0 and alpha.max() == 255 and ((alpha > 0) & (alpha < 255)).any()


def test_fixture_script_rewrites_the_same_small_files(tmp_path):
    make_bad.main(tmp_path)
    def names(directory):
        return sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*"))
    assert names(tmp_path) == names(BAD)
    assert all(p.stat().st_size < 4096 for p in BAD.rglob("*") if p.is_file())


def test_bomb_is_refused_before_decoding(monkeypatch):
    def no_decoding(*args):
        pytest.fail("cv2.imdecode was called for an image above --max-pixels")
    monkeypatch.setattr(cv2, "imdecode", no_decoding)
    data = (BAD / "bomb.png").read_bytes()
    assert len(data) < 200 and io.image_size(data) == (100_000, 100_000)
    with pytest.raises(ImageError, match="above --max-pixels 1e8"):
        io.decode(data, name="bomb.png")


def test_bomb_allowed_by_max_pixels_still_fails_cleanly(capfd):
    data = (BAD / "bomb.png").read_bytes()
    with pytest.raises(ImageError, match=r"^bomb\.png: cannot decode PNG \(OpenCV: "):
        io.decode(data, name="bomb.png", max_pixels=None)
    assert capfd.readouterr().err == ""


def test_max_pixels_message_shows_exact_counts():
    data = (PHOTOS / "chelsea.png").read_bytes()
    width, height = io.image_size(data)
    expected = rf"^c: image is {width}×{height} = 135,300 pixels, above --max-pixels 1e3$"
    with pytest.raises(ImageError, match=expected):
        io.decode(data, name="c", max_pixels=1000)
    assert io.decode(data, name="c", max_pixels=width * height).shape[:2] == (height, width)


def test_hdr_size_is_read_from_its_header():
    hdr = cv2.imencode(".hdr", np.ones((6, 7, 3), np.float32))[1].tobytes()
    assert io.image_size(hdr) == (7, 6)
    assert io.decode(hdr, name="x").shape == (6, 7, 3)
    with pytest.raises(ImageError, match="image is 7×6 = 42 pixels, above --max-pixels 41"):
        io.decode(hdr, name="x", max_pixels=41)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_cut_of_a_png_or_jpeg_is_refused(data):
    ext = data.draw(st.sampled_from([".png", ".jpg"]))
    encoded = cv2.imencode(ext, make_bad.picture(20, 30))[1].tobytes()
    cut = data.draw(st.integers(len(b"\x89PNG\r\n\x1a\n") if ext == ".png" else 2, len(encoded) - 1))
    with pytest.raises(ImageError, match=f"^x: truncated {'PNG' if ext == '.png' else 'JPEG'}$"):
        io.decode(encoded[:cut], name="x")


@pytest.mark.parametrize("ext", [".png", ".jpg", ".webp"])
def test_trailing_bytes_after_the_end_are_accepted(ext):
    image = make_bad.picture(20, 30)
    encoded = cv2.imencode(ext, image)[1].tobytes()
    expected = io.decode(encoded, name="x")
    np.testing.assert_array_equal(io.decode(encoded + b"\x00" * 64 + b"trailer", name="x"), expected)


def test_truncated_webp_is_named():
    encoded = io.encode(make_bad.picture(20, 30), "webp")
    assert_error(lambda: io.decode(encoded[:-10], name="w"), "w", "truncated WebP")


def test_jpeg_truncation_ignores_an_embedded_thumbnail():
    """A complete thumbnail (with its own scan and EOI) inside APP1 must not make a cut image pass."""
    thumbnail = cv2.imencode(".jpg", make_bad.picture(8, 8))[1].tobytes()
    payload = b"Exif\x00\x00" + thumbnail
    main = cv2.imencode(".jpg", make_bad.picture(20, 30))[1].tobytes()
    jpeg = main[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + main[2:]
    assert io.decode(jpeg, name="x").shape == (20, 30, 3)
    assert io.image_size(jpeg) == (30, 20)
    assert_error(lambda: io.decode(jpeg[:-200], name="x"), "x", "truncated JPEG")


def test_opencv_stays_quiet_and_its_log_level_is_restored(capfd):
    before = cv2.utils.logging.getLogLevel()
    bgra_tiff = io.encode(image_of((5, 6), 4, "uint8"), "tiff")   # libtiff warns about ExtraSamples
    assert io.decode(bgra_tiff, name="x").shape == (5, 6, 4)
    assert capfd.readouterr().err == ""
    assert cv2.utils.logging.getLogLevel() == before


def test_read_bytes_from_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", stdio.TextIOWrapper(stdio.BytesIO(b"\x89PNG...")))
    assert io.read_bytes("-") == b"\x89PNG..."
    monkeypatch.setattr(sys, "stdin", stdio.TextIOWrapper(stdio.BytesIO(b"")))
    assert_error(lambda: io.read_bytes("-"), "-", "stdin is empty")


def test_a_file_inside_a_file_is_not_a_directory(tmp_path):
    (tmp_path / "file").write_bytes(b"x")
    path = str(tmp_path / "file" / "image.png")
    assert_error(lambda: io.read_bytes(path), path, "not a directory")


def test_image_error_pickles():
    import pickle
    error = pickle.loads(pickle.dumps(ImageError("a.png", "empty file")))
    assert (error.path, error.reason, str(error)) == ("a.png", "empty file", "a.png: empty file")


# ---------------------------------------------------------------- EXIF orientation

def jpeg_file(tmp_path, orientation):
    jpeg = cv2.imencode(".jpg", make_bad.picture(24, 40), [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes()
    path = tmp_path / f"o{orientation}.jpg"
    path.write_bytes(make_bad.with_exif_orientation(jpeg, orientation))
    return path


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_applied_as_cv2_imread_does(tmp_path, orientation):
    path = jpeg_file(tmp_path, orientation)
    np.testing.assert_array_equal(io.imread(path), cv2.imread(str(path)))
    np.testing.assert_array_equal(io.imread(path, gray=True), cv2.imread(str(path), cv2.IMREAD_GRAYSCALE))
    ignoring = cv2.imread(str(path), cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
    assert (orientation == 1) == np.array_equal(io.imread(path), ignoring)   # the tag does change pixels


def test_rotated_fixture_is_turned_upright():
    path = BAD / "rotated.jpg"
    image = io.imread(path)
    np.testing.assert_array_equal(image, cv2.imread(str(path)))
    assert io.image_size(path.read_bytes()) == (40, 24) and image.shape == (40, 24, 3)


def test_orientation_is_applied_while_keeping_alpha_and_16_bits(tmp_path):
    """OpenCV skips orientation when flags == IMREAD_UNCHANGED; imgkit keeps depth and alpha and rotates."""
    stored = image_of((6, 10), 4, "uint16")
    exif = (b"MM\x00*" + struct.pack(">IH", 8, 1) + struct.pack(">HHIHH", 0x0112, 3, 1, 6, 0)
            + struct.pack(">I", 0))
    png = io.encode(stored, "png")
    ihdr_end = 8 + 12 + 13
    path = tmp_path / "rotated16.png"
    path.write_bytes(png[:ihdr_end] + make_bad.png_chunk(b"eXIf", exif) + png[ihdr_end:])
    image = io.imread(path)
    assert image.dtype == np.uint16
    np.testing.assert_array_equal(image, cv2.rotate(stored, cv2.ROTATE_90_CLOCKWISE))
    np.testing.assert_array_equal(image[..., :3], cv2.imread(str(path), cv2.IMREAD_COLOR | cv2.IMREAD_ANYDEPTH))


# ---------------------------------------------------------------- header sizes

def test_image_size_of_photos(photo_name):
    data = (PHOTOS / photo_name).read_bytes()
    height, width = io.decode(data, name=photo_name).shape[:2]
    assert io.image_size(data) == (width, height)


def _encodings(fmt):
    if fmt == "webp":
        return [("webp", None), ("webp", 80)]   # lossless VP8L / lossy VP8, VP8X with alpha
    return [(fmt, 75 if fmt == "jpg" else None)]


@settings(max_examples=150, deadline=None)
@given(height=st.integers(1, 70), width=st.integers(1, 70), channels=st.sampled_from([1, 3, 4]),
       encoding=st.sampled_from([e for f in ("png", "jpg", "webp", "tiff", "bmp", "npy") for e in _encodings(f)]),
       deep=st.booleans())
def test_image_size_agrees_with_the_decoded_shape(height, width, channels, encoding, deep):
    fmt, quality = encoding
    dtype = "uint16" if deep and fmt in ("png", "tiff", "npy") else "uint8"
    data = io.encode(image_of((height, width), channels, dtype), fmt, quality=quality)
    assert io.image_size(data) == (width, height)
    assert io.decode(data, name="x").shape[:2] == (height, width)


@pytest.mark.parametrize("ext", [".gif", ".pgm", ".ppm", ".pbm", ".pfm"])
def test_image_size_of_other_opencv_formats(ext):
    image = random_image((9, 13, 3) if ext in (".gif", ".ppm", ".pfm") else (9, 13),
                         "float32" if ext == ".pfm" else "uint8")
    data = cv2.imencode(ext, image)[1].tobytes()
    assert io.image_size(data) == (13, 9)
    assert io.decode(data, name="x").shape[:2] == (9, 13)


def test_image_size_of_bigtiff():
    import tifffile   # installed with scikit-image, a runtime dependency: a missing one should fail
    buffer = stdio.BytesIO()
    tifffile.imwrite(buffer, np.zeros((9, 13, 3), np.uint8), bigtiff=True)
    assert io.image_size(buffer.getvalue()) == (13, 9)


def test_image_size_of_unknown_or_broken_headers():
    for data in (b"", b"hello", b"BM is not a bitmap", b"\x89PNG\r\n\x1a\n", b"II*\x00\xff\xff\xff\xff"):
        assert io.image_size(data) is None


# ---------------------------------------------------------------- atomic writes

def leftovers(directory):
    return sorted(p.name for p in Path(directory).iterdir() if p.name.endswith(".imgkit-tmp"))


def test_write_atomic_writes_with_normal_permissions(tmp_path):
    old_umask = os.umask(0o027)
    try:
        io.write_atomic(tmp_path / "out.png", b"data")
    finally:
        os.umask(old_umask)
    assert (tmp_path / "out.png").read_bytes() == b"data"
    assert stat.S_IMODE((tmp_path / "out.png").stat().st_mode) == 0o640
    assert os.listdir(tmp_path) == ["out.png"]


def test_a_stopping_process_leaves_no_temporary_file_and_places_nothing(tmp_path):
    """After ``abandon_writes`` (Ctrl-C, SIGTERM) a write on another thread neither puts its output
    in place nor leaves a temporary file, at whatever point it was: not yet begun, or written
    and about to be renamed. (Run in a child: the process can write nothing afterwards.)"""
    import subprocess
    script = (
        "import os, sys, threading\n"
        "from imgkit import io\n"
        "out = sys.argv[1]\n"
        "real = os.fsync\n"
        "written, go_on = threading.Event(), threading.Event()\n"
        "def fsync(fd):\n"
        "    real(fd); written.set(); go_on.wait()\n"
        "os.fsync = fsync\n"
        "early = threading.Thread(target=io.write_atomic, args=(out + '/a.png', b'a'), daemon=True)\n"
        "early.start(); written.wait()\n"        # a's bytes are on disk, its rename to come
        "io.abandon_writes(); go_on.set()\n"
        "late = threading.Thread(target=io.write_atomic, args=(out + '/b.png', b'b'), daemon=True)\n"
        "late.start(); early.join(1); late.join(1)\n"
        "print(sorted(os.listdir(out)))\n")
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True,
                            timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.stdout.split() == ["[]"], result.stderr


def test_write_atomic_creates_missing_directories(tmp_path):
    io.write_atomic(tmp_path / "a" / "b" / "out.png", b"data")
    assert (tmp_path / "a" / "b" / "out.png").read_bytes() == b"data"


def test_existing_output_is_refused_without_overwrite(tmp_path):
    target = tmp_path / "out.png"
    target.write_bytes(b"old")
    assert_error(lambda: io.write_atomic(target, b"new"), str(target), "output exists (use --overwrite)")
    assert target.read_bytes() == b"old" and leftovers(tmp_path) == []
    io.write_atomic(target, b"new", overwrite=True)
    assert target.read_bytes() == b"new" and leftovers(tmp_path) == []


def test_concurrent_writers_cannot_both_win(tmp_path):
    target = tmp_path / "out.png"
    start = threading.Barrier(8)
    outcomes = {}

    def writer(n):
        start.wait()
        try:
            io.write_atomic(target, f"writer {n}".encode() * 1000)
            outcomes[n] = "won"
        except ImageError as error:
            outcomes[n] = error.reason
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [n for n, outcome in outcomes.items() if outcome == "won"]
    assert len(winners) == 1
    assert set(outcomes.values()) == {"won", "output exists (use --overwrite)"}
    assert target.read_bytes() == f"writer {winners[0]}".encode() * 1000
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("failure", [OSError(28, "No space left on device"), KeyboardInterrupt()])
@pytest.mark.parametrize("overwrite", [False, True])
def test_a_failed_write_leaves_nothing_behind(tmp_path, monkeypatch, failure, overwrite):
    def fail(descriptor):
        assert leftovers(tmp_path), "the data goes to a temporary file first"
        raise failure
    monkeypatch.setattr(os, "fsync", fail)
    target = tmp_path / "out.png"
    if isinstance(failure, OSError):
        assert_error(lambda: io.write_atomic(target, b"data", overwrite=overwrite), str(target),
                     "cannot write: no space left on device")
    else:
        with pytest.raises(KeyboardInterrupt):
            io.write_atomic(target, b"data", overwrite=overwrite)
    assert os.listdir(tmp_path) == []


def test_interrupt_while_publishing_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "out.png"
    target.write_bytes(b"old")

    def interrupted(source, destination):
        raise KeyboardInterrupt
    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        io.write_atomic(target, b"new", overwrite=True)
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["out.png"]


def test_output_inside_a_file_fails_cleanly(tmp_path):
    (tmp_path / "file").write_bytes(b"x")
    target = str(tmp_path / "file" / "out.png")
    assert_error(lambda: io.write_atomic(target, b"data"), target, "cannot write: not a directory")


@contextmanager
def without_root():
    """Run the block as 'nobody' when the tests run as root, which permission bits do not stop."""
    if os.geteuid() != 0:
        yield
        return
    try:
        os.seteuid(65534)
    except PermissionError:
        pytest.skip("root without the right to drop privileges: permission bits cannot be tested")
    try:
        yield
    finally:
        os.seteuid(0)


@pytest.fixture
def read_only_dir():
    """A read-only directory in a place every user can reach (pytest's tmp_path is root-only)."""
    directory = Path(tempfile.mkdtemp(prefix="imgkit-ro-"))
    (directory / "secret.png").write_bytes(b"\x89PNG")
    (directory / "secret.png").chmod(0)
    directory.chmod(0o555)
    yield directory
    directory.chmod(0o755)
    shutil.rmtree(directory)


def test_read_only_output_directory(read_only_dir):
    target = str(read_only_dir / "out.png")
    with without_root():
        assert_error(lambda: io.write_atomic(target, b"data"), target, "cannot write: permission denied")
        assert_error(lambda: io.imwrite(target, np.zeros((2, 2), np.uint8)), target, "cannot write: permission denied")
    assert sorted(os.listdir(read_only_dir)) == ["secret.png"]


def test_unreadable_input(read_only_dir):
    path = str(read_only_dir / "secret.png")
    with without_root():
        assert_error(lambda: io.imread(path), path, "permission denied")


# ---------------------------------------------------------------- stdout

def test_write_stdout(monkeypatch):
    buffer = stdio.BytesIO()
    monkeypatch.setattr(sys, "stdout", stdio.TextIOWrapper(buffer))
    io.write_stdout(b"\x89PNG data")
    assert buffer.getvalue() == b"\x89PNG data"


def test_write_stdout_to_a_closed_pipe(monkeypatch):
    reader, writer = os.pipe()
    os.close(reader)
    stream = open(writer, "w")
    monkeypatch.setattr(sys, "stdout", stream)
    try:
        io.write_stdout(b"x" * 100_000)    # the reader has gone: not an error
        os.write(writer, b"more")   # now /dev/null: later writes and the exit flush stay silent
    finally:
        stream.close()
