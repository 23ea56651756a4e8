"""Fuzz the command line's readers with mutated files, in a child process bounded in memory and time.

Every input is a seed of ``corpus/<format>/`` (made by ``make_corpus.py``) put through one to four
stacked mutations: bit flips, interesting bytes, integer fields set to boundary values (biased to
the header), bytes inserted, deleted, repeated or truncated, two seeds spliced, tokens of the
format (magic numbers, chunk names, JSON syntax, absurd numbers) written in, and, in text formats,
a number replaced by an absurd one or a line repeated. It then goes where ``imgkit`` would take it:

- images, ``.npy`` and ``.npz`` (png jpg tiff bmp webp pnm npy npz): ``imgkit.io.decode``, as every
  image command and ``fft inverse`` read an input (``.npz`` is only ever written by imgkit: a
  ``.npz`` named as an input is decoded by content like any other file);
- detection files (json csv yolo): ``imgkit nms``'s path, ``boxes.read`` then NMS or Soft-NMS and
  ``boxes.write``, whose output must read back with as many detections as were kept.

Each input must end in a clean per-file error (``io.ImageError``; a ValueError from the NMS
options) or a sound result (a 2-D or 3-D native-endian array of at most 4 channels; finite boxes),
within ``--timeout`` seconds (a hang is a finding) and under ``RLIMIT_AS`` = ``--memory`` MiB. A
finding is saved to ``findings/`` (git-ignored) as its smallest reproducer, ``<format>-<sig>.<ext>``,
beside ``<format>-<sig>.finding.txt`` holding the exception and traceback. What the C libraries print
straight to stderr is counted apart (issue 14 item 15), not a finding.

    python tests/fuzz/fuzz.py --seconds 1800        (make fuzz; FUZZ_SECONDS=N make fuzz)
    python tests/fuzz/fuzz.py --count 100 --seed 1  (so many inputs per format, reproducibly)

The exit status is 1 when something was found.
"""

import argparse
import hashlib
import os
import pickle
import random
import re
import select
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CORPUS = HERE / "corpus"
FINDINGS = HERE / "findings"
IMAGE_FORMATS = ("png", "jpg", "tiff", "bmp", "webp", "pnm", "npy", "npz")
BOX_FORMATS = {"json": "json", "csv": "csv", "yolo": "txt"}     # format → the extension imgkit reads it by
FORMATS = IMAGE_FORMATS + tuple(BOX_FORMATS)
TIMEOUT = 10.0                  # seconds an input may take
STARTUP_TIMEOUT = 600.0         # the worker's imports and its first Numba compile
MEMORY_MIB = 2048
MAX_INPUT = 1 << 20             # mutations stop growing an input past 1 MiB: the limits are tested apart


# ---------------------------------------------------------------- mutations

BOUNDARIES = [0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000,
              0xFFFFFFFF, 0x100000000, 0x7FFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF]
NUMBERS = ["0", "-0", "1", "-1", "0.5", "1e308", "-1e308", "1e400", "-1e400", "1e-400", "nan", "NaN", "inf",
           "-inf", "Infinity", "2147483647", "2147483648", "-2147483649", "9223372036854775808", "9" * 400,
           "1e6", "-1e6", "1e15", "1e-300", "0x10", "1_0", "٣"]
TOKENS = {
    "png": [b"IHDR", b"IDAT", b"IEND", b"PLTE", b"tRNS", b"acTL", b"fcTL", b"fdAT", b"\x89PNG\r\n\x1a\n"],
    "jpg": [b"\xff\xd8", b"\xff\xd9", b"\xff\xc0", b"\xff\xc2", b"\xff\xc4", b"\xff\xda", b"\xff\xdb", b"\xff\xdd",
            b"\xff\xe1\x00\x10Exif\x00\x00MM\x00*", b"\xff\x00", b"\xff\xd0"],
    "tiff": [b"II*\x00", b"MM\x00*", b"II+\x00", struct.pack("<HHIi", 256, 4, 1, 100000),
             struct.pack("<HHIi", 257, 9, 1, -1), struct.pack(">HHII", 256, 3, 1, 0xFFFF0000),
             struct.pack("<HHII", 273, 4, 1, 0xFFFFFFF0), struct.pack("<HHII", 258, 3, 1, 64)],
    "bmp": [b"BM", struct.pack("<I", 40), struct.pack("<I", 12), struct.pack("<I", 124), struct.pack("<I", 64),
            struct.pack("<ii", 100000, -100000), struct.pack("<HI", 1, 1)],
    "webp": [b"RIFF", b"WEBP", b"VP8 ", b"VP8L", b"VP8X", b"ANIM", b"ANMF", b"ALPH", b"\x9d\x01\x2a", b"\x2f"],
    "pnm": [b"P1", b"P4", b"P5", b"P6", b"P7\n", b"Pf", b"PF", b"#\r", b"# c\n", b"WIDTH 100000\n",
            b"HEIGHT 100000\n", b"DEPTH 4\n", b"MAXVAL 65535\n", b"ENDHDR\n", b" 65535 ", b" 4294967296 ", b" -1 "],
    "npy": [b"\x93NUMPY", b"'descr': '>u2'", b"'descr': '<c16'", b"'descr': '|O'", b"'fortran_order': True",
            b"(1, 1, 1, 1000000000000)", b"(100000, 100000, 3)", b"(0,)", b"(3, 3, 7)", b"()", b"\x02\x00", b"\x03\x00"],
    "npz": [b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06", b"PK\x06\x06", b".npy", b"\x93NUMPY"],
    "json": [b"[", b"{", b"]", b"}", b",", b":", b'"box":', b'"score":', b'"class":', b'"boxes":', b'"scores":',
             b'"classes":', b"null", b"true", b'"\\ud800"', b"[" * 3000, b"\xef\xbb\xbf"],
    "csv": [b",", b'"', b"\n", b"\r\n", b"\r", b"x1,y1,x2,y2,score,class", b"cx,cy,w,h,score", b"\x00",
            b"\xef\xbb\xbf", b'"' + b"x" * 200000],
    "yolo": [b" ", b"\n", b"\t", b"\x0b", b"\x1c", "\u2028".encode(), b"\r", b"0 " * 3000],
}


class Mutator:
    """Mutated copies of the corpus, reproducibly from ``rng``."""

    def __init__(self, rng, corpus):
        self.rng, self.corpus = rng, corpus

    def mutant(self, fmt):
        data = bytearray(self.rng.choice(self.corpus[fmt])[1])
        for _ in range(self.rng.randint(1, 4)):
            operators = self.TEXT if fmt in BOX_FORMATS and self.rng.random() < 0.75 else self.BYTES
            data = self.rng.choice(operators)(self, data, fmt)[:MAX_INPUT]
        if fmt == "png" and self.rng.random() < 0.75:
            data = _png_with_true_crcs(data)
        return bytes(data)

    def _offset(self, data, end=0):
        """An offset, half the time within the first 64 bytes, where headers are."""
        top = max(len(data) - end, 0)
        return self.rng.randint(0, min(top, 64) if self.rng.random() < 0.5 else top)

    def flip_bits(self, data, fmt):
        for _ in range(self.rng.randint(1, 8)):
            if data:
                data[self._offset(data, 1)] ^= 1 << self.rng.randrange(8)
        return data

    def interesting_byte(self, data, fmt):
        if data:
            data[self._offset(data, 1)] = self.rng.choice([0, 1, 0x7F, 0x80, 0xFF, 0x20, 0x0A, 0x0D, 0x23])
        return data

    def boundary_integer(self, data, fmt):
        size = self.rng.choice([1, 2, 4, 8])
        value = self.rng.choice(BOUNDARIES) % (1 << 8 * size)
        if self.rng.random() < 0.5:
            value = (value + self.rng.choice([-1, 1])) % (1 << 8 * size)
        at = self._offset(data, size)
        data[at:at + size] = value.to_bytes(size, self.rng.choice(["little", "big"]))
        return data

    def insert_bytes(self, data, fmt):
        at = self._offset(data)
        if self.rng.random() < 0.5:
            block = bytes(self.rng.randrange(256) for _ in range(self.rng.randint(1, 32)))
        else:
            block = bytes([self.rng.randrange(256)]) * self.rng.randint(1, 4096)
        data[at:at] = block
        return data

    def delete_bytes(self, data, fmt):
        at = self._offset(data)
        del data[at:at + self.rng.randint(1, 64)]
        return data

    def truncate(self, data, fmt):
        return data[:self.rng.randint(0, len(data))]

    def repeat_block(self, data, fmt):
        start = self._offset(data)
        block = data[start:start + self.rng.randint(1, 64)]
        at = self._offset(data)
        data[at:at] = block * self.rng.randint(1, 64)
        return data

    def splice(self, data, fmt):
        other = self.rng.choice(self.corpus[fmt])[1]
        return data[:self.rng.randint(0, len(data))] + other[self.rng.randint(0, len(other)):]

    def token(self, data, fmt):
        word, at = self.rng.choice(TOKENS[fmt]), self._offset(data)
        if self.rng.random() < 0.5:
            data[at:at] = word
        else:
            data[at:at + len(word)] = word
        return data

    def number(self, data, fmt):
        """A number of the text replaced by an absurd one."""
        numbers = list(re.finditer(rb"-?[0-9][0-9.eE+-]*", data))
        if numbers:
            chosen = self.rng.choice(numbers)
            data[chosen.start():chosen.end()] = self.rng.choice(NUMBERS).encode()
        return data

    def repeat_line(self, data, fmt):
        lines = data.split(b"\n")
        line = self.rng.randrange(len(lines))
        lines[line:line + 1] = [lines[line]] * self.rng.choice([2, 10, 1000, 20000])
        return bytearray(b"\n".join(lines))

    BYTES = [flip_bits, interesting_byte, boundary_integer, insert_bytes, delete_bytes, truncate, repeat_block,
             splice, token]
    TEXT = [number, number, repeat_line, token]


def _png_with_true_crcs(data):
    """``data`` with each whole chunk's CRC recomputed: libpng drops a chunk whose CRC is wrong, so
    without this hardly a mutation would reach the code that reads the chunk."""
    at = 8
    while at + 12 <= len(data):
        end = at + 8 + int.from_bytes(data[at:at + 4], "big")
        if end + 4 > len(data):
            break
        data[end:end + 4] = zlib.crc32(data[at + 4:end]).to_bytes(4, "big")
        at = end + 4
    return data


# ---------------------------------------------------------------- the worker (child process)

class Unsound(Exception):
    """A result that the command line must never be handed."""


class CleanError(Exception):
    """A per-file error, as the command line reports it."""


def decode_image(data, name, gray):
    import numpy as np
    from imgkit import io
    image = io.decode(data, name=name, gray=gray)
    if not isinstance(image, np.ndarray) or image.ndim not in (2, 3) or image.size == 0:
        raise Unsound(f"decode gave {type(image).__name__} of shape {getattr(image, 'shape', None)}")
    if image.ndim == 3 and image.shape[2] > 4:
        raise Unsound(f"decode gave {image.shape[2]} channels")
    if not image.dtype.isnative:
        raise Unsound(f"decode gave a non-native {image.dtype.str} array")


def suppress_boxes(data, name, box_format, soft):
    """``imgkit nms`` on one file: read, suppress, write; the output must read back."""
    import numpy as np
    from imgkit import boxes
    from imgkit.ops.nms import nms, soft_nms
    found = boxes.read(name, data, box_format)
    if not (np.isfinite(found.boxes).all() and np.isfinite(found.scores).all()):
        raise Unsound("read gave boxes or scores that are not finite")
    if len(found.scores) > boxes.MAX_DETECTIONS:
        raise Unsound(f"read gave {len(found.scores)} detections")
    try:
        if soft:
            kept, scores = soft_nms(found.boxes, found.scores, classes=found.classes, box_format=found.box_format)
        else:
            kept, scores = nms(found.boxes, found.scores, classes=found.classes, box_format=found.box_format), None
    except ValueError as error:     # the command line reports it as this file's error
        raise CleanError(str(error)) from None
    again = boxes.read("again." + BOX_FORMATS[found.kind], boxes.write(found, kept, scores), found.box_format)
    if len(again.scores) != len(kept):
        raise Unsound(f"{len(kept)} detections kept, {len(again.scores)} read back from the output")


def run_input(fmt, name, data, options):
    """('ok' | 'error' | 'finding', detail, signature) for one input."""
    from imgkit.io import ImageError
    try:
        if fmt in BOX_FORMATS:
            suppress_boxes(data, name, options["box_format"], options["soft"])
        else:
            decode_image(data, name, options["gray"])
        return "ok", "", ""
    except (ImageError, CleanError) as error:
        return "error", str(error), ""
    except Unsound as error:
        return "finding", f"unsound result: {error}", "Unsound " + re.sub(r"\d+", "N", str(error))
    except Exception as error:      # MemoryError, RecursionError and the rest: a crash of that input
        return "finding", traceback.format_exc(limit=-12), _signature(error)


def _signature(error):
    """The exception's type and the innermost imgkit frame it passed: one finding, however often hit."""
    frames = [(f.filename, f.lineno) for f in traceback.extract_tb(error.__traceback__)]
    return f"{type(error).__name__} at {_innermost(frames)}"


def _innermost(frames):
    """``imgkit/io.py:318`` for the last of ``frames`` (file, line) inside imgkit, else the last."""
    package = str(ROOT / "imgkit")
    ours = [(name, line) for name, line in frames if name.startswith(package)] or frames
    if not ours:
        return "?"
    name, line = ours[-1]
    return f"{os.path.relpath(name, ROOT) if name.startswith(package) else Path(name).name}:{line}"


def warm_up():
    """Compile the NMS kernels before the clock starts, so the first inputs are timed fairly."""
    for fmt in BOX_FORMATS:
        for _name, data in _seeds(fmt):
            for soft in (False, True):
                run_input(fmt, "seed." + BOX_FORMATS[fmt], data, {"box_format": "xyxy", "soft": soft})


def worker(memory_mib, timeout, stacks):
    """Read pickled (format, name, bytes, options) from stdin, answer each on stdout. An input
    still running after 90 % of ``timeout`` has the worker's stack written to the file ``stacks``,
    so that a hang is reported with where it hung."""
    import faulthandler
    import resource
    limit = memory_mib << 20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import cv2
    cv2.setNumThreads(1)
    warm_up()
    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    _send(answers, "ready")
    with open(stacks, "w") as stack_file:
        while (request := _receive(requests)) is not None:
            fmt, name, data, options = request
            printed = os.fstat(2).st_size
            if os.fstat(stack_file.fileno()).st_size:      # a slow input's stack: not this one's
                os.ftruncate(stack_file.fileno(), 0)
                os.lseek(stack_file.fileno(), 0, os.SEEK_SET)
            faulthandler.dump_traceback_later(0.9 * timeout, file=stack_file)
            outcome = run_input(fmt, name, data, options)
            faulthandler.cancel_dump_traceback_later()
            leaked = os.fstat(2).st_size > printed     # libpng, libjpeg, libtiff writing to fd 2
            _send(answers, (*outcome, leaked))


def _send(stream, message):
    payload = pickle.dumps(message)
    stream.write(struct.pack("<I", len(payload)) + payload)
    stream.flush()


def _receive(stream):
    header = stream.read(4)
    if len(header) < 4:
        return None
    return pickle.loads(stream.read(struct.unpack("<I", header)[0]))


# ---------------------------------------------------------------- the driver (parent process)

class Worker:
    """The child process, restarted after a hang or a death."""

    def __init__(self, memory_mib, timeout, stderr, stacks):
        self.memory_mib, self.timeout, self.stderr, self.stacks = memory_mib, timeout, stderr, stacks
        self.process = None

    def start(self):
        path = [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        environment = dict(os.environ, PYTHONPATH=os.pathsep.join(path),
                           NUMBA_NUM_THREADS="1", OMP_NUM_THREADS="1", PYTHONHASHSEED="0")
        command = [sys.executable, __file__, "--worker", "--memory", str(self.memory_mib),
                   "--timeout", str(self.timeout), "--stacks", str(self.stacks)]
        self.process = subprocess.Popen(command,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
                                        env=environment, cwd=ROOT)
        if self._answer(STARTUP_TIMEOUT) != "ready":
            raise RuntimeError(f"the fuzz worker did not start (exit {self.process.poll()}); see its stderr")

    def run(self, request):
        """The worker's answer, or a finding when it hangs or dies."""
        if self.process is None:
            self.start()
        try:
            _send(self.process.stdin, request)
            answer = self._answer(self.timeout)
        except (BrokenPipeError, EOFError, struct.error):
            answer = None
        if answer is not None:
            return answer
        code = self.process.poll()
        self.stop()
        if code is None:
            stack = Path(self.stacks).read_text()
            frames = re.findall(r'File "([^"]+)", line (\d+)', stack)[::-1]     # faulthandler: innermost first
            return ("finding", f"no answer within {self.timeout:g} s; the worker's stack:\n{stack}",
                    f"timeout in {_innermost([(name, int(line)) for name, line in frames])}", False)
        how = f"signal {-code}" if code < 0 else f"exit {code}"
        return "finding", f"the worker died ({how})", f"died ({how})", False

    def _answer(self, timeout):
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not ready:
            return None
        return _receive(self.process.stdout)

    def stop(self):
        if self.process is not None:
            self.process.kill()         # a no-op on a process that has exited
            self.process.wait()
            self.process = None


@dataclass
class Tally:
    inputs: Counter = field(default_factory=Counter)     # format → inputs run
    results: Counter = field(default_factory=Counter)    # format → inputs read (and, boxes, suppressed)
    errors: Counter = field(default_factory=Counter)     # format → clean per-file errors
    leaks: Counter = field(default_factory=Counter)      # format → inputs that printed to stderr
    findings: dict = field(default_factory=dict)         # (format, signature) → (size, detail, path)


def _seeds(fmt):
    return [(path.name, path.read_bytes()) for path in sorted((CORPUS / fmt).iterdir())]


def fuzz(formats=FORMATS, *, count=None, seconds=None, seed=0, timeout=TIMEOUT, memory_mib=MEMORY_MIB,
         findings=FINDINGS, progress=None):
    """Run mutated inputs round-robin over ``formats`` until ``count`` inputs of each or ``seconds``
    have run; returns the Tally, with each finding's smallest reproducer saved to ``findings``."""
    rng = random.Random(seed)
    mutator = Mutator(rng, {fmt: _seeds(fmt) for fmt in formats})
    tally = Tally()
    deadline = time.monotonic() + seconds if seconds is not None else None
    with tempfile.TemporaryFile() as stderr, tempfile.NamedTemporaryFile(prefix="imgkit-fuzz-stacks-") as stacks:
        worker = Worker(memory_mib, timeout, stderr, stacks.name)
        worker.start()
        try:
            for number in _numbers():
                if (count is not None and number >= count) or (deadline and time.monotonic() > deadline):
                    break
                for fmt in formats:
                    data, name, options = _input(rng, mutator, fmt)
                    status, detail, signature, leaked = worker.run((fmt, name, data, options))
                    tally.inputs[fmt] += 1
                    tally.results[fmt] += status == "ok"
                    tally.errors[fmt] += status == "error"
                    tally.leaks[fmt] += leaked
                    if status == "finding":
                        _record(tally, findings, fmt, name, data, options, detail, signature, seed)
                if progress and number % 100 == 99:
                    progress(tally)
        finally:
            worker.stop()
    return tally


def _numbers():
    number = 0
    while True:
        yield number
        number += 1


def _input(rng, mutator, fmt):
    data = mutator.mutant(fmt)
    if fmt in BOX_FORMATS:
        extension = BOX_FORMATS[fmt] if rng.random() < 0.9 else ""     # sometimes recognised by content
        options = {"box_format": rng.choice(["xyxy", "xywh", "cxcywh"]), "soft": rng.random() < 0.3}
    else:
        extension = fmt
        options = {"gray": rng.random() < 0.25}
    return data, "fuzz." + extension if extension else "fuzz", options


def _record(tally, findings, fmt, name, data, options, detail, signature, seed):
    """Keep the smallest reproducer of each (format, signature)."""
    key = (fmt, signature)
    if key in tally.findings and tally.findings[key][0] <= len(data):
        return
    findings.mkdir(parents=True, exist_ok=True)
    stem = f"{fmt}-{hashlib.sha1(signature.encode()).hexdigest()[:8]}"
    path = findings / (stem + Path(name).suffix)
    path.write_bytes(data)
    (findings / (stem + ".finding.txt")).write_text(f"{signature}\nformat {fmt}, read as {name!r} with {options}, "
                                            f"fuzz seed {seed}, {len(data)} bytes: {path.name}\n\n{detail}\n")
    tally.findings[key] = (len(data), detail, path)


def report(tally, out=sys.stdout):
    total = sum(tally.inputs.values())
    print(f"fuzz: {total:,} inputs, {len(tally.findings)} findings", file=out)
    for fmt, runs in tally.inputs.items():
        found = sum(1 for key in tally.findings if key[0] == fmt)
        print(f"  {fmt:5} {runs:9,} inputs {tally.results[fmt]:9,} results {tally.errors[fmt]:9,} clean errors "
              f"{found:3} findings {tally.leaks[fmt]:9,} printed to stderr", file=out)
    for (fmt, signature), (size, detail, path) in sorted(tally.findings.items()):
        print(f"  finding {fmt}: {signature}: {path} ({size:,} bytes)", file=out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, help="stop after this long (default: 1800 unless --count)")
    parser.add_argument("--count", type=int, help="stop after this many inputs of each format")
    parser.add_argument("--seed", type=int, default=None, help="the random seed (default: from the clock)")
    parser.add_argument("--formats", default=",".join(FORMATS), help="comma-separated, of " + " ".join(FORMATS))
    parser.add_argument("--timeout", type=float, default=TIMEOUT, help="seconds an input may take")
    parser.add_argument("--memory", type=int, default=MEMORY_MIB, help="the worker's RLIMIT_AS, in MiB")
    parser.add_argument("--findings", type=Path, default=FINDINGS)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--stacks", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.memory, args.timeout, args.stacks)
    formats = tuple(args.formats.split(","))
    unknown = set(formats) - set(FORMATS)
    if unknown:
        parser.error(f"unknown format {', '.join(sorted(unknown))}; choose from {', '.join(FORMATS)}")
    seconds = args.seconds if args.seconds is not None or args.count is not None else 1800.0
    seed = args.seed if args.seed is not None else int(time.time())
    limits = ([f"{seconds:g} s"] if seconds is not None else []) + \
        ([f"{args.count} inputs per format"] if args.count is not None else [])
    print(f"fuzz: seed {seed}, for {' or '.join(limits)}, findings to {args.findings}", flush=True)
    tally = fuzz(formats, count=args.count, seconds=seconds, seed=seed, timeout=args.timeout,
                 memory_mib=args.memory, findings=args.findings,
                 progress=lambda t: print(f"fuzz: {sum(t.inputs.values()):,} inputs, {len(t.findings)} findings",
                                          flush=True))
    report(tally)
    return 1 if tally.findings else 0


if __name__ == "__main__":
    sys.exit(main())
