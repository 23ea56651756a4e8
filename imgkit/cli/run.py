"""``imgkit run PIPELINE INPUT…``: a chain of commands on each image, decoded once and encoded once,
and ``imgkit compare run``: the same chain against the chain of OpenCV references, stage by stage."""

import inspect
from typing import Annotated

import typer

from ..limits import bound_opencv_decoding
from . import app, compare_app
from .common import _COMMON, _COMPARE, _COMPARE_DROPS, Common, _ordered, examples, interruptible, notice, run_images

PIPELINE = inspect.Parameter("pipeline", inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[str, typer.Argument(
    metavar="PIPELINE", show_default=False,
    help="Stages separated by '|', each a command with its own options: \"resize --scale 0.5 | blur --sigma 2 | "
         "canny\"; or @FILE, one stage a line, '#' starting a comment.")])

HELP = ("Run a chain of commands on each image in one process: decoded once, each stage's result passed as it is "
        "(float32 gradients stay float32) to the next, encoded once. Each stage takes exactly its command's "
        "options; the options below apply to the whole run. A stage that does not parse, or cannot take what "
        "the stage before gives, is a usage error before any input is read. Alpha, EXIF orientation and bit "
        "depth are handled at each stage as the command itself handles them. Outputs are named after the last "
        "stage (photo_canny.png), in its default format.")
EXAMPLES = ('imgkit run "resize --scale 0.5 | blur --sigma 2 | canny" photos/ -o chain/',
            'imgkit run "resize --fit 800x600 | sobel --normalize" photo.jpg -o sobel.png',
            'imgkit run "blur --sigma 3 | fft spectrum" photo.jpg -o blurred_spectrum.png')
COMPARE_EXAMPLES = ('imgkit compare run "resize --scale 0.5 | canny" photo.jpg',
                    'imgkit compare run "blur --sigma 2 | sobel" photos/ --json')


def chain_job(text, quiet, option="PIPELINE"):
    """The ``batch.Chain`` of ``text`` and its first and last commands; a usage error of ``option``
    naming the stage otherwise. The stages' notes (a swapped threshold) are said here, once."""
    from ..batch import Chain
    from ..chain import ChainError
    from .commands import job_of, parse_pipeline
    try:
        stages = parse_pipeline(text, command_line=True)
    except ChainError as error:
        raise typer.BadParameter(str(error), param_hint=option) from None
    say = notice(quiet)
    for index, (command, step) in enumerate(stages, 1):
        for note in step.notes:
            say(f"stage {index} ({command.name}): {note}")
    chain = Chain(tuple(job_of(step) for _command, step in stages), names=tuple(command.name for command, _ in stages),
                  pipeline_file=text[1:] if text.startswith("@") else None)
    return chain, stages[0][0], stages[-1][0]


def run(**values):
    bound_opencv_decoding(values["max_pixels"])     # before cv2 loads: a guide is read while parsing
    text = values.pop("pipeline")
    common = Common(**values)
    job, first, last = chain_job(text, common.quiet)
    from .. import registry
    if registry.get(job.jobs[-1].op).features:     # a vector ends the chain: refused as `imgkit hog` refuses it
        from .hog import check_feature_output
        check_feature_output(common.output, common.fmt)
    from .commands import images_fit
    raise typer.Exit(run_images(last.name.split()[-1], job, common, last.default_format, images_fit, first.extensions))


def compare(**values):
    repeat, diff = values.pop("repeat"), values.pop("diff")
    bound_opencv_decoding(values["max_pixels"])
    text = values.pop("pipeline")
    common = Common(**{key: values.pop(key, None) for key in _COMMON})
    job, first, _last = chain_job(text, common.quiet)
    from ..compare import run_compare_chain
    raise typer.Exit(run_compare_chain(text, job, common, repeat, first.extensions, diff))


run.__signature__ = inspect.Signature([PIPELINE, *_ordered(list(_COMMON.values()))])
compare.__signature__ = inspect.Signature(
    [PIPELINE, *_ordered([p for key, p in _COMMON.items() if key not in _COMPARE_DROPS] + list(_COMPARE.values()))])
app.command("run", help=HELP, epilog=examples(EXAMPLES), no_args_is_help=True)(interruptible(run))
compare_app.command("run", no_args_is_help=True, epilog=examples(COMPARE_EXAMPLES), help="Compare a chain against the same chain of OpenCV references, "
                    "stage by stage: the difference after each stage (and where it grows), each stage alone against "
                    "its reference on the same input (judged by that stage's tolerance), and the times.")(
    interruptible(compare))
