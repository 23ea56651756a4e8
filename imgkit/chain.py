"""Chains of operations run on one image in one process: ``imgkit run`` and ``imgkit.pipeline``.

A chain is a list of ``registry.Step``s. Written as text, each stage is a command with exactly that
command's options (``"resize --scale 0.5 | blur --sigma 2"``), parsed and checked by the code that
parses the command itself (``cli.commands.parse_stage``); built in Python, each stage is an
operation and its keyword arguments (``pipeline().resize(scale=0.5).gaussian_blur(sigma=2)``),
checked by the operation's rules. Either way ``check_links`` refuses, before any image is read, a
stage that cannot take what the stage before it gives (HOG features into a blur, float32
gradients into Canny, which takes 8-bit images), using the declarations' dtypes.

Between stages the array passes as each operation returns it: no 8-bit round trip.
"""

from . import registry
from .rules import check_backend

PIPELINE_BYTES = 1 << 20     # a pipeline file's most
DECODED_DTYPES = ("uint8", "uint16", "float32", "complex64", "complex128")    # what an input can decode to


class ChainError(ValueError):
    """A chain that cannot run: a stage the one before cannot feed, or one that does not parse."""


def split_stages(text):
    """``"a --x 1 | b"`` → ``[["a", "--x", "1"], ["b"]]``: words as a POSIX shell makes them ('…',
    "…" and backslashes quote; a quoted ``|`` or ``#`` is part of its word), ``|`` between stages.
    ``@FILE``: the stages of that file, one a line (``|`` also allowed), ``#`` starting a comment
    where a word could start (``shot#1.png`` is one word, as in a shell)."""
    from_file = text.startswith("@")
    if from_file:
        text = _read_pipeline_file(text[1:])
    tokens = _tokens(text, lines=from_file)
    if not any(token is not _BAR and token is not _LINE for token in tokens):
        raise ChainError("the pipeline has no stage")
    stages, current, previous = [], [], None
    for token in tokens + [None]:
        if token is not _BAR and token is not _LINE and token is not None:
            current.append(token)
        elif current:
            stages.append(current)
            current = []
        elif token is _BAR or (token is None and previous is _BAR):     # "||", "| a", "a |": nothing between
            raise ChainError(f"stage {len(stages) + 1} is empty: give a command between each '|'")
        previous = previous if token is _LINE else token
    return stages


_BAR, _LINE = object(), object()     # '|', and the end of a line of a pipeline file
_BLANK = " \t\r\n"


def _tokens(text, lines=False):
    """The words of ``text`` and ``_BAR`` for each unquoted ``|`` (``_LINE`` for each line's end, and
    ``#`` comments, with ``lines``): POSIX shell quoting, without expansions."""
    tokens, word, quoted, at, size = [], [], False, 0, len(text)

    def end_word():
        nonlocal word, quoted
        if word or quoted:
            tokens.append("".join(word))
        word, quoted = [], False

    while at < size:
        char = text[at]
        if char in _BLANK or char == "|":
            end_word()
            if char == "|":
                tokens.append(_BAR)
            elif char == "\n" and lines:
                tokens.append(_LINE)
            at += 1
        elif char == "#" and lines and not word and not quoted:     # a comment, to the end of the line
            newline = text.find("\n", at)
            at = size if newline < 0 else newline
        elif char == "'":
            close = text.find("'", at + 1)
            if close < 0:
                raise ChainError("the pipeline does not parse: No closing quotation")
            word.append(text[at + 1:close])
            quoted, at = True, close + 1
        elif char == '"':
            at, quoted = at + 1, True
            while at < size and text[at] != '"':
                escaped = text[at] == "\\" and at + 1 < size and text[at + 1] in '"\\$`\n'
                if escaped and text[at + 1] != "\n":
                    word.append(text[at + 1])
                elif not escaped:
                    word.append(text[at])
                at += 2 if escaped else 1
            if at >= size:
                raise ChainError("the pipeline does not parse: No closing quotation")
            at += 1
        elif char == "\\":
            if at + 1 >= size:
                raise ChainError("the pipeline does not parse: No escaped character")
            if text[at + 1] != "\n":      # backslash-newline continues the line
                word.append(text[at + 1])
                quoted = True
            at += 2
        else:
            word.append(char)
            at += 1
    end_word()
    return tokens


def _read_pipeline_file(path):
    """A pipeline file's text: a regular file of at most 1 MiB (a FIFO or a device is refused,
    never waited on)."""
    import os

    from .io import ImageError, read_bytes
    if path == "-":
        raise ChainError("@-: name the pipeline's file (stdin is for images)")
    if os.path.isfile(path) and os.path.getsize(path) > PIPELINE_BYTES:
        raise ChainError(f"@{path}: cannot read the pipeline (larger than 1 MiB)")
    try:
        return read_bytes(path, max_bytes=PIPELINE_BYTES).decode("utf-8")
    except (ImageError, UnicodeDecodeError) as error:
        reason = str(error).removeprefix(f"{path}: ") if isinstance(error, ImageError) else "not UTF-8 text"
        raise ChainError(f"@{path}: cannot read the pipeline ({reason})") from None


def check_links(steps, names=None):
    """Raise ChainError where a stage cannot take what the stage before it gives, by the
    declarations: what each operation takes (images, spectra, boxes) and in which dtypes, and what
    it gives. ``names``: how to call each stage in the message (default: its operation)."""
    names = names or [step.op for step in steps]
    dtypes, features, before = set(DECODED_DTYPES), False, None
    for index, (step, name) in enumerate(zip(steps, names), 1):
        op = registry.get(step.op)
        stage = f"stage {index} ({name})"
        if op.takes == "boxes":
            raise ChainError(f"{stage} takes detection boxes, not images: it cannot be a stage of a chain")
        if features:
            raise ChainError(f"{stage} takes images, but stage {index - 1} ({before}) gives a feature vector: "
                             "it can only be the last stage")
        taken = dtypes & set(op.accepts({**_defaults(op), **step.params}))
        if not taken:
            raise ChainError(f"{stage} takes {_kinds(op, step.params)}, but stage {index - 1} ({before}) gives "
                             f"{' or '.join(sorted(dtypes))}")
        dtypes = {op.gives(dtype, {**_defaults(op), **step.params}) for dtype in taken}
        features, before = op.features, name


def _defaults(op):
    return {param.name: param.default for param in op.params}


def _kinds(op, params):
    accepted = op.accepts({**_defaults(op), **params})
    noun = "spectra" if op.takes == "spectrum" else "images"
    return f"{' or '.join(accepted)} {noun}"


class StageError(ValueError):
    """A ValueError of one stage of a chain of several, its message naming the stage."""


class StageTypeError(TypeError):
    """A TypeError of one stage of a chain of several, its message naming the stage."""


def stage_error(index, name, error):
    """``error`` (a ValueError or TypeError) of stage ``index``, called ``name``, as the same kind of
    error whose message begins with the stage: the input a later stage gets is not the file."""
    kind = StageTypeError if isinstance(error, TypeError) else StageError
    return kind(f"stage {index} ({name}): {error}")


def run_steps(steps, image, backend="numba", apply=None, names=None):
    """``image`` through each step in turn; ``apply(step, image, backend)`` runs one (default: the
    operation's function as the API has it). In a chain of several steps, a step's ValueError or
    TypeError is raised again naming its stage, called by ``names`` (default: the operations)."""
    names = names or [step.op for step in steps]
    for index, (step, name) in enumerate(zip(steps, names), 1):
        try:
            image = (apply or _call)(step, image, backend)
        except (ValueError, TypeError) as error:
            if len(steps) == 1:
                raise
            raise stage_error(index, name, error) from error
    return image


def _call(step, image, backend):
    return registry.get(step.op).function(image, **step.params, backend=backend)


class Pipeline:
    """A chain of operations as one function of an array: ``pipeline(image)``.

    Build it from text (``imgkit.pipeline("resize --scale 0.5 | blur --sigma 2")``: the commands and
    options of ``imgkit run``) or stage by stage with the operations' own names and keywords
    (``imgkit.pipeline().resize(scale=0.5).gaussian_blur(sigma=2)``). Each stage is checked as it
    is added. Alpha is treated as each API function treats it (no premultiplying: that is the
    command line's).
    """

    def __init__(self, steps=(), backend="numba", names=None):
        self.steps, self.backend = tuple(steps), check_backend(backend)
        self.names = tuple(names) if names else tuple(step.op for step in self.steps)   # how errors call them
        check_links(self.steps, self.names)

    def __call__(self, image):
        if not self.steps:
            raise ValueError("the pipeline has no stage")
        return run_steps(self.steps, image, self.backend, names=self.names)

    def then(self, op, **params):
        """This pipeline with operation ``op`` (an ``imgkit`` function's name) added, ``params`` its
        keyword arguments, checked by its rules."""
        operation = registry.get(op)
        if operation.takes != "image" and operation.takes != "spectrum":
            raise ChainError(f"{op} takes detection boxes, not images: it cannot be a stage of a pipeline")
        return Pipeline(self.steps + (registry.Step(op, operation.check(params)),), self.backend, self.names + (op,))

    def __getattr__(self, name):
        if name.startswith("_") or name not in registry.operations():
            raise AttributeError(f"no operation {name!r}; known: {', '.join(registry.operations())}")
        return lambda **params: self.then(name, **params)

    def __repr__(self):
        stages = " | ".join(f"{s.op}({', '.join(f'{k}={v!r}' for k, v in s.params.items())})" for s in self.steps)
        return f"Pipeline({stages or 'empty'}, backend={self.backend!r})"


def pipeline(text=None, *, backend="numba"):
    """A callable that maps an array to an array through a chain of operations.

    ``text``: stages as ``imgkit run`` takes them, ``"resize --scale 0.5 | blur --sigma 2"``, or
    ``"@file.pipeline"``; None: an empty pipeline to build with ``.then(op, **params)`` or
    ``.OP(**params)``. Raises ValueError naming the stage for a bad stage or a broken link.
    """
    if text is None:
        return Pipeline((), backend)
    if not isinstance(text, str):
        raise TypeError(f"pipeline text must be a str (\"resize --scale 0.5 | blur --sigma 2\" or \"@FILE\"), "
                        f"got {type(text).__name__}")
    from .cli.commands import parse_pipeline
    stages = parse_pipeline(text)
    return Pipeline([step for _command, step in stages], backend, [command.name for command, _step in stages])
