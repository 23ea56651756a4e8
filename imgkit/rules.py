"""The rules a parameter's value can be held to, worded for people.

A value outside its rule raises ``ParameterError`` (a ValueError) or ``ParameterTypeError`` (a
TypeError), which carry the parameter's name and the rule apart, so that the command line can say
the same thing with its option's name (``--sigma``) instead of the API's (``sigma``). No numpy
here: the declarations that use these rules are read by ``imgkit --help``.
"""

import math
import numbers


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


def check_odd(name, value, minimum=1, maximum=None):
    """An odd integer in [``minimum``, ``maximum``]."""
    check_int(name, value, minimum, maximum)
    if value % 2 == 0:
        raise ParameterError(name, f"must be odd, got {value}")
    return int(value)


def check_int(name, value, minimum=None, maximum=None):
    """An integer (not a bool) in [``minimum``, ``maximum``] (either bound may be None)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ParameterTypeError(name, f"must be an integer, got {value!r}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ParameterError(name, f"must be {_range(minimum, maximum)}, got {value}")
    return int(value)


def check_number(name, value, minimum=None, maximum=None, *, above=False):
    """A finite number ≥ ``minimum`` (> it with ``above``) and ≤ ``maximum``, as a float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):   # not True, not "2"
        raise ParameterTypeError(name, f"must be a number, got {value!r}")
    value = float(value)
    low = minimum is not None and (value <= minimum if above else value < minimum)
    if not math.isfinite(value) or low or (maximum is not None and value > maximum):
        bound = f" {_range(minimum, maximum, above)}" if minimum is not None or maximum is not None else ""
        raise ParameterError(name, f"must be a finite number{bound}, got {value:g}")
    return value


def check_flag(name, value):
    """True or False (numpy's too): not "no", not 0."""
    numpy_bool = type(value).__module__ == "numpy" and type(value).__name__ in ("bool", "bool_")
    if not isinstance(value, bool) and not numpy_bool:
        raise ParameterTypeError(name, f"must be True or False, got {value!r}")
    return bool(value)


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


BACKENDS = ("numba", "opencv")


def check_backend(backend):
    if backend not in BACKENDS:
        raise ValueError(f"backend must be 'numba' or 'opencv', got {backend!r}")
    return backend
