"""Input lists: ``@LIST`` as an input and ``--from LIST`` (``-``: stdin), SPEC §2 "Inputs".

A list holds one path a line (the trailing ``\\n`` or ``\\r\\n`` removed, nothing else), or with
``-0`` NUL-separated names as ``find -print0`` writes them; empty entries are skipped. Names are
taken literally, as ``xargs -0`` passes them: no glob, ``~`` or ``@`` expansion. A list is read
whole before anything runs, capped at LIST_MAX_BYTES; it may be a regular file or a pipe (``<(find
…)``), never a terminal (stdin on a terminal would wait for typing) nor a device.
"""

import os
import stat
import sys

STDIN = "-"
LIST_MAX_BYTES = 16 << 20      # ~200,000 paths of 80 characters


class ListError(Exception):
    """A list that cannot be read: a usage error (exit 2)."""


def list_paths(patterns, from_=None):
    """The list files a command line names (``@LIST`` inputs and ``--from``): files the run reads,
    never outputs. Stdin is not one."""
    named = [pattern[1:] for pattern in patterns or () if is_list(pattern)] + ([from_] if from_ else [])
    return tuple(path for path in named if path != STDIN)


def is_list(pattern):
    """Whether the input ``pattern`` is ``@LIST`` (``./@name`` is the file ``@name``)."""
    return pattern.startswith("@") and len(pattern) > 1


def read_list(path, null=False):
    """The names in the list at ``path`` (``-``: stdin), in their order. Raises ListError."""
    where = "stdin" if path == STDIN else path
    data = _read_stdin() if path == STDIN else _read_file(path)
    if len(data) > LIST_MAX_BYTES:
        raise ListError(f"list {where} is larger than {LIST_MAX_BYTES >> 20} MiB")
    entries = data.split(b"\0") if null else [line.removesuffix(b"\r") for line in data.split(b"\n")]
    names = [os.fsdecode(entry) for entry in entries if entry]
    if not names:
        raise ListError(f"list {where} names no inputs")
    if not null and any("\0" in name for name in names):
        raise ListError(f"list {where} holds NUL characters: use -0 for NUL-separated names")
    return names


def _read_stdin():
    stream = sys.stdin
    if stream is None:
        raise ListError("--from -: stdin is closed")
    if stream.isatty():
        raise ListError("--from - reads the list from stdin, but stdin is a terminal: pipe the list in "
                        "(find … -print0 | imgkit … --from - -0) or give --from FILE")
    return stream.buffer.read(LIST_MAX_BYTES + 1)


def _read_file(path):
    """The first LIST_MAX_BYTES + 1 bytes of a regular file or a pipe. Opened without blocking,
    so that a named FIFO nobody writes to is an empty list, not a hang."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        raise ListError(f"cannot read list {path}: {(error.strerror or str(error)).lower()}") from None
    mode = os.fstat(descriptor).st_mode     # before open(), which refuses a directory with its own error
    if os.isatty(descriptor) or not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
        os.close(descriptor)
        raise ListError(f"list {path} is not a regular file or a pipe")
    with open(descriptor, "rb", buffering=0) as file:
        os.set_blocking(descriptor, True)
        chunks, total = [], 0
        while total <= LIST_MAX_BYTES:
            chunk = file.read(LIST_MAX_BYTES + 1 - total)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        return b"".join(chunks)
