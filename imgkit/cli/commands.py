"""The image commands, generated from their declarations (``registry.command``).

For each declared command: ``imgkit NAME`` (or ``imgkit GROUP NAME``) and ``imgkit compare NAME``,
their options made from the command's ``Param``s (type, default, metavar, help with the allowed
choices), and the one way their values become a ``batch.Job``: the command's ``step``, then the
operation's rules (``Operation.check``), where a broken rule is a usage error naming the option.
The chains of ``imgkit run`` parse each stage with the same options (``stage_command``).
"""

import inspect
from dataclasses import replace
from typing import Annotated, Optional

import typer

from .. import registry
from ..rules import ParameterError, ParameterTypeError

METAVARS = {int: "N", "image": "PATH"}     # else the parameter's name: --angle ANGLE, --mode MODE


def register_all(app, compare_app):
    """Register every declared image command on ``app`` and ``compare_app`` (groups as sub-apps)."""
    from .common import examples, image_command
    apps = {}
    for command in registry.image_commands().values():
        *group, word = command.name.split()
        target = (app, compare_app)
        if group:
            if group[0] not in apps:
                described = registry.groups()[group[0]].help
                shown = _group_examples(group[0])
                apps[group[0]] = (typer.Typer(no_args_is_help=True, help=described, epilog=examples(shown)),
                                  typer.Typer(no_args_is_help=True, help=f"Compare imgkit and OpenCV on: {described}",
                                              epilog=examples(compare_examples(shown))))
                app.add_typer(apps[group[0]][0], name=group[0])
                compare_app.add_typer(apps[group[0]][1], name=group[0])
            target = apps[group[0]]
        image_command(*target, word, command)


def _group_examples(group):
    """A group's examples: the first of each of its commands, three at most."""
    return tuple(command.examples[0] for name, command in registry.commands().items()
                 if name.split()[0] == group and command.examples)[:3]


def own_parameters(command, panel=None):
    """The command's own options as keyword-only parameters with Typer annotations (in the help
    panel ``panel``, if given), then their old spellings, hidden (``Param.aliases``)."""
    return [_parameter(param, panel) for param in command.options] + [
        _alias(param, index, alias) for param in command.options for index, alias in enumerate(param.aliases)]


def _parameter(param, panel=None):
    kind = str if param.type == "image" else param.type
    annotation = kind if param.default is not None else Optional[kind]
    if param.type is bool:
        names = [f"{param.option_name}/--no-{param.option_name[2:]}"] if param.negatable else [param.option_name]
        info = typer.Option(*names, help=param.help, rich_help_panel=panel)
    else:
        info = typer.Option(param.option_name, help=describe(param), metavar=placeholder(param),
                            show_default=param.default is not None, rich_help_panel=panel,
                            autocompletion=_completion(param))
    return inspect.Parameter(param.name, inspect.Parameter.KEYWORD_ONLY, default=param.default,
                             annotation=Annotated[annotation, info])


def placeholder(param):
    """What ``--help`` shows for ``param``'s value: its ``metavar``, else one for its type, else
    its name in capitals (never ``NUMBER`` or ``TEXT``, which say nothing)."""
    return param.metavar or METAVARS.get(param.type) or param.name.upper()


def _alias(param, index, alias):
    """Hidden option ``alias`` of ``param`` (``"--old"`` or the flag ``"--old=VALUE"``), its value
    moved to ``param`` by ``merge_aliases``."""
    old, flag, _value = alias.partition("=")
    kind = bool if flag else Optional[str if param.type == "image" else param.type]
    return inspect.Parameter(f"{param.name}_alias_{index}", inspect.Parameter.KEYWORD_ONLY,
                             default=False if flag else None, annotation=Annotated[kind, typer.Option(old, hidden=True)])


def merge_aliases(command, values):
    """``values`` with what each old spelling was given moved to its option (``--aperture 5`` is
    ``--ksize 5``), and the old spellings used, by parameter (error messages say what was typed);
    both spellings with different values are a usage error."""
    values, spelled = dict(values), {}
    for param in command.options:
        for index, alias in enumerate(param.aliases):
            given = values.pop(f"{param.name}_alias_{index}", None)
            if given is None or given is False:
                continue
            old, flag, value = alias.partition("=")
            value = value if flag else given
            if values.get(param.name, param.default) not in (param.default, value):
                raise typer.BadParameter(f"{old} is the old spelling of {param.option_name}: give one of them",
                                         param_hint=old)
            values[param.name], spelled[param.name] = value, old
    return values, spelled


def _completion(param):
    """What the shell completes for ``param``'s value: its choices, or paths for an image."""
    if param.type == "image":
        return complete_path
    if param.choices:
        return lambda incomplete: [str(choice) for choice in param.choices if str(choice).startswith(incomplete)]
    return None


def complete_path(incomplete: str):
    """The files and directories (with a trailing /) whose path starts with ``incomplete``."""
    import glob
    import os
    return sorted(path + os.sep if os.path.isdir(path) else path for path in glob.glob(glob.escape(incomplete) + "*"))


def compare_examples(lines):
    """``imgkit compare``'s examples from a command's: its first two, with ``compare`` and
    without ``-o`` (compare writes no image)."""
    import shlex
    compared = []
    for line in lines[:2]:
        words = shlex.split(line)
        if "-o" in words:
            del words[words.index("-o"):words.index("-o") + 2]
        compared.append(shlex.join(["imgkit", "compare", *words[1:]]))
    return tuple(compared)


def describe(param):
    """A parameter's help, ending with its choices where it has some (from the one vocabulary)."""
    if not param.choices:
        return param.help
    return f"{param.help} Choices: {' | '.join(map(str, param.choices))}."


def option_name(command, parameter):
    """The option that sets API parameter ``parameter`` in ``command`` (``kind`` → ``--pass``)."""
    param = next((p for p in command.options if p.name == parameter), None)
    return param.option_name if param is not None else "--" + parameter.replace("_", "-")


def build_step(command, values, say=None):
    """The ``registry.Step`` of ``command`` given its options' ``values``: its step, checked by the
    operation's rules, with image-valued options (``--guide``) read once. A broken rule or an
    unreadable image is ``typer.BadParameter`` naming the option. ``say`` prints the step's notes
    (without it they stay in the Step)."""
    images = {param.name for param in command.options if param.type == "image"}
    values, spelled = merge_aliases(command, values)
    try:
        for param in command.options:       # the command's own rules (``--method``'s choices…) first
            if param.name not in images:
                param.check(values[param.name])
        step = command.step(**values)
        op = registry.get(step.op)
        op.check({name: value for name, value in step.params.items() if name not in images})
    except (ParameterError, ParameterTypeError) as error:
        raise typer.BadParameter(error.worded(lambda parameter: spelled.get(parameter)
                                              or option_name(command, parameter))) from None
    params, reads = dict(step.params), list(step.reads)
    for name in images & set(params):
        if params[name] is not None:
            reads.append(params[name])
            params[name] = _read_image_option(op.param(name), params[name], option_name(command, name))
    if say is None:
        return replace(step, params=params, reads=tuple(reads))
    for note in step.notes:
        say(note)
    return replace(step, params=params, reads=tuple(reads), notes=())


def job_of(step):
    """The ``batch.Job`` that runs ``step`` on each image."""
    from ..batch import Job
    return Job(step.op, step.params, normalize=step.normalize, reads=step.reads)


def _read_image_option(param, path, option):
    """The image an option names, read once (its own depth and channels, whatever ``--gray``), or
    a usage error naming the option: an unreadable guide stops the whole batch."""
    from ..io import ImageError, imread
    try:
        return param.check(imread(path))
    except (ImageError, ParameterError, ParameterTypeError, TypeError, ValueError) as error:
        text = error.worded(str) if isinstance(error, (ParameterError, ParameterTypeError)) else str(error)
        raise typer.BadParameter(text if text.startswith(path) else f"{path}: {text}", param_hint=option) from None


def images_fit(job, sources):
    """Refuse, before anything runs, inputs whose header declares another size than an image
    option's (a guide must have each input's size).

    The size is read from each file's header (stdin cannot be read twice: an image there is
    checked when it is filtered, and fails alone). Width and height are also accepted swapped,
    since EXIF orientation may turn a JPEG when it is decoded; the filter checks the decoded size.
    """
    import os

    from ..batch import STDIO, UsageError, steps
    from ..io import image_size
    names = getattr(job, "names", ())
    stage = f"stage 1 ({names[0]}): " if names else ""      # a chain's usage errors name the stage
    for name, value in steps(job)[0].params.items():    # a chain's later stages see other sizes
        if not hasattr(value, "shape") or name == "image":
            continue
        wanted = (value.shape[1], value.shape[0])
        for source in sources:
            if source.path == STDIO or not os.path.isfile(source.path):
                continue        # a missing file fails on its own, with its own message
            with open(source.path, "rb") as file:
                size = image_size(file.read(1 << 16))
            if size is not None and wanted not in (tuple(size), tuple(size)[::-1]):
                raise UsageError(f"{stage}{source.path} is {size[0]}×{size[1]} but the {name} is "
                                 f"{wanted[0]}×{wanted[1]}: the {name} must have each input's size")


def operations_of(text, option="--op"):
    """The operations that ``bench --op`` and ``warmup --op`` take ``text`` for: a command
    (``blur``: every operation it can run), a command with options (``"blur --method box"``: the
    one it then runs), or an operation's own name (``gaussian_blur``: the old spelling, hidden). A
    name that is both (``sobel``, ``nms``) keeps naming the operation, as before: no script changes."""
    import shlex
    if text in registry.operations():
        return [text]
    words, known = shlex.split(text), registry.commands()
    name = " ".join(words[:2]) if words[:1] and words[0] in registry.groups() else " ".join(words[:1])
    if name not in known:
        raise typer.BadParameter(f"must be a command ({', '.join(known)}), optionally with its options in "
                                 f"quotes, got {text!r}", param_hint=option)
    if len(words) == len(name.split()):
        return list(known[name].ops)
    parser = _stage_parser(name)
    try:
        with parser.make_context(name, words[len(name.split()):], help_option_names=[]) as context:
            return [parser.invoke(context).op]
    except typer.TyperException as error:
        plain = isinstance(error, typer.BadParameter) and error.param is None and error.param_hint is None
        raise typer.BadParameter(f"{text!r}: {error.message if plain else error.format_message()}",
                                 param_hint=option) from None


# ---------------------------------------------------------------- chains (imgkit run, imgkit.pipeline)

def parse_pipeline(text, command_line=False):
    """The stages of ``text`` (``"resize --scale 0.5 | blur --sigma 2"`` or ``@FILE``) as
    (Command, Step) pairs, each parsed by its command's own options and checked by its rules, the
    links between them checked by the declarations (``chain.check_links``). Raises
    ``chain.ChainError`` naming the stage. ``command_line``: ``--help`` in a stage shows that
    command's options and exits (elsewhere it is an unknown option, like any other)."""
    from ..chain import ChainError, check_links, split_stages
    stages = [parse_stage(index, words, command_line) for index, words in enumerate(split_stages(text), 1)]
    if not stages:
        raise ChainError("the pipeline has no stage")
    check_links([step for _command, step in stages], [command.name for command, _step in stages])
    return stages


def parse_stage(index, words, command_line=False):
    """Stage ``index`` of a chain, its ``words`` a command and its options: (Command, Step)."""
    from ..chain import ChainError
    known = registry.image_commands()
    group = words[0] in registry.groups()
    name = " ".join(words[:2]) if group and len(words) > 1 else words[0]
    if group and name not in known:
        words_of_group = [other.split()[1] for other in known if other.split()[0] == words[0]]
        raise ChainError(f"stage {index}: {words[0]!r} needs one of its commands: {', '.join(words_of_group)}")
    if name not in known:
        raise ChainError(f"stage {index}: {name!r} is not a command that takes an image; one of "
                         f"{', '.join(known)}")
    command, parser = known[name], _stage_parser(name)
    try:        # not parser.main: it turns Ctrl-C into a return value, and shows --help wherever it is
        with parser.make_context(name, list(words[2 if group else 1:]),
                                 help_option_names=["--help"] if command_line else []) as context:
            step = parser.invoke(context)
    except typer.TyperException as error:     # Typer's own click: a bad option, a broken rule
        plain = isinstance(error, typer.BadParameter) and error.param is None and error.param_hint is None
        raise ChainError(f"stage {index} ({name}): {error.message if plain else error.format_message()}") from None
    return command, step


_PARSERS = {}


def _stage_parser(name):
    """A click command of ``name``'s own options alone (no inputs, no batch options), whose value is
    the stage's Step."""
    if name not in _PARSERS:
        command = registry.commands()[name]

        def stage(**values):
            return build_step(command, values)
        stage.__signature__ = inspect.Signature(own_parameters(command))
        single = typer.Typer(add_completion=False)
        single.command(name, help=command.help)(stage)
        _PARSERS[name] = typer.main.get_command(single)
    return _PARSERS[name]

