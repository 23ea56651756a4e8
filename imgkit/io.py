"""Reading and writing images: decode and encode, stdin and stdout, atomic writes.

``cv2.imread``/``cv2.imdecode`` return ``None`` instead of raising, print their own warnings, and
will try to allocate whatever size a header declares. This module turns every failure into an
``ImageError`` whose message is one line for a person (``photo.png: truncated PNG``):

- reads are bounded: only regular files (and stdin) are read, and no more bytes than an image
  within ``max_pixels`` can take (``byte_limit``);
- every size a header declares is checked against ``max_pixels`` before decoding
  (``headers.declared_sizes``), and a file whose format is unknown never reaches OpenCV;
- truncated PNG, JPEG and WebP files are refused, and so is a JPEG that libjpeg reports as
  corrupt while decoding it (it fills what is missing with grey and only warns);
- what libpng and libjpeg write to stderr is captured, and becomes the file's error or is dropped.

A library module: it prints nothing; the command line reports ``imgkit: <message>``.
"""

import errno
import functools
import io
import os
import re
import secrets
import stat
import sys
import tempfile
import threading
from contextlib import contextmanager

import cv2
import numpy as np

from . import headers
from .limits import DEFAULT_MAX_PIXELS
from .options import FORMATS, TABLE_FORMATS

# Pixel types each OpenCV encoding stores exactly; ``npy`` stores any array.
_DTYPES = {
    "png": {np.dtype(np.uint8), np.dtype(np.uint16)},
    "jpg": {np.dtype(np.uint8)},
    "webp": {np.dtype(np.uint8)},
    "bmp": {np.dtype(np.uint8)},
    "tiff": {np.dtype(np.uint8), np.dtype(np.uint16), np.dtype(np.float32)},
}
FLOAT_FORMATS = frozenset({"tiff", "npy", "csv", "npz"})   # the encodings that keep float32 results
NO_ALPHA = frozenset({"jpg"})     # cv2.imencode drops a 4th channel there (bmp, png, webp and tiff keep it)
ARCHIVE = "npz"     # one archive of npy arrays for a whole batch (``batch.plan_outputs``)

# Keeps the stored depth and channels (gray, BGR or BGRA) like IMREAD_UNCHANGED, but unlike it
# still applies the EXIF orientation: OpenCV skips orientation only when flags == IMREAD_UNCHANGED.
_READ_AS_STORED = cv2.IMREAD_COLOR | cv2.IMREAD_ANYCOLOR | cv2.IMREAD_ANYDEPTH
_READ_GRAY = cv2.IMREAD_GRAYSCALE | cv2.IMREAD_ANYDEPTH
# The bit of IMREAD_REDUCED_GRAYSCALE_2/4/8 that asks libjpeg for 1/2, 1/4 or 1/8 of the size.
_REDUCED = {1: 0, 2: cv2.IMREAD_REDUCED_GRAYSCALE_2, 4: cv2.IMREAD_REDUCED_GRAYSCALE_4, 8: cv2.IMREAD_REDUCED_GRAYSCALE_8}



class ImageError(ValueError):
    """An input or output that cannot be used; ``str(error)`` is ``"<path>: <reason>"``."""

    def __init__(self, path, reason):
        super().__init__(path, reason)   # args stay (path, reason), so the error pickles
        self.path = path
        self.reason = reason

    def __str__(self):
        return f"{self.path}: {self.reason}"


# ---------------------------------------------------------------- reading

def byte_limit(max_pixels):
    """The most bytes read for one input when images may have ``max_pixels`` pixels (None: no limit).

    16 bytes a pixel (four float32 channels, the largest pixel an uncompressed image or .npy
    array holds) plus 64 MiB for headers and metadata: 1.7 GB at the default 10⁸ pixels.
    """
    return None if max_pixels is None else 16 * int(max_pixels) + (64 << 20)


def read_bytes(path, *, max_bytes=byte_limit(DEFAULT_MAX_PIXELS)):
    """All bytes of the regular file at ``path``, or of stdin when ``path`` is ``-``.

    Refuses, with an ``ImageError``, anything that is not a regular file (a FIFO, a device such
    as /dev/zero, a socket: reading them may never end) and more than ``max_bytes`` bytes
    (None: no limit); stdin is read up to that limit and no further.
    """
    if path == "-":
        if sys.stdin is None:
            raise ImageError(path, "stdin is closed")
        data = _read_capped(sys.stdin.buffer, path, max_bytes)
        if not data:
            raise ImageError(path, "stdin is empty")
        return data
    path = os.fspath(path)
    try:
        _check_regular(path, os.stat(path))
        # O_NONBLOCK: a file swapped for a FIFO after the check must not block the open
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with open(descriptor, "rb") as file:
            status = os.fstat(file.fileno())
            _check_regular(path, status)
            if max_bytes is not None and status.st_size > max_bytes:
                raise ImageError(path, _too_large(status.st_size, max_bytes))
            data = _read_capped(file, path, max_bytes, status.st_size)
    except OSError as error:
        raise ImageError(path, _os_reason(error)) from None
    if not data:
        raise ImageError(path, "empty file")
    return data


def _check_regular(path, status):
    if stat.S_ISDIR(status.st_mode):
        raise ImageError(path, "is a directory")
    if not stat.S_ISREG(status.st_mode):
        raise ImageError(path, "not a regular file")


def _read_capped(stream, name, max_bytes, expected=0):
    """Read ``stream`` to its end, refusing it past ``max_bytes``; ``expected`` sizes the first read."""
    chunks, total, want = [], 0, expected + 1
    while True:
        if max_bytes is not None:
            want = min(want, max_bytes + 1 - total)
        chunk = stream.read(want)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if max_bytes is not None and total > max_bytes:
            raise ImageError(name, _too_large(None, max_bytes))
        want = 1 << 20


def _too_large(size, max_bytes):
    if size is None:
        return f"more than {_bytes(max_bytes)}, the most an image within --max-pixels can take"
    return f"{_bytes(size)}, more than an image within --max-pixels can take ({_bytes(max_bytes)})"


def _bytes(count):
    """``1.7 GB``: two or three digits and a decimal unit."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}" if count < 10 * scale else f"{count / scale:.3g} {unit}"
    return f"{count} bytes"


def imread(path, *, gray=False, max_pixels=DEFAULT_MAX_PIXELS):
    """Read an image file (``-``: stdin) as ``decode`` does; raises ``ImageError``."""
    data = read_bytes(path, max_bytes=byte_limit(max_pixels))
    return decode(data, name=os.fspath(path), gray=gray, max_pixels=max_pixels)


def decode(data, *, name, gray=False, max_pixels=DEFAULT_MAX_PIXELS, reduce=1):
    """Decode an encoded image, keeping its depth (8/16-bit, float) and channels.

    ``gray=True`` gives one channel of the same depth. EXIF orientation is applied as
    ``cv2.imread`` applies it. A one-channel image is a 2-D array; ``.npy`` data is returned
    as stored, in native byte order and C order. Every size the header declares is checked
    against ``max_pixels`` (None: no limit) before decoding. ``reduce`` (2, 4 or 8; JPEG only)
    decodes at that fraction of the size (``cv2.IMREAD_REDUCED_*``, libjpeg's scaled IDCT).
    Every failure raises ``ImageError(name, reason)``, whatever the data.
    """
    if not data:
        raise ImageError(name, "empty file")
    kind = headers.sniff(data)
    if kind is None:
        raise ImageError(name, "not an image (unknown format)")
    if kind in headers.UNSUPPORTED:
        raise ImageError(name, headers.UNSUPPORTED[kind])
    try:
        if kind == "NPY":
            return _decode_npy(data, name, gray, max_pixels)
        complete = headers.COMPLETE.get(kind)
        if complete and not complete(data):
            raise ImageError(name, f"truncated {kind}")
        _check_sizes(name, kind, data, max_pixels)
        return _decode_opencv(data, name, kind, gray, _REDUCED[reduce])
    except ImageError:
        raise
    except MemoryError:
        raise ImageError(name, f"not enough memory to decode this {kind}") from None
    except Exception as error:   # anything else hostile data provokes is this file's error, not a crash
        raise ImageError(name, f"cannot decode {kind} ({type(error).__name__}: {error})") from None


def _check_sizes(name, kind, data, max_pixels):
    try:
        sizes = headers.declared_sizes(kind, data)
    except headers.TruncatedHeader:
        raise ImageError(name, f"truncated {kind}") from None
    except headers.HeaderError as error:
        raise ImageError(name, f"cannot read {kind} header ({error})") from None
    for size in sizes:
        _check_pixels(name, size, max_pixels)


def _decode_opencv(data, name, kind, gray, reduced=0):
    flags = (_READ_GRAY if gray else _READ_AS_STORED) | reduced
    try:
        with _opencv_quiet():
            image, messages = _captured(lambda: cv2.imdecode(np.frombuffer(data, np.uint8), flags))
    except cv2.error as error:   # e.g. above OpenCV's own size limit (OPENCV_IO_MAX_IMAGE_PIXELS)
        raise ImageError(name, f"cannot decode {kind} ({_opencv_message(error)})") from None
    corruption = _corruption(messages)
    if image is None:
        raise ImageError(name, f"cannot decode {kind} ({corruption or 'corrupt or unsupported data'})")
    if corruption:
        raise ImageError(name, f"corrupt {kind} ({corruption})")
    return image


# ---------------------------------------------------------------- .npy

_NPY_KINDS = "biufc"   # booleans, integers, floats and complex numbers (fft spectra)


def _decode_npy(data, name, gray, max_pixels):
    """A .npy array checked from its header before anything is allocated: an image's shape
    (H×W or H×W×C, 1 to 4 channels), a numeric dtype, as many bytes as the header declares."""
    try:
        shape, dtype, header_end = _npy_header(data)
    except (ValueError, EOFError, OSError, SyntaxError, TypeError) as error:
        raise ImageError(name, f"cannot read NPY header ({error})") from None
    _check_npy(name, shape, dtype)
    _check_pixels(name, (shape[1], shape[0]), max_pixels)
    expected = header_end + int(np.prod(shape, dtype=object)) * dtype.itemsize
    if len(data) != expected:
        raise ImageError(name, "truncated NPY" if len(data) < expected
                         else f"NPY holds {len(data) - expected:,} bytes after its array")
    image = np.load(io.BytesIO(data), allow_pickle=False)
    # native byte order and C order: Numba kernels and OpenCV take nothing else
    image = np.ascontiguousarray(image, dtype=image.dtype.newbyteorder("="))
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if gray and image.ndim == 3:
        try:
            image = cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY if image.shape[2] == 4 else cv2.COLOR_BGR2GRAY)
        except cv2.error as error:
            raise ImageError(name, f"cannot convert {image.dtype} {image.shape} to gray "
                                   f"({_opencv_message(error)})") from None
    return image


def _npy_header(data):
    """``(shape, dtype, offset of the data)`` from a .npy header, without reading the array."""
    stream = io.BytesIO(data)
    version = np.lib.format.read_magic(stream)
    read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, _, dtype = read(stream)   # Fortran order is undone after loading
    return shape, dtype, stream.tell()


def _check_npy(name, shape, dtype):
    if dtype.hasobject:
        raise ImageError(name, "NPY holds Python objects (pickles are never loaded)")
    if dtype.kind not in _NPY_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise ImageError(name, f"NPY dtype {dtype.str} is not a pixel type (numbers only)")
    if len(shape) not in (2, 3) or (len(shape) == 3 and not 1 <= shape[2] <= 4):
        raise ImageError(name, f"NPY array of shape {shape} is not an image (H×W, or H×W×C with 1 to 4 channels)")
    if min(shape) < 1:
        raise ImageError(name, f"NPY array of shape {shape} is empty")


def image_size(data):
    """``(width, height)`` declared by the header, or None if it cannot be read.

    Reads the header of every format ``decode`` reads, without decoding pixels. This is the
    stored size: EXIF orientation may swap width and height in the decoded image.
    """
    kind = headers.sniff(data)
    try:
        if kind == "NPY":
            shape = _npy_header(data)[0]
            return (shape[1], shape[0]) if len(shape) >= 2 else None
        return tuple(headers.declared_sizes(kind, data)[0]) if kind in headers.PARSERS else None
    except (headers.HeaderError, ValueError, EOFError, OSError, SyntaxError, TypeError):
        return None


# ---------------------------------------------------------------- checks and messages

def _check_pixels(name, size, max_pixels):
    width, height = size
    if max_pixels is not None and width * height > max_pixels:
        raise ImageError(name, f"image is {width}×{height} = {_count(width * height)} pixels, "
                               f"above --max-pixels {_count(max_pixels)}")


def _count(number):
    """``1e10`` for round numbers, ``123,456,789`` when three digits would hide the difference."""
    mantissa, _, exponent = f"{number:.3g}".partition("e")
    if not exponent:
        return mantissa
    return f"{mantissa}e{int(exponent)}" if float(f"{mantissa}e{exponent}") == number else f"{int(number):,}"


def _opencv_message(error):
    """``OpenCV: assertion failed: pixels <= CV_IO_MAX_IMAGE_PIXELS`` from a cv2.error's last line."""
    text = str(error).strip().splitlines()[-1].split(" error: ", 1)[-1]
    match = re.match(r"\(-?\d+:([^)]*)\) (.*?)(?: in function .*)?$", text)
    return f"OpenCV: {match[1].lower()}: {match[2]}" if match else f"OpenCV: {text}"


_quiet_lock = threading.Lock()
_quiet_users = 0
_saved_level = None


@contextmanager
def _opencv_quiet():
    """Silence OpenCV's logger (libtiff warnings, decoder errors): imgkit reports failures itself.

    Counted, so overlapping uses from several threads restore the caller's level only once.
    """
    global _quiet_users, _saved_level
    with _quiet_lock:
        if _quiet_users == 0:
            _saved_level = cv2.utils.logging.getLogLevel()
            cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
        _quiet_users += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet_users -= 1
            if _quiet_users == 0:
                cv2.utils.logging.setLogLevel(_saved_level)


# ---------------------------------------------------------------- what C libraries print

# libjpeg's warnings that mean pixels were made up (jerror.h): the decoder ran out of data, or
# met data it could not decode, and filled the rest with grey. Its other warnings (extra bytes
# it skipped between markers, an odd JFIF version, a bad ICC profile) leave the pixels intact.
_JPEG_CORRUPTION = re.compile(r"^(?:Corrupt JPEG data: (?!bad ICC marker)(?!\d+ extraneous bytes)|"
                              r"Premature end of JPEG file|Invalid SOS parameters|Inconsistent progression)")
_JPEG_HARMLESS = re.compile(r"^(?:Corrupt JPEG data: (?:bad ICC marker|\d+ extraneous bytes)|Warning: |"
                            r"Unknown Adobe color transform)")
_LIBPNG = re.compile(r"^libpng (warning|error): ")
# Where any of them may begin in what fd 2 received, whatever came before it on the line.
_DECODER_TEXT = re.compile("|".join(p.pattern.removeprefix("^") for p in (_JPEG_CORRUPTION, _JPEG_HARMLESS, _LIBPNG)))
_WINDOW = 1 << 16   # the most bytes read as one decode's messages

# fd 2 is one per process: decodes on several threads share one redirect of it, to a temporary
# file (the sink), which each decode's stretch of bytes is read from. The state below changes
# under ``_capture`` only.
_capture = threading.Condition()
_sink = None        # (process id, file): a forked child makes its own (the offset would be shared)
_saved = None       # a descriptor of the real stderr, while fd 2 points at the sink
_running = 0        # decodes running with fd 2 on the sink
_entered = 0        # decodes that began since fd 2 last went to the sink
_sorted = 0         # bytes of the sink already written back to stderr or dropped
_waiting = 0        # decodes waiting to run alone: no new decode begins meanwhile
_alone = False      # a decode is running alone


def _captured(call):
    """``call()`` (a decode) and the lines libpng and libjpeg wrote to fd 2 while it ran.

    Decodes on several threads run at once, fd 2 pointed at the sink for as long as any runs.
    Each notes where the sink stood when it began and when it ended: a decode that ran alone
    owns the lines in between; one that overlapped others and finds no decoder's text there
    printed none. Only one that overlapped such text (a warning, its own or another's) runs
    again alone, to learn whose it was. What is not a decoder's line (another thread's
    progress bar) is written back to stderr. If fd 2 cannot be redirected (closed), ``call``
    runs without capture.
    """
    mark = _enter(alone=False)
    if mark is None:
        return call(), []
    try:
        result = call()
    finally:
        text, alone = _leave(mark)
    if not alone and _DECODER_TEXT.search(text):
        mark = _enter(alone=True)
        try:
            result = call()
        finally:
            text, _ = _leave(mark)
    return result, [line for line in text.splitlines() if _is_decoders(line)]


def _enter(alone):
    """Begin a decode's capture; returns its mark (where the sink stood, whether it began the
    stretch), or None when fd 2 cannot be redirected."""
    global _running, _entered, _waiting, _alone
    with _capture:
        if alone:
            _waiting += 1
            _capture.wait_for(lambda: _running == 0)
            _waiting -= 1
            _alone = True
        else:
            _capture.wait_for(lambda: not _alone and not _waiting)
        if _running == 0 and not _redirect():
            _alone = False
            _capture.notify_all()
            return None
        _running += 1
        _entered = 1 if _running == 1 else _entered + 1
        return os.fstat(_sink[1].fileno()).st_size, _running == 1


def _leave(mark):
    """End a decode's capture: the text the sink received since ``mark``, and whether no other
    decode ran meanwhile."""
    global _running, _alone
    start, first = mark
    with _capture:
        descriptor = _sink[1].fileno()
        end = os.fstat(descriptor).st_size
        text = os.pread(descriptor, min(end - start, _WINDOW), start).decode("utf-8", "replace")
        alone = first and _entered == 1
        _running -= 1
        _write_back(last=_running == 0)
        if _running == 0:
            _alone = False      # (a decode runs alone only when no other runs)
        _capture.notify_all()
    return text, alone


def _redirect():
    """Point fd 2 at the sink (Python's pending stderr written first); False if it cannot be."""
    global _saved, _sorted
    try:
        saved = os.dup(2)
    except OSError:
        return False
    _flush_python_stderr()
    sink = _stderr_sink()
    sink.seek(0)
    sink.truncate()
    os.dup2(sink.fileno(), 2)
    _saved, _sorted = saved, 0
    return True


def _write_back(last):
    """Write the sink's complete new lines that are no decoder's back to stderr (the real one);
    ``last``: every line, and give fd 2 back."""
    global _saved, _sorted
    descriptor = _sink[1].fileno()
    data = os.pread(descriptor, os.fstat(descriptor).st_size - _sorted, _sorted)
    done = len(data) if last else data.rfind(b"\n") + 1
    for line in data[:done].decode("utf-8", "replace").splitlines():
        if not _is_decoders(line):
            os.write(_saved, (line + "\n").encode())
    _sorted += done
    if last:
        os.dup2(_saved, 2)
        os.close(_saved)
        _saved = None


def _is_decoders(line):
    return bool(_LIBPNG.match(line) or _JPEG_CORRUPTION.match(line) or _JPEG_HARMLESS.match(line))


def _stderr_sink():
    """This process's temporary file for fd 2 (a forked child makes its own: the file's offset
    would be shared with its parent)."""
    global _sink
    if _sink is None or _sink[0] != os.getpid():
        _sink = (os.getpid(), tempfile.TemporaryFile())
    return _sink[1]


def _flush_python_stderr():
    try:
        sys.stderr.flush()
    except (AttributeError, ValueError, OSError):   # no stderr, or a closed one
        pass


def _corruption(messages):
    """The first captured message that means the decoded pixels are wrong, for a person."""
    for line in messages:
        if _JPEG_CORRUPTION.match(line):
            return line.removeprefix("Corrupt JPEG data: ")
        match = _LIBPNG.match(line)
        if match and match[1] == "error":
            return "libpng: " + line[match.end():]
    return None


# ---------------------------------------------------------------- encoding

def format_for(path):
    """The encoding for an output path, from its extension (``.jpeg`` → ``jpg``)."""
    extension = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    if extension in TABLE_FORMATS:
        return TABLE_FORMATS[extension]
    if extension not in FORMATS:
        problem = f"unknown image extension .{extension}" if extension else "no extension to tell the format"
        raise ValueError(f"{path}: {problem}; use one of {', '.join('.' + name for name in FORMATS)}")
    return FORMATS[extension]


def encode(image, fmt, *, quality=None, metadata=None):
    """Encode ``image`` as ``fmt`` (png, jpg, webp, tiff, bmp or npy) and return the bytes.

    ``quality`` (1–100): see ``quality_params``; webp without it is lossless. ``metadata``
    (``metadata.Metadata``) is written by the same encoder, where the format holds it. Raises
    ValueError for a pixel type the format cannot hold: uint16 needs png, tiff or npy; float32
    needs tiff or npy.
    """
    image = np.asarray(image)
    if fmt == "npy":
        buffer = io.BytesIO()
        np.save(buffer, image, allow_pickle=False)
        return buffer.getvalue()
    if fmt == "csv":
        return encode_csv(image)
    if fmt not in _DTYPES:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(sorted(set(FORMATS.values())))}")
    _check_encodable(image, fmt)
    params = [] if quality is None else quality_params(fmt, _check_quality(quality))
    with _opencv_quiet():
        if metadata:
            return metadata.encode(fmt, image, params)
        ok, encoded = cv2.imencode("." + fmt, image, params)
    if not ok:
        raise ValueError(f"OpenCV could not encode a {image.dtype} image of shape {image.shape} as {fmt}")
    return encoded.tobytes()


def encode_csv(values):
    """A 1-D array as one line of comma-separated numbers, a 2-D one as one line per row; floats
    with the digits that read back to the same value (9 for float32, 17 for float64)."""
    if values.ndim not in (1, 2) or values.dtype.kind not in "uif" or values.size == 0:
        raise ValueError(f"csv holds non-empty 1-D or 2-D numeric arrays, got {values.dtype} of shape {values.shape}")
    number = "%d" if values.dtype.kind in "ui" else ("%.9g" if values.dtype.itemsize <= 4 else "%.17g")
    buffer = io.StringIO()
    np.savetxt(buffer, np.atleast_2d(values), fmt=number, delimiter=",")
    return buffer.getvalue().encode()


def encode_archive(entries):
    """An ``.npz`` archive (as ``numpy.savez`` writes, read by ``numpy.load``) of already
    npy-encoded arrays: ``entries`` maps each key to its npy bytes."""
    import zipfile
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for key, data in entries.items():
            archive.writestr(key + ".npy", data)
    return buffer.getvalue()


def _check_encodable(image, fmt):
    if image.size == 0 or image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3, 4)):
        raise ValueError(f"{fmt} needs a non-empty image with 1, 3 or 4 channels, got shape {image.shape}")
    if image.dtype not in _DTYPES[fmt]:
        keepers = [name for name, dtypes in _DTYPES.items() if image.dtype in dtypes] + ["npy"]
        listed = ", ".join(keepers[:-1]) + " and " + keepers[-1] if len(keepers) > 1 else keepers[0]
        raise ValueError(f"{fmt} cannot hold {image.dtype} pixels ({listed} "
                         f"{'keep' if len(keepers) > 1 else 'keeps'} {image.dtype})")


def holds(fmt, dtype):
    """Whether encoding ``fmt`` stores ``dtype`` pixels exactly (npy, its npz archive and csv: any)."""
    return fmt in ("npy", ARCHIVE, "csv") or np.dtype(dtype) in _DTYPES.get(fmt, ())


QUALITY_FORMATS = ("jpg", "webp", "png")     # where --quality means something


def lossy(fmt, quality=None):
    """Whether encoding ``fmt`` changes pixels: jpg always, webp when given a quality."""
    return fmt == "jpg" or (fmt == "webp" and quality is not None)

# ImageMagick's PNG -quality ones digit → libpng's row filter: 0–4 one filter for every row, 5–7
# adaptive (libpng picks a filter per row; LOCO, 7, is MNG-only), 8 and 9 no filter.
_PNG_FILTERS = (cv2.IMWRITE_PNG_FILTER_NONE, cv2.IMWRITE_PNG_FILTER_SUB, cv2.IMWRITE_PNG_FILTER_UP,
                cv2.IMWRITE_PNG_FILTER_AVG, cv2.IMWRITE_PNG_FILTER_PAETH) + (cv2.IMWRITE_PNG_ALL_FILTERS,) * 3 \
               + (cv2.IMWRITE_PNG_FILTER_NONE,) * 2


def quality_params(fmt, quality):
    """``cv2.imencode``'s flags for ``--quality`` (1–100) in ``fmt``; none where it means nothing.

    jpg and webp: the lossy quality (``IMWRITE_JPEG_QUALITY``, ``IMWRITE_WEBP_QUALITY``). png, as
    ImageMagick's ``-quality`` for PNG: the tens digit is the zlib level (100: 9), the ones digit
    the row filter (``_PNG_FILTERS``); 8 is zlib's run-length strategy (Huffman only below 10).
    """
    if fmt == "jpg":
        return [cv2.IMWRITE_JPEG_QUALITY, quality]
    if fmt == "webp":
        return [cv2.IMWRITE_WEBP_QUALITY, quality]
    if fmt != "png":
        return []
    level, kind = min(quality // 10, 9), quality % 10
    strategy = cv2.IMWRITE_PNG_STRATEGY_DEFAULT
    if kind == 8:
        strategy = cv2.IMWRITE_PNG_STRATEGY_RLE if quality >= 10 else cv2.IMWRITE_PNG_STRATEGY_HUFFMAN_ONLY
    return [cv2.IMWRITE_PNG_COMPRESSION, level, cv2.IMWRITE_PNG_FILTER, _PNG_FILTERS[kind],
            cv2.IMWRITE_PNG_STRATEGY, strategy]


def _check_quality(quality):
    if isinstance(quality, bool) or not isinstance(quality, (int, np.integer)) or not 1 <= quality <= 100:
        raise ValueError(f"quality must be an integer from 1 to 100, got {quality!r}")
    return int(quality)


# ---------------------------------------------------------------- writing

def imwrite(path, image, *, quality=None, overwrite=True):
    """Write ``image`` to ``path`` atomically, in the format its extension names."""
    write_atomic(path, encode(image, format_for(path), quality=quality), overwrite=overwrite)


def write_atomic(path, data, *, overwrite=False):
    """Write ``data`` to ``path`` so that readers see either nothing or the whole file.

    The bytes go to a hidden temporary file in the same directory (created if missing), are
    flushed to disk, and the file is then renamed into place. Without ``overwrite`` an
    existing ``path`` is refused, atomically even against a concurrent writer. On any failure,
    KeyboardInterrupt included, the temporary file is removed; one left by a killed process is
    removed by the next ``remove_stale_temporaries`` of its directory. Raises ``ImageError``.
    """
    with atomic_file(path, overwrite=overwrite) as file:
        file.write(data)


@contextmanager
def atomic_file(path, *, overwrite=False):
    """A binary file to write ``path`` through, as ``write_atomic`` writes it: what the block
    writes goes to a hidden temporary file beside ``path``, which is flushed to disk and renamed
    into place when the block ends; if the block raises (KeyboardInterrupt included), or after
    ``abandon_writes``, the temporary file is removed and ``path`` is untouched. For outputs
    streamed as they are made (``tiles``: a BigTIFF written tile by tile). An OSError, in the
    block or placing the file, raises ``ImageError(path, "cannot write: …")``.
    """
    path = os.fspath(path)
    directory = os.path.dirname(path)
    try:
        if directory and not os.path.exists(directory):   # a file there fails below: "not a directory"
            os.makedirs(directory, exist_ok=True)
        with _PLACING:      # a stopping process removes it, or prevents it
            temp, descriptor = _create_temp(path)
            _LIVE_TEMPORARIES.add(temp)
    except OSError as error:
        raise ImageError(path, f"cannot write: {_os_reason(error, writing=True)}") from None
    try:
        with open(temp, "wb", opener=lambda *_: descriptor) as file:     # named: tifffile wants a name
            yield file
            file.flush()
            os.fsync(file.fileno())
        with _PLACING:      # a stopping process either waits for this rename or prevents it
            _move_into_place(temp, path, overwrite)
            placements()[0] += 1
    except BaseException as error:
        _remove(temp)
        if isinstance(error, OSError):
            raise ImageError(path, f"cannot write: {_os_reason(error, writing=True)}") from None
        raise
    finally:
        _LIVE_TEMPORARIES.discard(temp)


# A temporary file's name says who made it: ``.<name>.<host>-<pid>-<random>.imgkit-tmp``.
_TEMP_SUFFIX = ".imgkit-tmp"
_TEMP_NAME = re.compile(r"^\..+\.([0-9a-f]{8})-(\d+)-[0-9a-f]{8}" + re.escape(_TEMP_SUFFIX) + "$")
_LIVE_TEMPORARIES = set()
_PLACING = threading.Lock()
_here = threading.local()


@functools.lru_cache(maxsize=1)
def _host():
    import hashlib
    import socket
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def _create_temp(path):
    """A new hidden file beside ``path``; os.open with mode 0o666 lets the umask set its permissions."""
    directory, name = os.path.split(path)
    for _ in range(10):
        # the name cut short, so that the temporary name fits where the output's own does (255 bytes)
        temp = os.path.join(directory, f".{name[:200]}.{_host()}-{os.getpid()}-{secrets.token_hex(4)}{_TEMP_SUFFIX}")
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
            return temp, os.open(temp, flags, 0o666)
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "cannot create a temporary file", directory)


def placements():
    """How many outputs the calling thread has renamed into place: a one-item list that
    counts on, which another thread may hold and read (a batch stopping its tasks)."""
    if not hasattr(_here, "placed"):
        _here.placed = [0]
    return _here.placed


def abandon_writes():
    """For a process that is stopping: wait for a rename in progress, forbid any later rename
    or temporary file, and remove the temporary files of the writes left unfinished."""
    _PLACING.acquire()      # never released: nothing is put in place after this
    for temp in list(_LIVE_TEMPORARIES):
        _remove(temp)


def remove_stale_temporaries(directory):
    """Remove the temporary files in ``directory`` left by imgkit processes of this host that
    are gone (killed mid-write); returns their paths. Others' files are left alone."""
    removed = []
    try:
        names = os.listdir(directory or ".")
    except OSError:
        return removed
    host = _host()
    for name in names:
        match = _TEMP_NAME.match(name)
        if match and match[1] == host and not _alive(int(match[2])):
            _remove(os.path.join(directory, name))
            removed.append(os.path.join(directory, name))
    return removed


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:     # another user's process
        return True
    return True


def _move_into_place(temp, path, overwrite):
    if overwrite:
        os.replace(temp, path)
        return
    try:
        os.link(temp, path)   # unlike a rename, fails if path exists: no check-then-write race
    except FileExistsError:
        raise ImageError(path, "output exists (use --overwrite)") from None
    except OSError as error:
        if error.errno not in _NO_HARD_LINKS:
            raise
        _claim(path)          # a file system without hard links: claim the name, then rename onto it
        os.replace(temp, path)
        return
    os.unlink(temp)


_NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS}


def _claim(path):
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    except FileExistsError:
        raise ImageError(path, "output exists (use --overwrite)") from None


def _remove(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def write_output(path, data, *, overwrite=False):
    """``data`` to the file ``path`` (``write_atomic``), or to stdout when ``path`` is ``-``."""
    if path == "-":
        write_stdout(data)
    else:
        write_atomic(path, data, overwrite=overwrite)


def write_stdout(data):
    """Write bytes to stdout and flush; raises ``ImageError`` if stdout is closed or full.

    A reader that has gone (broken pipe, ``| head``) is not an error: stdout is pointed at
    /dev/null, so that later writes and the interpreter's final flush stay quiet.
    """
    if sys.stdout is None:
        raise ImageError("stdout", "cannot write: it is closed")
    try:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        silence_stdout()
    except OSError as error:
        raise ImageError("stdout", f"cannot write: {_os_reason(error)}") from None


def silence_stdout():
    """Point stdout at /dev/null once its reader has gone, so that later writes and the
    interpreter's final flush stay quiet."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


_OS_REASONS = {errno.ENOENT: "no such file", errno.EISDIR: "is a directory", errno.ENOTDIR: "not a directory",
               errno.EACCES: "permission denied", errno.EPERM: "permission denied",
               errno.EROFS: "read-only file system"}


def _os_reason(error, writing=False):
    """A person's words for an OSError; writing, a missing file means its directory is missing."""
    if writing and error.errno == errno.ENOENT:
        return "its directory does not exist or cannot hold files"
    reason = _OS_REASONS.get(error.errno) or error.strerror or str(error)
    return reason[:1].lower() + reason[1:]
