"""Validation and layout helpers shared by every public op.

Messages are written for people: they name the argument and the allowed values. A parameter
outside its rule raises ``ParameterError`` (a ValueError) or ``ParameterTypeError`` (a
TypeError), which also carry the parameter's name and the rule apart, so that the command line
can say the same thing with its option's name (``--sigma``) instead of the API's (``sigma``).
"""

import math

import numpy as np

PIXEL_DTYPES = (np.uint8, np.uint16, np.float32)


class _Worded:
    """``parameter`` and ``rule`` (the message without the name; ``parameter`` None: a rule about
    several, the whole message); ``{other}`` in the rule names another parameter, one of
    ``mentions``, and is worded like ``parameter``."""

    def __init__(self, parameter, rule, mentions=()):
        self.parameter, self.rule, self.mentions = parameter, rule, tuple(mentions)
        super().__init__(self.worded(str))

    def worded(self, name):
        """The message with each parameter called ``name(parameter)``."""
        rule = self.rule
        for other in self.mentions:
            rule = rule.replace("{" + other + "}", name(other))
        return rule if self.parameter is None else f"{name(self.parameter)} {rule}"

    def __reduce__(self):      # picklable across process pools, like the built-in errors
        return type(self), (self.parameter, self.rule, self.mentions)


class ParameterError(_Worded, ValueError):
    """A parameter's value outside its rule."""


class ParameterTypeError(_Worded, TypeError):
    """A parameter of the wrong type."""


def check_image(image, name="image", dtypes=PIXEL_DTYPES):
    """A 2-D (gray) or 3-D (H, W, C) array of one of ``dtypes``; raises TypeError/ValueError."""
    if not isinstance(image, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(image).__name__}")
    if image.dtype.type not in dtypes:
        allowed = ", ".join(np.dtype(d).name for d in dtypes)
        raise TypeError(f"{name} dtype must be one of {allowed}, got {image.dtype}")
    if image.ndim not in (2, 3) or image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"{name} must be a non-empty H×W or H×W×C array, got shape {image.shape}")
    if image.ndim == 3 and not 1 <= image.shape[2] <= 4:
        raise ValueError(f"{name} must have 1 to 4 channels, got {image.shape[2]}")
    return image


def as_planes(image):
    """The (H, W, C) C-contiguous, writeable view kernels take; a gray image becomes C = 1.

    A read-only array is copied: Numba types it apart and would compile every kernel again.
    A big-endian one is converted to native order, which is all Numba compiles for.
    """
    planes = np.ascontiguousarray(image[:, :, None] if image.ndim == 2 else image, dtype=image.dtype.newbyteorder("="))
    return planes if planes.flags.writeable else planes.copy()


def like_input(planes, image):
    """Undo ``as_planes``: give the result the input's number of dimensions."""
    return planes[:, :, 0] if image.ndim == 2 else planes


def check_odd(name, value, minimum=1, maximum=None):
    """An odd integer in [``minimum``, ``maximum``]."""
    check_int(name, value, minimum, maximum)
    if value % 2 == 0:
        raise ParameterError(name, f"must be odd, got {value}")
    return int(value)


def check_int(name, value, minimum=None, maximum=None):
    """An integer (not a bool) in [``minimum``, ``maximum``] (either bound may be None)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ParameterTypeError(name, f"must be an integer, got {value!r}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ParameterError(name, f"must be {_range(minimum, maximum)}, got {value}")
    return int(value)


def check_number(name, value, minimum=None, maximum=None, *, above=False):
    """A finite number ≥ ``minimum`` (> it with ``above``) and ≤ ``maximum``, as a float."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ParameterTypeError(name, f"must be a number, got {value!r}") from None
    low = minimum is not None and (value <= minimum if above else value < minimum)
    if not math.isfinite(value) or low or (maximum is not None and value > maximum):
        bound = f" {_range(minimum, maximum, above)}" if minimum is not None or maximum is not None else ""
        raise ParameterError(name, f"must be a finite number{bound}, got {value:g}")
    return value


def check_choice(name, value, allowed):
    """One of ``allowed``."""
    try:
        known = value in allowed
    except (TypeError, ValueError):     # unhashable, or an array
        known = False
    if not known:
        raise ParameterError(name, f"must be one of {', '.join(map(str, allowed))}, got {value!r}")
    return value


def _range(minimum, maximum, above=False):
    if maximum is None:
        return f"{'>' if above else '≥'} {_shown(minimum)}"
    if minimum is None:
        return f"≤ {_shown(maximum)}"
    return f"in {'(' if above else '['}{_shown(minimum)}, {_shown(maximum)}]"


def _shown(bound):
    return f"{bound:,}".replace(",", " ") if isinstance(bound, int) and bound >= 10**5 else f"{bound:g}"


def check_backend(backend):
    if backend not in ("numba", "opencv"):
        raise ValueError(f"backend must be 'numba' or 'opencv', got {backend!r}")
    return backend
