"""Hostile inputs for the readers (issue 14: items 4, 5, 15): header bombs in every format OpenCV
decodes, unbounded reads, hostile .npy arrays, a corrupt JPEG that keeps its end marker, what
libjpeg and libpng print, and OpenCV's own decoding limits as a second line of defence."""

import os
import struct
import subprocess
import sys
import zlib

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import PHOTOS, ROOT
from imgkit import io
from imgkit.io import ImageError

BIG = 100_000   # a side: BIG × BIG = 1e10 pixels, far above the default --max-pixels


@pytest.fixture
def no_decoding(monkeypatch):
    """Fail the test if OpenCV is asked to decode anything."""
    def refuse(*args):
        pytest.fail("cv2.imdecode was called")
    monkeypatch.setattr(cv2, "imdecode", refuse)


def run_python(code, *, timeout=30, **kwargs):
    """Run ``code`` in a fresh interpreter that imports this worktree's imgkit."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name in ("OPENCV_IO_MAX_IMAGE_PIXELS", "OPENCV_IO_MAX_IMAGE_WIDTH", "OPENCV_IO_MAX_IMAGE_HEIGHT"):
        env.pop(name, None)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout,
                          env=env, **kwargs)


# ---------------------------------------------------------------- hostile files, made here

def tiff(*ifds, order="<", big=False):
    """A TIFF (or BigTIFF) whose IFDs hold the given ``(tag, type, value)`` entries, in that order."""
    offset_code, count_code, entry_size = ("Q", "Q", 20) if big else ("I", "H", 12)
    header = (b"II" if order == "<" else b"MM") + struct.pack(order + "H", 43 if big else 42)
    header += struct.pack(order + "HHQ", 8, 0, 16) if big else struct.pack(order + "I", 8)
    data, at = bytearray(header), len(header)
    for number, entries in enumerate(ifds):
        size = struct.calcsize(order + count_code) + len(entries) * entry_size + struct.calcsize(order + offset_code)
        following = 0 if number == len(ifds) - 1 else at + size
        data += struct.pack(order + count_code, len(entries))
        for tag, kind, value in entries:
            code = {1: "B", 3: "H", 4: "I", 8: "h", 9: "i", 16: "Q"}[kind]
            inline = struct.pack(order + code, value).ljust(8 if big else 4, b"\x00")
            data += struct.pack(order + "HH" + offset_code, tag, kind, 1) + inline
        data += struct.pack(order + offset_code, following)
        at += size
    return bytes(data + b"\x00" * 64)


def small_tiff_fields(width=10, length=10):
    return [(256, 3, width), (257, 3, length), (258, 3, 8), (259, 3, 1), (262, 3, 1),
            (273, 4, 8), (277, 3, 1), (278, 3, length), (279, 4, width * length)]


def bmp(header_size, width, height, bits=8, compression=1):
    """A BMP whose DIB header has ``header_size`` bytes (OS/2 2.x variants have 16 to 64)."""
    dib = struct.pack("<IiiHHI", header_size, width, height, 1, bits, compression).ljust(header_size, b"\x00")
    return b"BM" + struct.pack("<IHHI", 14 + len(dib) + 1024 + 16, 0, 0, 14 + len(dib) + 1024) + dib + bytes(1040)


def chunk(kind, payload):
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def apng(frame_width, frame_height):
    ihdr = chunk(b"IHDR", struct.pack(">IIBBBBB", 10, 10, 8, 0, 0, 0, 0))
    actl = chunk(b"acTL", struct.pack(">II", 1, 0))
    fctl = chunk(b"fcTL", struct.pack(">IIIIIHHBB", 0, frame_width, frame_height, 0, 0, 1, 10, 0, 0))
    idat = chunk(b"IDAT", zlib.compress(bytes(110)))
    return b"\x89PNG\r\n\x1a\n" + ihdr + actl + fctl + idat + chunk(b"IEND", b"")


def riff(*chunks):
    body = b"WEBP" + b"".join(tag + struct.pack("<I", len(data)) + data + b"\x00" * (len(data) & 1)
                             for tag, data in chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def vp8l(width, height):
    return b"\x2f" + struct.pack("<I", (width - 1) | (height - 1) << 14) + bytes(16)


def webp_animation(frame_width, frame_height):
    canvas = b"\x02" + bytes(3) + (9).to_bytes(3, "little") + (9).to_bytes(3, "little")   # 10×10, animated
    frame = (bytes(6) + (frame_width - 1).to_bytes(3, "little") + (frame_height - 1).to_bytes(3, "little")
             + bytes(4) + b"VP8L" + struct.pack("<I", 21) + vp8l(frame_width, frame_height) + b"\x00")
    return riff((b"VP8X", canvas), (b"ANIM", bytes(6)), (b"ANMF", frame))


def j2k(width, height, components=3):
    siz = struct.pack(">HHIIIIIIIIH", 38 + 3 * components, 0, width, height, 0, 0, width, height, 0, 0, components)
    return b"\xff\x4f\xff\x51" + siz + b"\x07\x01\x01" * components + b"\xff\xd9"


def jp2(width, height):
    def box(kind, payload):
        return struct.pack(">I", 8 + len(payload)) + kind + payload
    ihdr = box(b"ihdr", struct.pack(">IIHBBBB", height, width, 3, 7, 7, 0, 0))
    return (b"\x00\x00\x00\x0cjP  \r\n\x87\n" + box(b"ftyp", b"jp2 \x00\x00\x00\x00jp2 ")
            + box(b"jp2h", ihdr) + box(b"jp2c", j2k(width, height)))


HEADER_BOMBS = {
    "TIFF, duplicated size tags, the huge pair first (libtiff keeps the first)":
        tiff([(256, 3, 30000), (256, 3, 10), (257, 3, 30000), (257, 3, 10)] + small_tiff_fields()[2:]),
    "TIFF, SLONG sizes": tiff([(256, 9, BIG), (257, 9, BIG)] + small_tiff_fields()[2:]),
    "BigTIFF, SSHORT and LONG8 sizes": tiff([(256, 8, 30000), (257, 16, 30000)] + small_tiff_fields()[2:], big=True),
    "TIFF, big-endian, huge second IFD": tiff(small_tiff_fields(), [(256, 4, BIG), (257, 4, BIG)], order=">"),
    "TIFF, a tile far larger than the image": tiff(small_tiff_fields() + [(322, 4, 16384), (323, 4, 16384)]),
    "BigTIFF, huge second IFD": tiff(small_tiff_fields(), [(256, 16, BIG), (257, 16, BIG)], big=True),
    "BMP, RLE8 with a 48-byte OS/2 header": bmp(48, 40000, 40000),
    "BMP, RLE4 with a 100-byte header": bmp(100, 40000, 40000, bits=4, compression=2),
    "BMP, 64-byte OS/2 2.x header": bmp(64, 40000, -40000, bits=24, compression=0),
    "PAM": b"P7\nWIDTH 100000\nHEIGHT 100000\nDEPTH 3\nMAXVAL 255\nTUPLTYPE RGB\nENDHDR\n" + bytes(64),
    "PAM, a value on the line after its key": b"P7\nWIDTH \n100000\nHEIGHT 100000\nDEPTH 1\nMAXVAL 255\nENDHDR\n" + bytes(9),
    "PGM, CR line ends and comments": b"P5\r# made by hand\r100000\r# height next\r100000\r255\r" + bytes(64),
    "PPM, a header over 1 KB": b"P6\n#" + b"x" * 3000 + b"\n100000 100000\n255\n" + bytes(64),
    "PFM": b"PF\n100000 100000\n-1\n" + bytes(64),
    "Radiance HDR": b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 100000 +X 100000\n" + bytes(64),
    "Radiance HDR, rotated": b"#?RGBE\n# a comment\nFORMAT=32-bit_rle_rgbe\n\n+X 100000 -Y 100000\n" + bytes(64),
    "Sun raster": struct.pack(">4siiiiiii", b"\x59\xa6\x6a\x95", BIG, BIG, 24, 0, 1, 0, 0) + bytes(64),
    "JPEG 2000 codestream": j2k(BIG, BIG),
    "JPEG 2000 JP2": jp2(BIG, BIG),
    "WebP animation, a huge frame on a small canvas": webp_animation(16000, 16000),
    "WebP, a bare VP8L bitstream": vp8l(16384, 16384),
    "WebP, a VP8L chunk without RIFF": b"VP8L" + struct.pack("<I", 21) + vp8l(16384, 16384),
    "APNG, a huge frame": apng(30000, 30000),
    "GIF, logical screen": b"GIF89a" + struct.pack("<HHBBB", 65535, 65535, 0, 0, 0) + b"\x3b",
}


@pytest.mark.parametrize("data", HEADER_BOMBS.values(), ids=HEADER_BOMBS.keys())
def test_header_bombs_are_refused_before_decoding(data, no_decoding):
    with pytest.raises(ImageError, match=r"^x: image is \d+×\d+ = [\d.e,]+ pixels, above --max-pixels 1e8$"):
        io.decode(data, name="x")


def test_duplicated_tiff_tags_are_what_libtiff_decodes():
    """The size libtiff decodes is the first of duplicated tags: a real TIFF whose first
    duplicates say 4×4 decodes as 4×4, so the check must see the first pair too."""
    real = cv2.imencode(".tiff", np.full((8, 8), 7, np.uint8))[1].tobytes()
    at = struct.unpack_from("<I", real, 4)[0]
    count = struct.unpack_from("<H", real, at)[0]
    entries = real[at + 2:at + 2 + 12 * count]
    smaller = struct.pack("<HHII", 256, 3, 1, 4) + struct.pack("<HHII", 257, 3, 1, 4)
    duplicated = real[:at] + struct.pack("<H", count + 2) + smaller + entries + real[at + 2 + 12 * count:]
    assert io.decode(duplicated, name="x").shape == (4, 4)
    with pytest.raises(ImageError, match="image is 8×8 = 64 pixels, above --max-pixels 63"):
        io.decode(duplicated, name="x", max_pixels=63)


@pytest.mark.parametrize("data, reason", [
    (b"P6\n#" + b"x" * 70_000 + b"\n10 10\n255\n", "cannot read PNM header (PNM header longer than 64 KiB)"),
    (b"P7\nWIDTH 10\nHEIGHT 10\nDEPTH 500\nMAXVAL 255\nENDHDR\n", "cannot read PAM header (DEPTH 500: imgkit reads 1 to 4 channels)"),
    (b"P7\nWIDTH 10\nWIDTH 10\nHEIGHT 10\nDEPTH 1\nMAXVAL 255\nENDHDR\n", "cannot read PAM header (unexpected 'WIDTH' line)"),
    (b"P5\n99999999999 3\n255\n", "cannot read PNM header (size 99999999999 out of range)"),
    (j2k(10, 10, components=1000), "cannot read JPEG 2000 header (1000 components: imgkit reads 1 to 4 channels)"),
    (b"\x00\x00\x00\x20ftypavif\x00\x00\x00\x00avifmif1miaf" + bytes(64),
     "AVIF is not supported (convert it to PNG, JPEG, TIFF or WebP)"),
    (b"hello, world", "not an image (unknown format)"),
    (b"BM is not a bitmap, though it starts like one", "not an image (unknown format)"),
    (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64), "not an image (unknown format)"),
])
def test_unreadable_or_unsupported_headers_never_reach_opencv(data, reason, no_decoding):
    with pytest.raises(ImageError) as caught:
        io.decode(data, name="x")
    assert caught.value.reason == reason


@pytest.mark.parametrize("ext", [".bmp", ".gif", ".hdr", ".jpg", ".webp", ".ras", ".pgm", ".ppm", ".pam",
                                 ".pfm", ".tiff", ".png", ".jp2"])
def test_every_opencv_format_is_read_with_its_header_size(ext):
    image = cv2.cvtColor(cv2.imread(str(PHOTOS / "chelsea.png")), cv2.COLOR_BGR2GRAY) if ext == ".pgm" \
        else cv2.imread(str(PHOTOS / "chelsea.png"))
    image = image[:37, :53]
    data = cv2.imencode(ext, image.astype(np.float32) if ext in (".hdr", ".pfm") else image)[1].tobytes()
    assert io.image_size(data) == (53, 37)
    assert io.decode(data, name="x").shape[:2] == (37, 53)
    with pytest.raises(ImageError, match=r"image is 53×37 = 1\.96e3 pixels|image is 53×37 = 1,961 pixels"):
        io.decode(data, name="x", max_pixels=1960)


def test_a_bomb_that_passes_every_check_is_still_reported_cleanly(capfd):
    """max_pixels=None lets the header through; OpenCV then fails, and says so in one line."""
    with pytest.raises(ImageError, match=r"^x: cannot decode PAM \("):
        io.decode(HEADER_BOMBS["PAM"], name="x", max_pixels=None)
    assert capfd.readouterr().err == ""


# ---------------------------------------------------------------- OpenCV's own limits

TINY_PNG = "cv2.imencode('.png', __import__('numpy').zeros((40, 40), 'uint8'))[1]"


def test_opencv_limits_are_read_when_cv2_is_imported():
    """A file our header checks missed (here: cv2.imdecode called directly) is refused by OpenCV
    itself once the limits are set before cv2 is imported, and not when set afterwards."""
    before = run_python("from imgkit import limits\n"
                        "assert limits.bound_opencv_decoding(1000)\n"
                        "import cv2\n"
                        "try:\n"
                        f"    cv2.imdecode({TINY_PNG}, -1)\n"
                        "except cv2.error as error:\n"
                        "    print(str(error).split('error: ')[-1].strip())")
    assert before.returncode == 0, before.stderr
    assert before.stdout == ("(-215:Assertion failed) pixels <= CV_IO_MAX_IMAGE_PIXELS "
                             "in function 'validateInputImageSize'\n")
    after = run_python("import cv2\n"
                       "from imgkit import limits\n"
                       "assert not limits.bound_opencv_decoding(1000)\n"
                       f"print(cv2.imdecode({TINY_PNG}, -1).shape)")
    assert after.returncode == 0 and after.stdout.strip() == "(40, 40)", after.stderr


def test_opencv_limits_follow_max_pixels_in_both_directions():
    """Width and height limits equal max_pixels: a 1×N strip within it decodes; OpenCV's default
    side limit (2²⁰) would refuse it. None keeps OpenCV's defaults."""
    code = ("from imgkit import limits\n"
            "import os, sys\n"
            "limits.bound_opencv_decoding({max_pixels})\n"
            "import numpy as np, cv2\n"
            "strip = cv2.imencode('.tiff', np.zeros((1, 1_100_000), np.uint8))[1]\n"
            "try:\n"
            "    print(cv2.imdecode(strip, -1).shape, os.environ.get('OPENCV_IO_MAX_IMAGE_WIDTH'))\n"
            "except cv2.error as error:\n"
            "    print('refused', os.environ.get('OPENCV_IO_MAX_IMAGE_WIDTH'))")
    assert run_python(code.format(max_pixels=2_000_000)).stdout.split() == ["(1,", "1100000)", "2000000"]
    assert run_python(code.format(max_pixels=None)).stdout.split() == ["refused", "None"]


# ---------------------------------------------------------------- bounded reads

@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_special_files_are_refused_without_reading(tmp_path, special):
    if special == "fifo":
        special = str(tmp_path / "x.png")
        os.mkfifo(special)
    result = run_python(f"from imgkit import io\n"
                        f"try:\n    io.imread({special!r})\n"
                        f"except io.ImageError as error:\n    print(error)", timeout=20)
    assert result.stdout == f"{special}: not a regular file\n" and result.stderr == ""


def test_reads_stop_at_the_byte_limit(tmp_path, monkeypatch):
    path = tmp_path / "big.png"
    path.write_bytes(b"\x89PNG" + bytes(2000))
    with pytest.raises(ImageError, match=r"big\.png: 2\.0 kB, more than an image within --max-pixels "
                                         r"can take \(1\.0 kB\)$"):
        io.read_bytes(path, max_bytes=1000)
    assert len(io.read_bytes(path, max_bytes=2004)) == 2004

    class Endless:
        """stdin that never ends, like ``cat /dev/zero |``."""
        read_sizes = []

        def read(self, size):
            self.read_sizes.append(size)
            return b"\x00" * size
    monkeypatch.setattr(sys, "stdin", type("Stdin", (), {"buffer": Endless()})())
    with pytest.raises(ImageError, match=r"^-: more than 5\.2 MB, the most an image within --max-pixels can take$"):
        io.read_bytes("-", max_bytes=5 << 20)
    assert sum(Endless.read_sizes) <= (5 << 20) + 1


def test_byte_limit_follows_max_pixels():
    assert io.byte_limit(None) is None
    assert io.byte_limit(10**8) == 16 * 10**8 + (64 << 20)
    assert io.byte_limit(10**9) > 10 * io.byte_limit(10**8) // 2


# ---------------------------------------------------------------- .npy

def npy(shape, dtype="<u1", fortran=False, body=None):
    header = repr({"descr": dtype, "fortran_order": fortran, "shape": shape}).encode()
    header += b" " * (-(len(header) + 11) % 64) + b"\n"
    payload = body if body is not None else bytes(int(np.prod(shape, dtype=object)) * np.dtype(dtype).itemsize)
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + payload


@pytest.mark.parametrize("data, reason", [
    (npy((1, 1, 1, 10**12), body=b""), "NPY array of shape (1, 1, 1, 1000000000000) is not an image "
                                        "(H×W, or H×W×C with 1 to 4 channels)"),
    (npy((10**6, 10**6), body=b""), "image is 1000000×1000000 = 1e12 pixels, above --max-pixels 1e8"),
    (npy((3, 4, 10**9), body=b""), "NPY array of shape (3, 4, 1000000000) is not an image "
                                   "(H×W, or H×W×C with 1 to 4 channels)"),
    (npy((3, 4), body=bytes(5)), "truncated NPY"),
    (npy((3, 4)) + b"extra", "NPY holds 5 bytes after its array"),
    (npy((0, 4)), "NPY array of shape (0, 4) is empty"),
    (npy((3, 4), dtype="|O", body=b""), "NPY holds Python objects (pickles are never loaded)"),
    (npy((3, 4), dtype="<U3"), "NPY dtype <U3 is not a pixel type (numbers only)"),
])
def test_hostile_npy_is_refused_from_its_header(data, reason):
    with pytest.raises(ImageError) as caught:
        io.decode(data, name="x")
    assert caught.value.reason == reason


@pytest.mark.parametrize("dtype", [">u2", ">f4", ">i2", "<u2"])
@pytest.mark.parametrize("fortran", [False, True])
def test_npy_comes_back_native_and_c_ordered(dtype, fortran):
    values = np.arange(2 * 3 * 4).reshape(2, 3, 4).astype(dtype)
    stored = np.asfortranarray(values) if fortran else values
    buffer = __import__("io").BytesIO()
    np.save(buffer, stored)
    image = io.decode(buffer.getvalue(), name="x")
    assert image.dtype.isnative and image.dtype == np.dtype(dtype).newbyteorder("=")
    assert image.flags.c_contiguous
    np.testing.assert_array_equal(image, values)


def test_big_endian_npy_runs_through_a_numba_kernel():
    import imgkit
    buffer = __import__("io").BytesIO()
    np.save(buffer, np.arange(64, dtype=">u2").reshape(8, 8))
    image = io.decode(buffer.getvalue(), name="x")
    assert imgkit.box_blur(image, 3).dtype == np.uint16


# ---------------------------------------------------------------- corrupt JPEG, C libraries' messages

def photo_jpeg(progressive=False):
    image = cv2.imread(str(PHOTOS / "chelsea.png"))
    return cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_PROGRESSIVE, int(progressive)])[1].tobytes()


@pytest.mark.parametrize("progressive", [False, True])
def test_a_jpeg_cut_in_its_scan_but_keeping_its_end_marker_is_refused(progressive, capfd):
    jpeg = photo_jpeg(progressive)
    middle = len(jpeg) // 2
    cut = jpeg[:middle] + jpeg[middle + 2000:]
    assert cut.endswith(b"\xff\xd9")
    with pytest.raises(ImageError) as caught:
        io.decode(cut, name="x")
    assert caught.value.reason == "corrupt JPEG (premature end of data segment)"
    assert capfd.readouterr().err == ""


def test_progressive_and_padded_jpegs_are_accepted_quietly(capfd):
    progressive = photo_jpeg(progressive=True)
    assert io.decode(progressive, name="x").shape == (300, 451, 3)
    baseline = photo_jpeg()
    padded = baseline[:-2] + b"\x00" * 7 + baseline[-2:]   # libjpeg: "7 extraneous bytes before marker 0xd9"
    np.testing.assert_array_equal(io.decode(padded, name="x"), io.decode(baseline, name="x"))
    assert capfd.readouterr().err == ""


def png_with(chunk_bytes):
    png = cv2.imencode(".png", np.zeros((4, 5, 3), np.uint8))[1].tobytes()
    return png[:33] + chunk_bytes + png[33:]


def test_libpng_warnings_are_silenced(capfd):
    bad_text_crc = struct.pack(">I", 5) + b"tEXt" + b"a\x00bcd" + b"\x00\x00\x00\x00"
    assert io.decode(png_with(bad_text_crc), name="x").shape == (4, 5, 3)
    assert capfd.readouterr().err == ""   # was "libpng warning: tEXt: CRC error"


def test_libpng_errors_become_the_files_reason(capfd):
    png = cv2.imencode(".png", np.zeros((4, 5, 3), np.uint8))[1].tobytes()
    crc = png.find(b"IDAT") + 4 + struct.unpack_from(">I", png, png.find(b"IDAT") - 4)[0]
    broken = png[:crc] + b"\x00\x00\x00\x00" + png[crc + 4:]
    with pytest.raises(ImageError) as caught:
        io.decode(broken, name="x")
    assert caught.value.reason == "cannot decode PNG (libpng: IDAT: CRC error)"
    assert capfd.readouterr().err == ""


def test_other_output_on_stderr_during_a_decode_is_kept(monkeypatch, capfd):
    """fd 2 is redirected while OpenCV decodes: what is not a decoder's message (another
    thread's progress bar, say) is written back, and a decoder's corruption message counts."""
    real = cv2.imdecode
    png = cv2.imencode(".png", np.zeros((4, 5), np.uint8))[1].tobytes()

    def chatty(text):
        def imdecode(*args):
            os.write(2, text)
            return real(*args)
        return imdecode
    monkeypatch.setattr(cv2, "imdecode", chatty(b"progress 3/10\n"))
    assert io.decode(png, name="x").shape == (4, 5)
    assert capfd.readouterr().err == "progress 3/10\n"
    monkeypatch.setattr(cv2, "imdecode", chatty(b"Premature end of JPEG file\n"))
    with pytest.raises(ImageError, match="^x: corrupt PNG \\(Premature end of JPEG file\\)$"):
        io.decode(png, name="x")
    assert capfd.readouterr().err == ""


def test_decodes_from_several_threads_each_get_their_own_verdict(capfd):
    """fd 2 is captured for one decode at a time, so a corrupt JPEG's warning is never
    attributed to another thread's good image, nor lost."""
    from concurrent.futures import ThreadPoolExecutor
    jpeg = photo_jpeg()
    cut = jpeg[:len(jpeg) // 2] + jpeg[len(jpeg) // 2 + 2000:]
    padded = jpeg[:-2] + b"\x00" * 7 + jpeg[-2:]
    inputs = [cut, padded, jpeg] * 8

    def verdict(data):
        try:
            return io.decode(data, name="x").shape
        except ImageError as error:
            return error.reason
    with ThreadPoolExecutor(4) as pool:
        verdicts = list(pool.map(verdict, inputs))
    assert verdicts == ["corrupt JPEG (premature end of data segment)", (300, 451, 3), (300, 451, 3)] * 8
    assert capfd.readouterr().err == ""


def test_the_command_line_prints_one_line_per_bad_file_and_nothing_else(tmp_path):
    jpeg = photo_jpeg()
    (tmp_path / "cut.jpg").write_bytes(jpeg[:len(jpeg) // 2] + jpeg[len(jpeg) // 2 + 2000:])
    (tmp_path / "text_crc.png").write_bytes(png_with(struct.pack(">I", 5) + b"tEXt" + b"a\x00bcd" + bytes(4)))
    (tmp_path / "pam.pam").write_bytes(HEADER_BOMBS["PAM"])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "imgkit", "blur", "--reference",
                             str(tmp_path / "cut.jpg"), str(tmp_path / "text_crc.png"), str(tmp_path / "pam.pam"),
                             "-o", str(tmp_path / "out"), "-q"], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 1
    assert sorted(result.stderr.splitlines()) == sorted([
        f"imgkit: {tmp_path / 'cut.jpg'}: corrupt JPEG (premature end of data segment)",
        f"imgkit: {tmp_path / 'pam.pam'}: image is 100000×100000 = 1e10 pixels, above --max-pixels 1e8",
    ])


# ---------------------------------------------------------------- only ImageError, whatever the bytes

def test_every_exception_from_decoding_is_an_image_error(monkeypatch):
    png = cv2.imencode(".png", np.zeros((4, 5), np.uint8))[1].tobytes()
    for failure, reason in [(MemoryError(), "not enough memory to decode this PNG"),
                            (struct.error("unpack requires a buffer"), "cannot decode PNG (error: unpack requires a buffer)"),
                            (OverflowError("too big"), "cannot decode PNG (OverflowError: too big)")]:
        def fail(*args, failure=failure):
            raise failure
        monkeypatch.setattr(cv2, "imdecode", fail)
        with pytest.raises(ImageError) as caught:
            io.decode(png, name="x")
        assert caught.value.reason == reason


def _seeds():
    image = cv2.imread(str(PHOTOS / "chelsea.png"))[:24, :32]
    buffer = __import__("io").BytesIO()
    np.save(buffer, image)
    return [cv2.imencode(ext, image)[1].tobytes() for ext in (".png", ".jpg", ".tiff", ".bmp", ".webp", ".ppm")] \
        + [buffer.getvalue(), bmp(40, 24, 24, bits=8, compression=1), HEADER_BOMBS["PAM"][:80]]


SEEDS = _seeds()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_files_give_an_image_or_an_image_error(data):
    seed = bytearray(data.draw(st.sampled_from(SEEDS)))
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(seed) - 1))
        action = data.draw(st.sampled_from(["set", "cut", "insert", "big"]))
        if action == "set":
            seed[at] = data.draw(st.integers(0, 255))
        elif action == "cut":
            del seed[at:at + data.draw(st.integers(1, 64))]
        elif action == "insert":
            seed[at:at] = data.draw(st.binary(min_size=1, max_size=16))
        else:   # a 32-bit field set to a huge value, where sizes live
            seed[at:at + 4] = b"\x7f\xff\xff\xff"
        if not seed:
            seed = bytearray(b"\x00")
    try:
        image = io.decode(bytes(seed), name="x", max_pixels=10**6)
    except ImageError:
        return
    assert image.size > 0 and image.shape[0] * image.shape[1] <= 10**6


def test_decodes_on_several_threads_run_at_once_and_keep_their_own_verdicts(monkeypatch, capfd):
    """Two decodes in flight together (each waits inside OpenCV for the other), one of a cut JPEG
    whose warning lands while both run: each still gets its own verdict, and stderr stays clean.
    (Capturing fd 2 one decode at a time would keep the second waiting: a broken barrier.)"""
    import threading
    jpeg = photo_jpeg()
    cut = jpeg[:len(jpeg) // 2] + jpeg[len(jpeg) // 2 + 2000:]
    both, real, met = threading.Barrier(2, timeout=30), cv2.imdecode, set()

    def imdecode(buffer, flags):
        image = real(buffer, flags)
        key = len(buffer)
        if key not in met:          # only the first time: a decode run again alone meets nobody
            met.add(key)
            both.wait()
        return image
    monkeypatch.setattr(cv2, "imdecode", imdecode)

    def verdict(data, into):
        try:
            into.append(io.decode(data, name="x").shape)
        except ImageError as error:
            into.append(error.reason)
    verdicts = [[], []]
    threads = [threading.Thread(target=verdict, args=(data, into)) for data, into in zip((cut, jpeg), verdicts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert verdicts == [["corrupt JPEG (premature end of data segment)"], [(300, 451, 3)]]
    assert capfd.readouterr().err == ""
