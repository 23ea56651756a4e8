"""The declarations: each operation and each command is declared once, in its ``ops`` module.

``@operation(...)`` on a public function declares it: its parameters (``Param``: type, allowed
range or choices, help text; the default is the function's own), the rules between them, what it
matches in OpenCV, its tolerance and accuracy goal (SPEC §5), the dtypes it takes and gives, its
bench parameters and scikit-image peer. The decorator registers it and makes the function check
its arguments by those rules before anything else. ``command(...)`` declares an ``imgkit``
command: its options (the same ``Param``s) and how their values become a ``Step`` (an operation
and its parameters).

Everything else is generated from here: the CLI commands and their ``--help``
(``cli/commands.py``), the Python API (``imgkit.__getattr__``), ``compare``, ``bench``,
``warmup``, the chains of ``imgkit run`` and ``imgkit.pipeline`` (``chain.py``) and the
registry-walking tests. ``load()`` imports every module of ``imgkit.ops`` once, which declares
what it holds; nothing heavy is imported by that (no numpy, no kernel): ``imgkit --help`` reads
the declarations.
"""

import functools
import inspect
from dataclasses import dataclass, field, replace
from importlib import import_module

from .rules import ParameterTypeError, check_backend, check_choice, check_flag, check_int, check_number, check_odd

PIXEL_DTYPES = ("uint8", "uint16", "float32")


@dataclass(frozen=True)
class Tolerance:
    """A bound on the difference between imgkit and its reference (SPEC §5): the floor below which
    ``imgkit compare`` exits 1, or the goal the tests hold each operation to.

    ``max_abs`` bounds integer results; ``relative`` bounds float results as
    max|a − b| / max(1, max|b|).
    """
    max_abs: float = 0.0
    relative: float = 1e-4
    identical: float | None = None  # edge maps: least share of identical pixels …
    f1: float | None = None         # … and least F1 of the edge sets (set both)
    within_1: float | None = None   # least share of integer values within 1 (guided filter: 99.9 %)

    @property
    def edges(self):
        """An edge-map tolerance: judged on identical pixels and edge-set F1, not on values."""
        return self.f1 is not None

    def holds(self, metrics, dtype):
        if self.edges:
            return metrics["identical"] >= self.identical and metrics["f1"] >= self.f1
        if _dtype_name(dtype)[:5] in ("float", "compl"):    # float and complex (spectra) results
            return metrics["relative"] <= self.relative
        within = self.within_1 is None or metrics["within_1"] >= self.within_1
        return metrics["max_abs"] <= self.max_abs and within


IDENTICAL = Tolerance(max_abs=0, relative=0.0)


def _dtype_name(dtype):
    return dtype if isinstance(dtype, str) else getattr(dtype, "name", str(dtype))


@dataclass(frozen=True)
class Param:
    """One parameter of an operation, or one option of a command.

    ``type``: int, float, bool, str, or ``"image"`` (an array; on the command line the path of an
    image, read once). The rule: ``minimum``/``maximum`` (``above``: strictly above the minimum),
    ``odd``, ``choices``, or ``parse(name, value)`` for a rule of its own (returning the value).
    ``default`` is the function's own default, filled in by ``@operation``. On the command line
    the option is ``--name-with-dashes`` unless ``option`` says otherwise (``kind`` → ``--pass``);
    ``negatable`` flags have a ``--no-`` form; ``cli=False`` keeps a parameter to the API.
    ``aliases``: old spellings of the option, still accepted but hidden from ``--help``: ``"--old"``
    takes the option's value, ``"--old=VALUE"`` is a flag that gives it VALUE (``--l2`` → ``--norm l2``).
    """
    name: str
    type: object = float
    help: str = ""
    default: object = None
    minimum: float | None = None
    maximum: float | None = None
    above: bool = False
    odd: bool = False
    choices: tuple | None = None
    parse: object = None
    option: str | None = None
    metavar: str | None = None
    negatable: bool = False
    optional: bool = False      # None is allowed too (``canny``'s thresholds: from the image)
    cli: bool = True
    aliases: tuple = ()

    @property
    def option_name(self):
        return self.option or "--" + self.name.replace("_", "-")

    def check(self, value):
        """``value`` if it keeps this parameter's rule (None is the absence of an optional one);
        ParameterError / ParameterTypeError naming the parameter otherwise."""
        if value is None and (self.default is None or self.optional):
            return None
        if self.parse is not None:
            return self.parse(self.name, value)
        if self.type is int:
            value = (check_odd if self.odd else check_int)(self.name, value, self.minimum, self.maximum)
            return value if self.choices is None else check_choice(self.name, value, self.choices)
        if self.type is float:
            return check_number(self.name, value, self.minimum, self.maximum, above=self.above)
        if self.type is bool:
            return check_flag(self.name, value)
        if self.choices is not None:
            return check_choice(self.name, value, self.choices)
        if self.type == "image":
            from .ops._checks import check_image
            return check_image(value, self.name)
        return value


@dataclass(frozen=True)
class Operation:
    """A public function of ``imgkit`` and everything the tools need to know about it."""
    name: str
    function: object            # the public function (its arguments checked, see ``operation``)
    params: tuple               # Param, in the function's order
    reference: str              # the OpenCV (or Pillow, scikit-image) function(s) it matches
    tolerance: Tolerance        # the floor of ``imgkit compare`` (SPEC §5)
    goal: Tolerance = IDENTICAL  # what the tests hold it to on the bundled photos (SPEC §5's goal)
    rules: object = None        # rules(**params): the rules between parameters, after each one's own
    takes: str = "image"        # "image", "spectrum" (complex arrays) or "boxes"
    dtypes: object = PIXEL_DTYPES   # the input dtypes it takes, or a function of its parameters giving them
    result_dtype: object = None     # the result's dtype (None: the input's), or a function of its parameters
    features: bool = False      # the result is a vector of numbers, not an image (HOG)
    binary: bool = False        # the result holds two values only (edges, a threshold): a lossy encoding spoils it
    channels_kept: bool = True  # the result has the input's channels (not so for edge maps, pictures)
    premultiply: bool = True    # the CLI premultiplies alpha around it (filters, resize)
    bench: tuple = ({},)        # parameter sets ``imgkit bench`` times (and ``warmup`` compiles) it with
    workload: dict = field(default_factory=dict)    # how bench makes inputs that are not images (``bench.workloads``)
    peer: str | None = None     # "module:function" of the scikit-image counterpart, for bench
    reduce: object = None       # shrink-on-load: reduce(params, (width, height)) → (1, 2, 4 or 8, params): how
    #                             much smaller a JPEG may be decoded for it, and its parameters for that image
    halo: object = None         # halo(params, dtype) → how many rows above and below a result row reads, for
    #                             ``--tiles`` (dtype None: any); None: not local; ValueError(reason) where the
    #                             parameters (or the dtype) make it depend on more than a band of rows

    def param(self, name):
        return next(p for p in self.params if p.name == name)

    def check(self, params):
        """Apply this operation's rules to ``params`` (keyword arguments, no image); returns them
        as checked (ints as int, numbers as float, ``fit`` as a pair…)."""
        known = {p.name: p for p in self.params}
        unknown = [name for name in params if name not in known]
        if unknown:
            raise ParameterTypeError(None, f"{self.name}() got an unexpected parameter {unknown[0]!r}")
        checked = {name: known[name].check(value) for name, value in params.items()}
        if self.rules is not None:
            self.rules(**{**{p.name: p.default for p in self.params}, **checked})
        return checked

    def accepts(self, params=None):
        """The input dtypes it takes with ``params`` (default: its first bench parameters)."""
        return self.dtypes(**(self.bench[0] if params is None else params)) if callable(self.dtypes) else self.dtypes

    def gives(self, dtype, params=None):
        """The result's dtype for an input of ``dtype`` with ``params``."""
        result = self.result_dtype(**(params or {})) if callable(self.result_dtype) else self.result_dtype
        return result or _dtype_name(dtype)

    @property
    def peer_function(self):
        return _resolve(self.peer) if self.peer else None


@dataclass(frozen=True)
class Step:
    """One operation with its parameters, as a command's options give it: one stage of a chain.

    ``normalize`` says how a real-valued result reaches an 8-bit format (``batch.to_8bit``): True
    (min–max stretch) or False (|v| saturated) where the command decides it, None where it has no
    say (a chain then keeps the choice of the last stage that had one);
    ``reads``: files read besides the inputs (``guided --guide``), which no output may be.
    """
    op: str
    params: dict = field(default_factory=dict)
    normalize: bool | None = None
    reads: tuple = ()
    notes: tuple = ()           # what the command line says about the options as given (a swap…)


@dataclass(frozen=True)
class Command:
    """An ``imgkit`` command over images: its options and how their values become a ``Step``.

    ``name`` may have two words (``fft filter``: a command of the ``fft`` group). ``step(**values)``
    returns the Step; it raises ParameterError naming the option's parameter for a combination
    the operation cannot take. ``default_format``: the encoding when neither ``--format`` nor the
    output's name gives one; ``extensions``: what directories and globs pick up instead of image
    files. ``examples``: two or three command lines shown at the end of ``--help``, that run as
    written in a folder holding photo.jpg and photos/, each at most 78 characters (one line at 80
    columns; ``tests/test_cli_help.py`` checks them).
    """
    name: str
    help: str
    options: tuple
    step: object
    examples: tuple = ()
    default_format: str | None = None
    extensions: frozenset | None = None
    ops: tuple = ()             # the operations ``step`` can name (for compare and the tests)


@dataclass(frozen=True)
class Group:
    """A word that gathers commands (``fft``), with its help."""
    name: str
    help: str


_OPERATIONS = {}
_COMMANDS = {}
_GROUPS = {}
_loaded = False


def operation(*, params=(), **declaration):
    """Declare the decorated public function as an operation (see ``Operation``).

    Each ``Param`` gets the function's default. The function then checks its arguments before
    running: each parameter by its rule and the operation's ``rules``, its input (``takes``
    ``"image"``) by dtype and shape, and ``backend``.
    """
    def declare(function):
        signature = inspect.signature(function)
        declared = tuple(replace(p, default=signature.parameters[p.name].default) for p in params)
        op = Operation(function.__name__, None, declared, **declaration)
        defaults = {p.name: p.default for p in declared}
        first = next(iter(signature.parameters))
        by_name = frozenset(name for name, p in signature.parameters.items()
                            if name != first and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))

        @functools.wraps(function)
        def checked(*args, **kwargs):
            if len(args) == 1 and by_name.issuperset(kwargs):   # f(image, name=value…), as bench calls:
                arguments = {first: args[0], **kwargs}          # inspect's bind cost ~15 µs a call
            else:
                arguments = signature.bind(*args, **kwargs).arguments
            given = {name: value for name, value in arguments.items() if name in defaults}
            op.check(given)
            if op.takes == "image":     # checked, and float64 made float32 (``check_image``)
                from .ops._checks import check_image
                arguments[first] = check_image(arguments[first], dtypes=op.accepts({**defaults, **given}))
            check_backend(arguments.get("backend", "numba"))
            return function(**arguments)

        op = replace(op, function=checked)
        checked.operation = op
        _register(_OPERATIONS, op)
        return checked
    return declare


def command(name, *, help, options, step=None, op=None, **declaration):
    """Declare an ``imgkit`` command. ``op``: a command whose options are that operation's
    parameters, one for one (``step`` then defaults to passing them on)."""
    if step is None:
        step = functools.partial(_same_parameters, op)
    ops = (op,) if op else declaration.pop("ops", ())
    _register(_COMMANDS, Command(name, help, tuple(options), step, ops=tuple(ops), **declaration))


def _same_parameters(op, **values):
    return Step(op, values)


def group(name, *, help):
    """Declare a group word for two-word commands (``fft``)."""
    _register(_GROUPS, Group(name, help))


def _register(table, declaration):
    if table.get(declaration.name, declaration) is not declaration:
        raise ValueError(f"{declaration.name!r} is declared twice")
    table[declaration.name] = declaration


def unregister(name):
    """Forget the operation and the command called ``name`` (tests declare toy ones)."""
    _OPERATIONS.pop(name, None)
    _COMMANDS.pop(name, None)


def load():
    """Import every module of ``imgkit.ops`` (each declares what it holds), once."""
    global _loaded
    if not _loaded:
        import pkgutil
        ops = import_module(f"{__package__}.ops")
        for module in pkgutil.iter_modules(ops.__path__):
            if not module.name.startswith("_"):
                import_module(f"{ops.__name__}.{module.name}")
        _loaded = True


def operations():
    """Every declared operation, by name."""
    load()
    return dict(_OPERATIONS)


def commands():
    """Every declared command, by name, in declaration order."""
    load()
    return dict(_COMMANDS)


def image_commands():
    """The commands over images (or spectra): every command but those over detection boxes."""
    return {name: command for name, command in commands().items()
            if all(get(op).takes != "boxes" for op in command.ops)}


def groups():
    load()
    return dict(_GROUPS)


def get(name):
    """The operation ``name``; ValueError naming the known ones otherwise."""
    known = operations()
    try:
        return known[name]
    except KeyError:
        raise ValueError(f"unknown operation {name!r}; known: {', '.join(known)}") from None


def get_command(name):
    known = commands()
    try:
        return known[name]
    except KeyError:
        raise ValueError(f"unknown command {name!r}; known: {', '.join(known)}") from None


def check(name, params):
    """Apply operation ``name``'s rules to ``params`` (its keyword arguments, no image): raises
    ``rules.ParameterError`` / ``ParameterTypeError`` naming the parameter."""
    return get(name).check(params)


def _resolve(target):
    module, name = target.split(":")
    return getattr(import_module(module), name)
