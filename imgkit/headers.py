"""Image headers: which format the leading bytes announce, and every size the header declares.

Only headers are read, never pixels, so that ``io.decode`` can refuse an image above
``--max-pixels`` before OpenCV allocates anything. ``sniff`` recognises at least every file
that one of OpenCV 5.1's decoders would accept (each decoder's ``checkSignature`` in
``modules/imgcodecs/src/grfmt_*.cpp``): a file that ``sniff`` does not recognise is never
handed to OpenCV. ``declared_sizes`` lists each size a header declares (every TIFF IFD and
duplicated tag, every WebP frame, every APNG frame…), the decoded image's own size first, and
raises ``HeaderError`` when it cannot read them: such a file is refused, not decoded.

Text headers (PNM, PAM, PFM, Radiance HDR) are read as OpenCV's readers read them (the same
separators, comments and line chunks) and at most ``TEXT_HEADER_LIMIT`` bytes of them.
"""

import re
import struct


class HeaderError(ValueError):
    """A header that cannot be read; ``str(error)`` is the reason, for a person."""


class TruncatedHeader(HeaderError):
    """The data ends inside the header."""


TEXT_HEADER_LIMIT = 1 << 16   # real PNM/PAM/HDR headers are a few hundred bytes
_MAX_CHUNKS = 1 << 20         # chunks, boxes or IFDs walked before giving up (a time bound)
_ISSPACE = b" \t\n\v\f\r"     # C's isspace, which OpenCV's text readers use


# ---------------------------------------------------------------- signatures

_P_FORMATS = {**dict.fromkeys(b"123456", "PNM"), ord("7"): "PAM", ord("f"): "PFM", ord("F"): "PFM"}
_SIGNATURES = [   # (leading bytes, format) of the formats whose signature is a fixed string
    (b"\x59\xa6\x6a\x95", "Sun raster"), (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"),
    (b"II+\x00", "TIFF"), (b"MM\x00+", "TIFF"), (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG 2000"), (b"\xff\x4f\xff\x51", "JPEG 2000"),
]
_WEBP_CHUNKS = (b"VP8 ", b"VP8L", b"VP8X")
_AVIF_BRANDS = (b"avif", b"avis", b"avio")

UNSUPPORTED = {"AVIF": "AVIF is not supported (convert it to PNG, JPEG, TIFF or WebP)"}


def sniff(data):
    """The format the leading bytes announce (``"PNG"``, ``"Sun raster"``…), or None.

    The tests run in OpenCV's order (loadsave.cpp): OpenCV hands a file to the first decoder
    whose signature matches, and a "BM" file its BMP reader refuses is decoded by no other.
    """
    if data[:6] == b"\x93NUMPY":
        return "NPY"
    if data[:2] == b"BM":
        return "BMP" if _is_bmp(data) else None
    if data[:3] == b"GIF":
        return "GIF"
    if data[4:8] == b"ftyp":   # ISO base media (AVIF, HEIF, MP4): libavif's parser decides for OpenCV
        return "AVIF" if any(brand in data[8:64] for brand in _AVIF_BRANDS) else None
    if data.startswith((b"#?RGBE", b"#?RADIANCE")):
        return "HDR"
    if data[:3] == b"\xff\xd8\xff" or data == b"\xff\xd8":   # a 2-byte file: a JPEG cut short
        return "JPEG"
    if _is_webp(data):
        return "WebP"
    if data[:1] == b"P" and len(data) >= 3 and data[2] in _ISSPACE:
        return _P_FORMATS.get(data[1])
    return next((kind for magic, kind in _SIGNATURES if data.startswith(magic)), None)


def _is_webp(data):
    """What libwebp's WebPGetFeatures (OpenCV's signature test) accepts: a RIFF file, a bare
    VP8/VP8L/VP8X chunk, or a raw VP8L or VP8 key-frame bitstream."""
    if data[:4] == b"RIFF":
        return data[8:12] == b"WEBP"
    if data[:4] in _WEBP_CHUNKS:
        return True
    if len(data) >= 10 and data[0] == 0x2F and data[4] >> 5 == 0:
        return True
    return len(data) >= 10 and data[3:6] == b"\x9d\x01\x2a" and data[0] & 1 == 0


_BMP_FORMATS = {(1, 0), (4, 0), (8, 0), (24, 0), (32, 0), (16, 0), (16, 3), (32, 3), (4, 2), (8, 1)}


def _is_bmp(data):
    """Whether OpenCV's BMP reader would accept the header ("BM" alone starts many texts):
    a 12-byte OS/2 header or any header of 36 bytes or more (Windows and OS/2 2.x variants),
    a bit depth and compression it decodes, a width above 0 and a height other than 0."""
    try:
        header = struct.unpack_from("<i", data, 14)[0]
        if header == 12:
            width, height, bits = struct.unpack_from("<HHxxH", data, 18)
            return width > 0 and height != 0 and (bits, 0) in _BMP_FORMATS
        width, height, bits, compression = struct.unpack_from("<iixxHI", data, 18)
    except struct.error:
        return False
    return header >= 36 and width > 0 and height != 0 and (bits, compression) in _BMP_FORMATS


# ---------------------------------------------------------------- sizes

def declared_sizes(kind, data):
    """Every ``(width, height)`` the header of a ``kind`` file declares, the image's own first.

    Raises HeaderError when the header cannot be read.
    """
    try:
        sizes = PARSERS[kind](data)
    except (struct.error, IndexError):   # a field read past the end of the data
        raise TruncatedHeader("the data ends inside the header") from None
    if not sizes:
        raise HeaderError("no image size in the header")
    return sizes


def _png_sizes(data):
    """IHDR, then every APNG frame (fcTL), with its offset."""
    sizes = []
    for kind, start, end in _png_chunks(data):
        if kind == b"IHDR":
            sizes.append(struct.unpack_from(">II", data, start))
        elif kind == b"fcTL":
            width, height, x, y = struct.unpack_from(">IIII", data, start + 4)
            sizes += [(width, height), (x + width, y + height)]
    if not sizes or data[12:16] != b"IHDR":
        raise HeaderError("no IHDR chunk first")
    return sizes


def _png_chunks(data):
    """``(type, payload start, payload end)`` of each chunk up to IEND or the end of the data."""
    at = 8
    for _ in range(_MAX_CHUNKS):
        if at + 8 > len(data):
            return
        length, kind = struct.unpack_from(">I4s", data, at)
        yield kind, at + 8, at + 8 + length
        if kind == b"IEND":
            return
        at += 12 + length   # length, type, payload, CRC
    raise HeaderError(f"more than {_MAX_CHUNKS:,} chunks")


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


def _jpeg_sizes(data):
    sizes = []
    for marker, start, end in _jpeg_segments(data):
        if marker in _JPEG_FRAMES and end <= len(data):
            height, width = struct.unpack_from(">HH", data, start + 1)
            sizes.append((width, height))
    return sizes


def _webp_sizes(data):
    """The VP8X canvas, every frame (ANMF, with its offset) and every bitstream's own size."""
    if data[:4] == b"RIFF":
        return _webp_chunk_sizes(data, 12, min(len(data), 8 + struct.unpack_from("<I", data, 4)[0]))
    if data[:4] in _WEBP_CHUNKS:
        return _webp_chunk_sizes(data, 0, len(data))
    return [_vp8l_size(data, 0) if data[0] == 0x2F else _vp8_size(data, 0)]


def _webp_chunk_sizes(data, at, end):
    sizes = []
    for _ in range(_MAX_CHUNKS):
        if at + 8 > end:
            return sizes
        tag, length = struct.unpack_from("<4sI", data, at)
        start = at + 8
        if tag == b"VP8X":
            canvas = (int.from_bytes(data[start + 4:start + 7], "little") + 1,
                      int.from_bytes(data[start + 7:start + 10], "little") + 1)
            sizes.insert(0, canvas)   # the canvas is what OpenCV allocates
        elif tag == b"ANMF":
            x, y, width, height = (int.from_bytes(data[start + i:start + i + 3], "little") for i in (0, 3, 6, 9))
            sizes += [(width + 1, height + 1), (2 * x + width + 1, 2 * y + height + 1)]
            sizes += _webp_chunk_sizes(data, start + 16, min(end, start + length))
        elif tag == b"VP8 ":
            sizes.append(_vp8_size(data, start))
        elif tag == b"VP8L":
            sizes.append(_vp8l_size(data, start))
        at = start + length + (length & 1)   # chunks are padded to an even length
    raise HeaderError(f"more than {_MAX_CHUNKS:,} chunks")


def _vp8_size(data, at):
    """A lossy key frame: a start code, then 14-bit sizes."""
    if data[at + 3:at + 6] != b"\x9d\x01\x2a":
        raise HeaderError("no VP8 key frame")
    width, height = struct.unpack_from("<HH", data, at + 6)
    return width & 0x3FFF, height & 0x3FFF


def _vp8l_size(data, at):
    """A lossless bitstream: a signature byte, then 14-bit sizes minus one."""
    if data[at] != 0x2F:
        raise HeaderError("no VP8L signature")
    bits = struct.unpack_from("<I", data, at + 1)[0]
    return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1


# Integer TIFF field types libtiff accepts for ImageWidth/ImageLength (TIFFReadDirEntryLong):
# BYTE, SHORT, LONG, SBYTE, SSHORT, SLONG, IFD, LONG8, SLONG8, IFD8.
_TIFF_TYPES = {1: "B", 3: "H", 4: "I", 6: "b", 8: "h", 9: "i", 13: "I", 16: "Q", 17: "q", 18: "Q"}
_TIFF_WIDTH, _TIFF_LENGTH, _TIFF_TILE_WIDTH, _TIFF_TILE_LENGTH = 256, 257, 322, 323


def _tiff_sizes(data):
    """ImageWidth × ImageLength of every IFD in the chain, and their tile sizes.

    libtiff keeps the first of duplicated tags; the largest is taken here, whichever comes
    first. Tiles count too: OpenCV allocates a whole tile's buffer, even for a tiny image.
    An IFD after the first that cannot be read ends the chain, as it does for libtiff.
    """
    layout = _TiffLayout(data)
    sizes, offset, seen = [], layout.first_ifd, set()
    while offset and offset not in seen and len(seen) < _MAX_CHUNKS:
        seen.add(offset)
        try:
            fields, offset = layout.ifd(offset)
        except struct.error:
            if not sizes:
                raise
            break
        sizes.append((max(fields[_TIFF_WIDTH], default=0), max(fields[_TIFF_LENGTH], default=0)))
        if fields[_TIFF_TILE_WIDTH] or fields[_TIFF_TILE_LENGTH]:
            sizes.append((max(fields[_TIFF_TILE_WIDTH], default=1), max(fields[_TIFF_TILE_LENGTH], default=1)))
    if not sizes or 0 in sizes[0]:
        raise HeaderError("no ImageWidth and ImageLength in the first IFD")
    return sizes


class _TiffLayout:
    """Byte order and field widths of a classic TIFF (32-bit offsets) or a BigTIFF (64-bit)."""

    def __init__(self, data):
        self.data = data
        self.order = "<" if data[:2] == b"II" else ">"
        big = data[2:4] in (b"+\x00", b"\x00+")
        self.offset = self.order + ("Q" if big else "I")        # offsets and value counts
        self.entries = self.order + ("Q" if big else "H")       # the number of entries of an IFD
        self.entry = 20 if big else 12                          # tag, type, count, value or offset
        self.inline = 8 if big else 4                           # value bytes held in the entry itself
        self.first_ifd = struct.unpack_from(self.offset, data, 8 if big else 4)[0]

    def ifd(self, at):
        """The size fields of the IFD at ``at`` (tag → every value found) and the next IFD's offset."""
        data = self.data
        first = at + struct.calcsize(self.entries)
        count = min(struct.unpack_from(self.entries, data, at)[0], max(0, len(data) - first) // self.entry)
        fields = {tag: [] for tag in (_TIFF_WIDTH, _TIFF_LENGTH, _TIFF_TILE_WIDTH, _TIFF_TILE_LENGTH)}
        for where in range(first, first + count * self.entry, self.entry):
            tag, kind = struct.unpack_from(self.order + "HH", data, where)
            if tag in fields and kind in _TIFF_TYPES:
                fields[tag].append(self._first_value(where, self.order + _TIFF_TYPES[kind]))
        after = first + count * self.entry
        following = struct.unpack_from(self.offset, data, after)[0] if after + self.inline <= len(data) else 0
        return fields, following

    def _first_value(self, entry, code):
        values = entry + 4 + self.inline   # after tag, type and count
        number = struct.unpack_from(self.offset, self.data, entry + 4)[0]
        if number * struct.calcsize(code) > self.inline:   # the values live elsewhere
            values = struct.unpack_from(self.offset, self.data, values)[0]
        return abs(struct.unpack_from(code, self.data, values)[0])


def _bmp_sizes(data):
    if struct.unpack_from("<i", data, 14)[0] == 12:   # OS/2 BITMAPCOREHEADER: 16-bit sizes
        return [struct.unpack_from("<HH", data, 18)]
    width, height = struct.unpack_from("<ii", data, 18)
    return [(abs(width), abs(height))]   # a negative height means top-down rows


def _gif_sizes(data):
    """The logical screen: OpenCV refuses any frame that does not fit inside it."""
    return [struct.unpack_from("<HH", data, 6)]


def _text_header(data, kind):
    head = data[:TEXT_HEADER_LIMIT]
    return head, f"{kind} header longer than {TEXT_HEADER_LIMIT // 1024} KiB"


_PNM_NUMBER = re.compile(rb"(?:[ \t\n\v\f\r]|#[^\n\r]*[\n\r])*(\d+)")


def _pnm_sizes(data):
    """Width and height, read as OpenCV's ReadNumber reads them: C whitespace and comments from
    ``#`` to the end of the line (CR or LF) may come before each number."""
    head, too_long = _text_header(data, "PNM")
    numbers, at = [], 2
    for _ in range(2):
        match = _PNM_NUMBER.match(head, at)
        if not match:
            raise HeaderError(too_long if len(head) == TEXT_HEADER_LIMIT else "no width and height")
        numbers.append(_c_int(match[1]))
        at = match.end()
    return [tuple(numbers)]


_PAM_KEYS = {b"WIDTH", b"HEIGHT", b"DEPTH", b"MAXVAL", b"TUPLTYPE"}
_SPACES = re.compile(rb"[ \t\n\v\f\r]*")
_PAM_COMMENT = re.compile(rb"#[^\n\r]*[\n\r]")
_PAM_KEY = re.compile(rb"([^ \t\n\v\f\r]{1,8})([ \t\n\v\f\r])")
_PAM_VALUE = re.compile(rb"[ \t\n\v\f\r]*([^\n\r]*)[\n\r]")


def _pam_sizes(data):
    """WIDTH and HEIGHT up to ENDHDR, read as OpenCV's ReadPAMHeaderLine reads them (after a
    key and a space the value may start on a later line); DEPTH (channels) must be 1 to 4.
    A key repeated or unknown is refused, as OpenCV refuses it."""
    head, too_long = _text_header(data, "PAM")
    if head[2:3] not in (b"\n", b"\r"):
        raise HeaderError("no line break after P7")
    fields, at = {}, 3
    while True:
        at = _SPACES.match(head, at).end()
        comment = _PAM_COMMENT.match(head, at)
        if comment:
            at = comment.end()
            continue
        key = _PAM_KEY.match(head, at)
        if not key:
            raise HeaderError(too_long if len(head) == TEXT_HEADER_LIMIT else "no ENDHDR line")
        at = key.end()
        if key[1] == b"ENDHDR":
            break
        if key[1] not in _PAM_KEYS or key[1] in fields:
            raise HeaderError(f"unexpected {key[1].decode('latin-1')!r} line")
        value = b""
        if key[2] not in b"\n\r":
            value_match = _PAM_VALUE.match(head, at)
            if not value_match:
                raise HeaderError(too_long if len(head) == TEXT_HEADER_LIMIT else "no ENDHDR line")
            value, at = value_match[1].rstrip(_ISSPACE), value_match.end()
        fields[key[1]] = value
    try:
        width, height, depth = (_c_int(fields[key]) for key in (b"WIDTH", b"HEIGHT", b"DEPTH"))
    except KeyError as missing:
        raise HeaderError(f"no {missing.args[0].decode()} line") from None
    if not 1 <= depth <= 4:
        raise HeaderError(f"DEPTH {depth}: imgkit reads 1 to 4 channels")
    return [(width, height)]


def _pfm_sizes(data):
    """PF or Pf, a line break, then width and height each ended by one whitespace byte (OpenCV
    reads each number up to the first whitespace and converts it with atoi)."""
    head, too_long = _text_header(data, "PFM")
    if head[2:3] != b"\n":
        raise HeaderError("no line break after PF")
    tokens = re.match(rb"([^ \t\n\v\f\r]*)[ \t\n\v\f\r]([^ \t\n\v\f\r]*)[ \t\n\v\f\r]", head[3:])
    if not tokens:
        raise HeaderError(too_long if len(head) == TEXT_HEADER_LIMIT else "no width and height")
    width, height = (re.match(rb"[+-]?\d*", token)[0] for token in tokens.groups())
    return [(_c_int(width), _c_int(height))]


def _hdr_sizes(data):
    """The resolution line after the blank line that ends a Radiance header.

    Lines are cut as OpenCV's ``fgets`` into 128 bytes cuts them (127 bytes at most), so the
    same line is found. Every orientation (``-Y h +X w``, ``+X w -Y h``…) is read; OpenCV
    itself decodes only ``-Y h +X w``.
    """
    head, too_long = _text_header(data, "HDR")
    lines = _fgets_lines(head)
    next(lines, None)   # "#?RADIANCE": the program type
    for line in lines:
        if line.startswith(b"\n"):
            break
    else:
        raise HeaderError(too_long if len(head) == TEXT_HEADER_LIMIT else "no blank line after the header")
    resolution = next(lines, b"").split(b"\0")[0]
    match = re.match(rb"\s*([-+])([XY])\s*([+-]?\d+)\s*([-+])([XY])\s*([+-]?\d+)", resolution)
    if not match or {match[2], match[5]} != {b"X", b"Y"}:
        raise HeaderError("no resolution line (such as -Y 480 +X 640)")
    size = {match[2]: _c_int(match[3]), match[5]: _c_int(match[6])}
    return [(size[b"X"], size[b"Y"])]


def _fgets_lines(text, size=128):
    """The pieces C's ``fgets(buffer, size, file)`` returns one after the other."""
    at = 0
    while at < len(text):
        end = text.find(b"\n", at, at + size - 1)
        end = end + 1 if end >= 0 else min(len(text), at + size - 1)
        yield text[at:end]
        at = end


def _c_int(digits):
    """A header number (sign, digits) that must fit OpenCV's ``int``; its magnitude."""
    match = re.fullmatch(rb"[+-]?0*(\d*)", digits)
    if not match:
        raise HeaderError(f"size {digits[:24].decode('latin-1')!r} is not a number")
    if len(match[1]) > 10 or int(match[1] or b"0") > 2**31 - 1:
        raise HeaderError(f"size {digits[:24].decode('latin-1')} out of range")
    return int(match[1] or b"0")


def _sun_raster_sizes(data):
    return [tuple(abs(value) for value in struct.unpack_from(">ii", data, 4))]


def _jpeg2000_sizes(data):
    """The codestream's SIZ marker (image area minus its offset); in a JP2 file also the
    image header box. More than 4 components is refused: OpenJPEG allocates each of them."""
    if data[:4] == b"\xff\x4f\xff\x51":
        return [_siz_size(data, 0)]
    codestream, headers = [], []
    for kind, start, end in _jp2_boxes(data, 0, len(data)):
        if kind == b"jp2h":
            for inner, at, _ in _jp2_boxes(data, start, end):
                if inner == b"ihdr":
                    height, width = struct.unpack_from(">II", data, at)
                    headers.append((width, height))
        elif kind == b"jp2c":
            codestream.append(_siz_size(data, start))
    if not codestream:
        raise HeaderError("no codestream box")
    return codestream + headers


def _siz_size(data, at):
    if data[at:at + 4] != b"\xff\x4f\xff\x51":
        raise HeaderError("no SIZ marker after the start of the codestream")
    width, height, left, top = struct.unpack_from(">IIII", data, at + 8)
    components = struct.unpack_from(">H", data, at + 40)[0]
    if not 1 <= components <= 4:
        raise HeaderError(f"{components} components: imgkit reads 1 to 4 channels")
    return max(width - left, 0), max(height - top, 0)


def _jp2_boxes(data, at, end):
    """``(type, payload start, payload end)`` of each box between ``at`` and ``end``."""
    for _ in range(_MAX_CHUNKS):
        if at + 8 > end:
            return
        length, kind = struct.unpack_from(">I4s", data, at)
        header = 8
        if length == 1:   # a 64-bit length follows the type
            length, header = struct.unpack_from(">Q", data, at + 8)[0], 16
        elif length == 0:   # the last box runs to the end
            length = end - at
        if length < header:
            raise HeaderError(f"box {kind!r} shorter than its header")
        yield kind, at + header, min(at + length, end)
        at += length
    raise HeaderError(f"more than {_MAX_CHUNKS:,} boxes")


PARSERS = {"PNG": _png_sizes, "JPEG": _jpeg_sizes, "WebP": _webp_sizes, "TIFF": _tiff_sizes,
            "BMP": _bmp_sizes, "GIF": _gif_sizes, "PNM": _pnm_sizes, "PAM": _pam_sizes, "PFM": _pfm_sizes,
            "HDR": _hdr_sizes, "Sun raster": _sun_raster_sizes, "JPEG 2000": _jpeg2000_sizes}


# ---------------------------------------------------------------- completeness

def _png_complete(data):
    """Whether the chunks run, without running out, up to a whole IEND chunk."""
    return any(kind == b"IEND" and end + 4 <= len(data) for kind, _, end in _png_chunks(data))


def _jpeg_complete(data):
    """Whether an EOI marker follows the first scan (bytes after EOI are allowed)."""
    for marker, _, end in _jpeg_segments(data):
        if marker == _JPEG_SOS:
            return data.find(_JPEG_EOI, end) >= 0   # entropy-coded data never holds FF D9
    return False


def _webp_complete(data):
    """Whether a RIFF file holds all the bytes its header announces."""
    return data[:4] != b"RIFF" or len(data) >= 8 + struct.unpack_from("<I", data, 4)[0]


COMPLETE = {"PNG": _png_complete, "JPEG": _jpeg_complete, "WebP": _webp_complete}
