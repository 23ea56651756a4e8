"""Finding a batch's inputs: the files named, the images in directories, the matches of globs.

SPEC §2, "Inputs". Only regular files are inputs: a FIFO, socket or device met in a walk or a
glob is skipped with one line (reading it could block forever), while one named explicitly is
left to fail on its own when read. Every real directory is walked once (``st_dev``/``st_ino``),
so a symlink loop cannot hang a walk or a ``**`` glob, and directories holding this run's outputs
(``exclude``) are never walked: outputs are not inputs of the same run. ``@LIST`` and ``--from``
add the names a list holds (``lists``). The module expands globs
itself rather than calling ``glob.glob``, which follows symlink loops for a time that grows
exponentially.
"""

import fnmatch
import os
import stat
from dataclasses import dataclass

STDIO = "-"
IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".jpe", ".tif", ".tiff", ".webp", ".bmp",
                              ".dib", ".pbm", ".pgm", ".ppm", ".pnm", ".npy"})   # every format imgkit writes
_GLOB_MAGIC = set("*?[")


class UsageError(Exception):
    """A mistake in the command line: nothing is run, exit code 2."""


@dataclass(frozen=True, order=True)
class Source:
    """One input: its path (``-`` for stdin), the relative path its output mirrors, and
    whether the user named it (rather than a directory or glob that found it)."""
    path: str
    relative: str
    named: bool = False


def expand_inputs(patterns, recursive=False, extensions=IMAGE_EXTENSIONS, *, exclude=(), on_skip=None,
                  from_=None, null=False):
    """Files named by ``patterns`` (files, directories, globs, ``-``, ``@LIST``) and by the list
    ``from_`` (``-``: stdin; ``null``: NUL-separated, see ``lists``), de-duplicated and sorted.

    Directories and globs yield the regular files with one of ``extensions`` (images by default)
    outside the directories ``exclude``; ``on_skip(message)`` hears of each special file passed
    over (``x.png: skipped: a FIFO, not a regular file``). A pattern that names an existing path
    is that path, even when it holds glob characters (``photo [1].png``); so is a list's entry,
    always.
    """
    from . import lists
    finder = _Finder(extensions, recursive, exclude, on_skip or (lambda message: None))
    patterns = list(patterns or ()) + (["@" + from_] if from_ else [])
    named_lists = [pattern[1:] for pattern in patterns if lists.is_list(pattern)]
    if null and not named_lists:
        raise UsageError("-0/--null says how a list separates its names: give --from LIST or @LIST")
    if named_lists.count(STDIO) > 1:
        raise UsageError("stdin holds one list: give --from - (or @-) once")
    if STDIO in named_lists and STDIO in patterns:
        raise UsageError("--from - (a list on stdin) cannot be combined with '-' (an image on stdin)")
    if not patterns:
        raise UsageError("no INPUT given: name files, directories, globs or @LIST, or give --from LIST")
    found = {}
    for pattern in patterns:
        try:
            expanded = (finder.listed(lists.read_list(pattern[1:], null)) if lists.is_list(pattern)
                        else finder.expand(pattern))
        except lists.ListError as error:
            raise UsageError(str(error)) from None
        for source in expanded:
            key = source.path if source.path == STDIO else os.path.realpath(source.path)
            found.setdefault(key, source)
    if not found:
        raise UsageError(f"no {finder.noun} in the directories listed")
    if sum(source.path == STDIO for source in found.values()) and len(found) > 1:
        raise UsageError("'-' (stdin) cannot be combined with other inputs")
    return sorted(found.values())


class _Finder:
    def __init__(self, extensions, recursive, exclude, on_skip):
        self.extensions, self.recursive, self.on_skip = extensions, recursive, on_skip
        self.excluded = {file_identity(path) for path in exclude} - {None}
        self.noun = "images" if extensions is IMAGE_EXTENSIONS else f"{'/'.join(sorted(extensions))} files"

    def expand(self, pattern):
        if pattern == STDIO:
            return [Source(STDIO, "stdin.png", named=True)]
        if _GLOB_MAGIC & set(pattern) and not os.path.lexists(pattern):
            prefix, parts = _split_glob(pattern)
            matches = sorted(set(self._glob(prefix, parts)))
            if not matches:
                raise UsageError(f"no {self.noun} match {pattern!r}")
            return [Source(path, os.path.relpath(path, prefix or ".")) for path in matches]
        if os.path.isdir(pattern):
            return self._directory(pattern)
        # A named file is decoded by its content whatever its name; a missing one fails on its own.
        return [Source(pattern, os.path.basename(pattern.rstrip("/" + os.sep)) or pattern, named=True)]

    def listed(self, names):
        """The inputs a list names, literally: a directory is walked (one without images gives
        none: ``find`` lists every directory); a file is named. Each keeps its path as listed for
        ``-o DIR`` to mirror (its name alone if absolute or climbing ``..``)."""
        found = []
        for name in names:
            path = name if name != STDIO else os.path.join(os.curdir, name)     # the file named '-'
            if os.path.isdir(path):
                found += [Source(source.path, _as_listed(source.path))
                          for source in self._directory(path, required=False)]
            else:
                found.append(Source(path, _as_listed(path), named=True))
        return found

    def _directory(self, directory, required=True):
        files = list(self._walk(directory))
        if not files and required:
            raise UsageError(f"no {self.noun} in directory {directory!r}" + ("" if self.recursive else " (use -r to descend)"))
        return [Source(path, os.path.relpath(path, directory)) for path in files]

    def _walk(self, top):
        """The regular files with a wanted extension under ``top``, each real directory once; an
        excluded directory is walked only when it is ``top`` itself (outputs beside the inputs)."""
        seen = set()
        pending = [top]
        while pending:
            directory = pending.pop()
            identity = file_identity(directory)
            if identity is None or identity in seen or (directory is not top and identity in self.excluded):
                continue
            seen.add(identity)
            for entry in self._entries(directory):
                if _is_dir(entry):
                    if self.recursive:
                        pending.append(entry.path)
                elif self._wanted_path(entry.path):
                    yield entry.path

    def _glob(self, directory, parts, seen=None):
        """Paths under ``directory`` matching the glob components ``parts`` (``**``: any depth)."""
        top, seen = seen is None, set() if seen is None else seen
        identity = file_identity(directory)
        if identity is None or (identity, len(parts)) in seen or (not top and identity in self.excluded):
            return
        seen.add((identity, len(parts)))
        part, rest = parts[0], parts[1:]
        if part == "**":
            if rest:
                yield from self._glob(directory, rest, seen)
            for entry in self._entries(directory):
                if _is_dir(entry) and not entry.name.startswith("."):
                    yield from self._glob(os.path.join(directory, entry.name), parts, seen)
                elif not rest and self._wanted_path(os.path.join(directory, entry.name)) and not entry.name.startswith("."):
                    yield os.path.join(directory, entry.name)
            return
        if not _GLOB_MAGIC & set(part):     # a literal component: no listing needed
            path = os.path.join(directory, part)
            if rest and os.path.isdir(path):
                yield from self._glob(path, rest, seen)
            elif not rest and os.path.lexists(path) and self._wanted_path(path):
                yield path
            return
        for entry in self._entries(directory):
            if not fnmatch.fnmatch(entry.name, part) or (entry.name.startswith(".") and not part.startswith(".")):
                continue
            if rest:
                if _is_dir(entry):
                    yield from self._glob(os.path.join(directory, entry.name), rest, seen)
            elif self._wanted_path(os.path.join(directory, entry.name)):
                yield os.path.join(directory, entry.name)

    def _entries(self, directory):
        try:
            with os.scandir(directory or ".") as listing:
                return sorted(listing, key=lambda entry: entry.name)
        except OSError as error:
            self.on_skip(f"{directory}: skipped: cannot list this directory ({(error.strerror or str(error)).lower()})")
            return []

    def _wanted_path(self, path):
        """A regular file with a wanted extension; a special file that has one is reported."""
        if os.path.splitext(path)[1].lower() not in self.extensions:
            return False
        try:
            mode = os.stat(path).st_mode
        except OSError:
            self.on_skip(f"{path}: skipped: a broken symbolic link")
            return False
        if stat.S_ISREG(mode):
            return True
        self.on_skip(f"{path}: skipped: {_kind(mode)}, not a regular file")
        return False


def _as_listed(path):
    """The relative path a listed file's output mirrors: its path as listed, or its name alone."""
    relative = os.path.normpath(path)
    if os.path.isabs(relative) or relative.split(os.sep)[0] == os.pardir:
        return os.path.basename(relative)
    return relative


def _split_glob(pattern):
    """The directory before the first component holding a glob character ('' for the current
    one, so that matches read ``a.png`` rather than ``./a.png``), and the components after it."""
    parts = pattern.split(os.sep) if os.sep in pattern else [pattern]
    if os.altsep:
        parts = [piece for part in parts for piece in part.split(os.altsep)]
    fixed = 0
    while fixed < len(parts) - 1 and not _GLOB_MAGIC & set(parts[fixed]):
        fixed += 1
    prefix = os.sep.join(parts[:fixed]) or ("" if not pattern.startswith(os.sep) else os.sep)
    return prefix, [part for part in parts[fixed:] if part]


def file_identity(path):
    """``(st_dev, st_ino)`` of the directory or file ``path`` resolves to, or None."""
    try:
        status = os.stat(path or ".")
    except OSError:
        return None
    return status.st_dev, status.st_ino


def _is_dir(entry):
    try:
        return entry.is_dir()
    except OSError:
        return False


def _kind(mode):
    kinds = [(stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISDIR, "a directory")]
    return next((name for test, name in kinds if test(mode)), "a special file")
