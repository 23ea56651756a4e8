"""What the encodings of a run's outputs can hold, said once, before anything runs.

``--format`` and ``--depth`` are parsed here (one vocabulary: ``options.FORMATS``,
``options.DEPTHS``); ``check_outputs`` refuses a depth an output's encoding cannot hold and
warns, once per run, of what a lossy or alpha-less encoding loses.
"""

import threading

import typer

from ..options import DEPTHS, FORMATS, TABLE_FORMATS, format_name


def format_option(text):
    """``--format``: an encoding imgkit writes, by any of its names, whatever their case."""
    try:
        return format_name(text)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


def depth_option(text):
    """``--depth``: 8, 16 or 32f."""
    depth = str(text).lower()
    if depth not in DEPTHS:
        raise typer.BadParameter(f"must be one of {', '.join(DEPTHS)}, got {text!r}")
    return depth


class Warnings:
    """``warn(message)``: ``imgkit: warning: <message>`` on stderr the first time, never again
    in this run (from any thread); nothing with ``--quiet``."""

    def __init__(self, say):
        self.say, self.said, self.lock = say, set(), threading.Lock()

    def __call__(self, message):
        with self.lock:
            if message in self.said:
                return
            self.said.add(message)
        self.say(f"warning: {message}")


def check_outputs(tasks, job, depth, quality, warn):
    """Refuse (usage error naming --depth) a ``depth`` an output's encoding cannot hold, or one that
    would convert a spectrum or a feature vector as if it were pixels; warn of
    a binary map going to a lossy encoding and of a ``quality`` that some encodings ignore."""
    from .. import registry
    from ..batch import steps
    from ..io import QUALITY_FORMATS, holds, lossy
    formats = sorted({task.fmt for task in tasks})
    last, params = registry.get(steps(job)[-1].op), steps(job)[-1].params
    gives = last.gives("float32", params)
    if depth is not None and (last.features or gives.startswith("complex")) and DEPTHS[depth] != gives:
        what = "a feature vector" if last.features else "a complex spectrum"
        raise typer.BadParameter(f"the result is {what} ({gives}), not pixels: --depth {depth} would destroy it "
                                 "(the imaginary part, or values rounded to integers); leave --depth out",
                                 param_hint="--depth")
    tables = [fmt for fmt in formats if fmt in TABLE_FORMATS.values()]
    if tables and not last.features:    # it failed per input on colour images, and wrote gray ones as numbers
        raise typer.BadParameter(f"{tables[0]} (from --format or the output's name) holds feature vectors (hog), not "
                                 f"images; write {', '.join(dict.fromkeys(FORMATS.values()))}", param_hint="--format")
    if depth is not None:
        for fmt in formats:
            if not holds(fmt, DEPTHS[depth]):
                keepers = [name for name in dict.fromkeys(FORMATS.values()) if holds(name, DEPTHS[depth])]
                raise typer.BadParameter(f"{fmt} (from --format or the output's name) cannot hold {_WORDS[depth]} "
                                         f"pixels; write {' or '.join(keepers)}", param_hint="--depth")
    for fmt in formats:
        if last.binary and lossy(fmt, quality):
            warn(f"{last.name} gives a binary (0/255) map, and {fmt} "
                 f"{'is lossy' if fmt == 'jpg' else 'with --quality is lossy'}: its edges will ring "
                 "(png or lossless webp keep it exact)")
    ignored = [fmt for fmt in formats if fmt not in QUALITY_FORMATS]
    if quality is not None and ignored:
        warn(f"--quality applies to {', '.join(QUALITY_FORMATS)}; it means nothing for {', '.join(ignored)}")


_WORDS = {"8": "8-bit", "16": "16-bit", "32f": "32-bit float"}
