"""Reading and writing images: decode and encode, stdin and stdout, atomic writes.

``cv2.imread``/``cv2.imdecode`` return ``None`` instead of raising, print their own warnings, and
will try to allocate whatever size a header declares. This module turns every failure into an
``ImageError`` whose message is one line for a person (``photo.png: truncated PNG``), refuses
oversized images from the header before decoding, and rejects truncated PNG and JPEG files
(``cv2.imread`` fills a truncated JPEG's missing rows with grey and only warns).

A library module: it prints nothing; the command line reports ``imgkit: <message>``.
"""

import errno
import io
import os
import re
import secrets
import struct
import sys
import threading
from contextlib import contextmanager

import cv2
import numpy as np

# Extension (lower case, no dot) → encoding. The values are the encodings ``encode`` accepts.
FORMATS = {"png": "png", "jpg": "jpg", "jpeg": "jpg", "webp": "webp", "tiff": "tiff", "tif": "tiff",
           "bmp": "bmp", "npy": "npy"}
TABLE_FORMATS = {"csv": "csv"}   # results that are numbers, not pictures (HOG features): 1-D or 2-D arrays

# Pixel types each OpenCV encoding stores exactly; ``npy`` stores any array.
_DTYPES = {
    "png": {np.dtype(np.uint8), np.dtype(np.uint16)},
    "jpg": {np.dtype(np.uint8)},
    "webp": {np.dtype(np.uint8)},
    "bmp": {np.dtype(np.uint8)},
    "tiff": {np.dtype(np.uint8), np.dtype(np.uint16), np.dtype(np.float32)},
}
FLOAT_FORMATS = frozenset({"tiff", "npy", "csv", "npz"})   # the encodings that keep float32 results
ARCHIVE = "npz"     # one archive of npy arrays for a whole batch (``batch.plan_outputs``)
_QUALITY_FLAG = {"jpg": cv2.IMWRITE_JPEG_QUALITY, "webp": cv2.IMWRITE_WEBP_QUALITY}

# Keeps the stored depth and channels (gray, BGR or BGRA) like IMREAD_UNCHANGED, but unlike it
# still applies the EXIF orientation: OpenCV skips orientation only when flags == IMREAD_UNCHANGED.
_READ_AS_STORED = cv2.IMREAD_COLOR | cv2.IMREAD_ANYCOLOR | cv2.IMREAD_ANYDEPTH
_READ_GRAY = cv2.IMREAD_GRAYSCALE | cv2.IMREAD_ANYDEPTH


class ImageError(ValueError):
    """An input or output that cannot be used; ``str(error)`` is ``"<path>: <reason>"``."""

    def __init__(self, path, reason):
        super().__init__(path, reason)   # args stay (path, reason), so the error pickles
        self.path = path
        self.reason = reason

    def __str__(self):
        return f"{self.path}: {self.reason}"


# ---------------------------------------------------------------- reading

def read_bytes(path):
    """All bytes of the file at ``path``, or of stdin when ``path`` is ``-``."""
    if path == "-":
        data = sys.stdin.buffer.read()
        if not data:
            raise ImageError(path, "stdin is empty")
        return data
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError as error:
        raise ImageError(path, _os_reason(error)) from None
    if not data:
        raise ImageError(path, "empty file")
    return data


def imread(path, *, gray=False, max_pixels=10**8):
    """Read an image file (``-``: stdin) as ``decode`` does; raises ``ImageError``."""
    return decode(read_bytes(path), name=os.fspath(path), gray=gray, max_pixels=max_pixels)


def decode(data, *, name, gray=False, max_pixels=10**8):
    """Decode an encoded image, keeping its depth (8/16-bit, float) and channels.

    ``gray=True`` gives one channel of the same depth. EXIF orientation is applied as
    ``cv2.imread`` applies it. A one-channel image is a 2-D array; ``.npy`` data is returned
    as stored. ``max_pixels`` (None: no limit) is checked against the header before decoding.
    Every failure raises ``ImageError(name, reason)``.
    """
    if not data:
        raise ImageError(name, "empty file")
    kind = _sniff(data)
    size = image_size(data)
    if size is not None:
        _check_pixels(name, size, max_pixels)
    if kind == "NPY":
        image = _decode_npy(data, name, gray)
    else:
        complete = _COMPLETE.get(kind)
        if complete and not complete(data):
            raise ImageError(name, f"truncated {kind}")
        image = _decode_opencv(data, name, kind, gray)
    if size is None:   # a format whose header we do not parse: refuse it now at least
        _check_pixels(name, image.shape[1::-1], max_pixels)
    return image


def _decode_opencv(data, name, kind, gray):
    try:
        with _opencv_quiet():
            image = cv2.imdecode(np.frombuffer(data, np.uint8), _READ_GRAY if gray else _READ_AS_STORED)
    except cv2.error as error:   # e.g. above OpenCV's own size limit (OPENCV_IO_MAX_IMAGE_PIXELS)
        raise ImageError(name, f"cannot decode {kind} ({_opencv_message(error)})") from None
    if image is None:
        raise ImageError(name, f"cannot decode {kind} (corrupt or unsupported data)"
                         if kind else "not an image (unknown format)")
    return image


def _decode_npy(data, name, gray):
    try:
        image = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, EOFError, OSError) as error:
        raise ImageError(name, f"cannot decode NPY ({error})") from None
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if gray and image.ndim == 3:
        try:
            image = cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY if image.shape[2] == 4 else cv2.COLOR_BGR2GRAY)
        except cv2.error as error:
            raise ImageError(name, f"cannot convert {image.dtype} {image.shape} to gray "
                                   f"({_opencv_message(error)})") from None
    return image


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
    Messages that libpng and libjpeg print straight to stderr are not covered; the truncated
    files that cause most of them are refused before OpenCV sees them.
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


# ---------------------------------------------------------------- headers

_SIGNATURES = [
    (b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8", "JPEG"), (b"GIF8", "GIF"),
    (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"), (b"II+\x00", "TIFF"), (b"MM\x00+", "TIFF"),
    (b"\x93NUMPY", "NPY"),
]
_PNM = re.compile(rb"P[1-6Ff]\s")   # PBM, PGM, PPM (text and binary) and PFM
_BMP_HEADER_SIZES = {12, 40, 52, 56, 64, 108, 124}   # DIB header versions; "BM" alone starts many texts


def _sniff(data):
    """The format name the leading bytes announce, or None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    if data[:2] == b"BM" and int.from_bytes(data[14:18], "little") in _BMP_HEADER_SIZES:
        return "BMP"
    if _PNM.match(data):
        return "PNM"
    return next((kind for magic, kind in _SIGNATURES if data.startswith(magic)), None)


def image_size(data):
    """``(width, height)`` declared by the header, or None if it cannot be read.

    Reads PNG, JPEG, WebP, TIFF and BigTIFF, BMP, GIF, PNM, PFM and NPY headers without
    decoding pixels. This is the stored size: EXIF orientation may swap width and height in
    the decoded image.
    """
    parse = _SIZE_PARSERS.get(_sniff(data))
    try:
        return parse(data) if parse else None
    except (struct.error, IndexError, ValueError):
        return None


def _png_size(data):
    if data[12:16] != b"IHDR":
        return None
    return struct.unpack_from(">II", data, 16)


_JPEG_FRAMES = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}   # SOFn; C4/C8/CC are DHT, JPG, DAC
_JPEG_SOS, _JPEG_EOI = 0xDA, b"\xff\xd9"
_JPEG_BARE = {0x00, 0x01, *range(0xD0, 0xD8)}   # markers without a length field


def _jpeg_segments(data):
    """``(marker, payload start, payload end)`` of each segment up to the first scan header.

    Bytes between segments that are not markers are skipped, as libjpeg does.
    """
    at = 2
    while True:
        at = data.find(b"\xff", at)
        if at < 0 or at + 4 > len(data):
            return
        marker = data[at + 1]
        if marker == 0xFF or marker in _JPEG_BARE:
            at += 1 if marker == 0xFF else 2
            continue
        if marker == _JPEG_EOI[1]:
            return
        end = at + 2 + int.from_bytes(data[at + 2:at + 4], "big")
        yield marker, at + 4, end
        if marker == _JPEG_SOS:
            return
        at = end


def _jpeg_size(data):
    for marker, start, end in _jpeg_segments(data):
        if marker in _JPEG_FRAMES and end <= len(data):
            height, width = struct.unpack_from(">HH", data, start + 1)
            return width, height
    return None


def _webp_size(data):
    chunk = data[12:16]
    if chunk == b"VP8 ":   # lossy: 14-bit sizes after the key-frame start code
        width, height = struct.unpack_from("<HH", data, 26)
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":   # lossless: 14-bit sizes minus one, packed after a signature byte
        bits = struct.unpack_from("<I", data, 21)[0]
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:   # extended: 24-bit canvas sizes minus one
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    return None


_TIFF_TYPES = {3: "H", 4: "I", 16: "Q"}   # SHORT, LONG, LONG8
_TIFF_WIDTH, _TIFF_LENGTH = 256, 257


def _tiff_size(data):
    """ImageWidth and ImageLength from the first IFD (classic TIFF or BigTIFF)."""
    order = "<" if data[:2] == b"II" else ">"
    big = data[2:4] in (b"+\x00", b"\x00+")
    ifd = struct.unpack_from(order + ("Q" if big else "I"), data, 8 if big else 4)[0]
    count = struct.unpack_from(order + ("Q" if big else "H"), data, ifd)[0]
    first, entry, value = (ifd + 8, 20, 12) if big else (ifd + 2, 12, 8)
    size = {}
    for at in range(first, first + min(count, 4096) * entry, entry):
        tag, kind = struct.unpack_from(order + "HH", data, at)
        if tag in (_TIFF_WIDTH, _TIFF_LENGTH) and kind in _TIFF_TYPES:
            size[tag] = struct.unpack_from(order + _TIFF_TYPES[kind], data, at + value)[0]
    return (size[_TIFF_WIDTH], size[_TIFF_LENGTH]) if len(size) == 2 else None


def _bmp_size(data):
    if struct.unpack_from("<I", data, 14)[0] == 12:   # OS/2 BITMAPCOREHEADER: 16-bit sizes
        return struct.unpack_from("<HH", data, 18)
    width, height = struct.unpack_from("<ii", data, 18)
    return abs(width), abs(height)   # a negative height means top-down rows


def _gif_size(data):
    return struct.unpack_from("<HH", data, 6)


def _pnm_size(data):
    fields = re.sub(rb"#[^\n]*", b"", data[:1024]).split()   # comments may sit between the numbers
    return int(fields[1]), int(fields[2])


def _npy_size(data):
    stream = io.BytesIO(data)
    version = np.lib.format.read_magic(stream)
    read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    rows, columns = (*read(stream)[0], 1, 1)[:2]
    return columns, rows


_SIZE_PARSERS = {"PNG": _png_size, "JPEG": _jpeg_size, "WebP": _webp_size, "TIFF": _tiff_size,
                 "BMP": _bmp_size, "GIF": _gif_size, "PNM": _pnm_size, "NPY": _npy_size}


def _png_complete(data):
    """Whether the chunks run, without running out, up to a whole IEND chunk."""
    at = 8
    while at + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, at)
        at += 12 + length   # length, type, payload, CRC
        if kind == b"IEND":
            return at <= len(data)
    return False


def _jpeg_complete(data):
    """Whether an EOI marker follows the first scan (bytes after EOI are allowed)."""
    for marker, _, end in _jpeg_segments(data):
        if marker == _JPEG_SOS:
            return data.find(_JPEG_EOI, end) >= 0   # entropy-coded data never holds FF D9
    return False


def _webp_complete(data):
    return len(data) >= 8 + struct.unpack_from("<I", data, 4)[0]


_COMPLETE = {"PNG": _png_complete, "JPEG": _jpeg_complete, "WebP": _webp_complete}


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


def encode(image, fmt, *, quality=None):
    """Encode ``image`` as ``fmt`` (png, jpg, webp, tiff, bmp or npy) and return the bytes.

    ``quality`` (1–100) sets jpg and webp compression and is ignored by the other formats;
    webp without it is lossless. Raises ValueError for a pixel type the format cannot hold:
    uint16 needs png, tiff or npy; float32 needs tiff or npy.
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
    params = []
    if quality is not None and fmt in _QUALITY_FLAG:
        params = [_QUALITY_FLAG[fmt], _check_quality(quality)]
    with _opencv_quiet():
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
    path = os.fspath(path)
    directory = os.path.dirname(path)
    try:
        if directory and not os.path.isdir(directory):
            os.makedirs(directory, exist_ok=True)
        temp, descriptor = _create_temp(path)
    except OSError as error:
        raise ImageError(path, f"cannot write: {_os_reason(error, writing=True)}") from None
    _LIVE_TEMPORARIES.add(temp)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        _move_into_place(temp, path, overwrite)
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


def _host():
    import hashlib
    import socket
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def _create_temp(path):
    """A new hidden file beside ``path``; os.open with mode 0o666 lets the umask set its permissions."""
    directory, name = os.path.split(path)
    for _ in range(10):
        temp = os.path.join(directory, f".{name}.{_host()}-{os.getpid()}-{secrets.token_hex(4)}{_TEMP_SUFFIX}")
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
            return temp, os.open(temp, flags, 0o666)
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "cannot create a temporary file", directory)


def remove_live_temporaries():
    """Remove the temporary files of writes in progress (a worker told to stop)."""
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


def write_stdout(data):
    """Write bytes to stdout and flush. Returns False if the reader has gone (broken pipe).

    After a broken pipe, stdout is pointed at /dev/null so the interpreter's final flush stays
    quiet; the caller should stop writing and exit as usual (``head`` closing early is not an error).
    """
    try:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        silence_stdout()
        return False
    return True


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
