"""Options checked by rule, before any input is read or any kernel compiled.

A command builds its ``Job`` from its options, then ``checked`` applies the operation's own
rules (``registry.check``: the same ``check_*`` function the Python API applies first). A value
outside them is a usage error (exit 2) in the CLI's words: the API's parameter names become
the command's option names here, in one place.
"""

import math

import typer


def option_name(parameter, renamed=None):
    """The CLI option of API parameter ``parameter``: ``--`` and its name with dashes
    (``sigma_y`` → ``--sigma-y``), unless the command ``renamed`` it (``kind`` → ``--pass``)."""
    return (renamed or {}).get(parameter) or "--" + parameter.replace("_", "-")


def checked(job, renamed=None):
    """``job`` once its parameters pass its operation's rules; otherwise a usage error naming the
    option. ``renamed``: API parameter → option, where the command's option is named otherwise."""
    from ..ops._checks import ParameterError, ParameterTypeError
    from ..registry import check
    try:
        check(job.op, job.params)
    except (ParameterError, ParameterTypeError) as error:
        raise typer.BadParameter(error.worded(lambda parameter: option_name(parameter, renamed))) from None
    return job


MAX_PIXEL_COUNT = 2**63 - 1     # what OpenCV's own limit (OPENCV_IO_MAX_IMAGE_PIXELS) can hold


def pixel_count(text):
    """``--max-pixels``: a whole number from 1 to 2⁶³ − 1, written as 100000000 or 1e8."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 1 <= value <= MAX_PIXEL_COUNT and value == int(value)):
        raise typer.BadParameter(f"must be a whole number from 1 to 2⁶³ − 1 (e.g. 1e8), got {text!r}")
    return int(value)
