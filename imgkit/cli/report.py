"""What a batch tells its user: a progress bar and error lines on stderr, JSON lines on stdout."""

import json
import sys
import time


class Reporter:
    """Reports each result as it arrives, then a summary.

    Errors always reach stderr as ``imgkit: <path>: <reason>``. The progress bar appears only
    when stderr is a terminal and there is more than one input; ``quiet`` leaves only errors;
    ``json`` prints one object per input and a summary object on stdout, whatever stderr is:
    the bar redirects neither stream (rich's Progress would send stdout to the terminal).
    """

    def __init__(self, total, *, quiet=False, json=False):
        self.total, self.quiet, self.json = total, quiet, json
        self.progress = None
        self.lost = None        # the --json records: True when stdout could not take them (an error)
        self.started = time.perf_counter()
        if total > 1 and not quiet and sys.stderr is not None and sys.stderr.isatty():
            from rich.console import Console    # only for the bar: rich takes ~40 ms to import
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
            self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                     TimeRemainingColumn(), transient=True, redirect_stdout=False,
                                     redirect_stderr=False,
                                     console=Console(stderr=True, highlight=False, soft_wrap=True))
            self.bar = self.progress.add_task("imgkit", total=total)

    def __enter__(self):
        if self.progress:
            self.progress.start()
        return self

    def __exit__(self, *exc):
        if self.progress:
            self.progress.stop()

    def result(self, result):
        if result.status == "error":
            self._say(f"imgkit: {result.error}")
        if self.json:
            self._print_json(result.record())
        if self.progress:
            self.progress.advance(self.bar)

    def summary(self, results):
        counts = {status: sum(r.status == status for r in results) for status in ("ok", "error", "skipped")}
        seconds = time.perf_counter() - self.started
        if self.json:
            self._print_json({**counts, "total": self.total, "seconds": round(seconds, 3)})
        elif not self.quiet and (self.total > 1 or counts["error"]):
            not_run = self.total - len(results)
            rate = len(results) / seconds if seconds > 0 else 0.0
            line = (f"imgkit: {counts['ok']} done, {counts['error']} failed, {counts['skipped']} skipped"
                    + (f", {not_run} not run" if not_run else "")
                    + f" in {seconds:.2f} s ({rate:.1f} inputs/s)")
            print(line, file=sys.stderr, flush=True)


    def _print_json(self, record):
        """One JSON line on stdout. Once its reader has gone (``| head``) the batch goes on
        quietly; a stdout that cannot take them (closed, full) is said once, and ``lost``."""
        if self.lost is not None:
            return
        try:
            if sys.stdout is None:
                raise OSError(0, "it is closed")
            print(json.dumps(record), flush=True)
        except BrokenPipeError:
            from ..io import silence_stdout
            silence_stdout()
            self.lost = False
        except OSError as error:
            self.lost = True
            self._say(f"imgkit: stdout: cannot write the --json records ({(error.strerror or str(error)).lower()})")

    def _say(self, line):
        """A line on stderr, above the progress bar when there is one."""
        if self.progress:
            self.progress.console.print(line, markup=False, emoji=False, highlight=False)
        else:
            print(line, file=sys.stderr, flush=True)


def planned(tasks, *, json=False):
    """``--dry-run``: each task as ``input -> output`` on stdout, in the order the batch would run
    them, or with ``json`` one record per task (status ``planned``) and a summary; returns 0."""
    import json as json_module
    for task in tasks:
        if json:
            print(json_module.dumps({"input": task.source.path, "output": task.output, "status": "planned",
                                     "ms": 0.0, "error": None}))
        else:
            print(f"{task.source.path} -> {task.output}")
    if json:
        print(json_module.dumps({"planned": len(tasks), "total": len(tasks)}))
    sys.stdout.flush()
    return 0
