"""``imgkit compare``'s tables at the terminal's width (``COLUMNS``, else the terminal's, else 80
columns): short metric columns, one row per input (or per stage), and the inputs' paths in the
first column, or, when they would not fit, numbered there with a key of the full paths below."""

import shutil


def width():
    """The columns to fit: ``COLUMNS``, else stdout's terminal, else 80 (a pipe or a file)."""
    return shutil.get_terminal_size((80, 24)).columns


def show(title, headers, rows, notes=()):
    """Print a table of ``rows``, each ``(path, cells)`` (path None: a row that continues the
    input above), under ``headers`` (``(text, justify)``, the metric columns); then the key of
    the paths, if numbered, one a line as they are (never cut, never wrapped by us), then
    ``notes`` (prose, wrapped at word boundaries)."""
    from rich import box
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(highlight=False, width=width())
    paths = list(dict.fromkeys(path for path, _ in rows if path is not None))
    numbers = {path: str(index) for index, path in enumerate(paths, 1)}

    def build(label, first):
        table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1),
                      collapse_padding=True)
        table.add_column(first, justify="left", no_wrap=True)
        for text, justify in headers:
            table.add_column(text, justify=justify, no_wrap=True)
        for path, cells in rows:
            table.add_row("" if path is None else label(path), *cells)
        return table

    table = build(escape, "input")
    keyed = console.measure(table, options=console.options.update_width(1 << 16)).maximum > console.width
    if keyed:
        table = build(numbers.get, "#")
    console.print(table)
    if keyed:
        digits = len(str(len(paths)))
        for path, number in numbers.items():
            print(f"{number:>{digits}}  {path}", flush=True)
    for note in notes:
        console.print(note, markup=False)
