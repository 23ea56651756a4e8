"""Consoles for what imgkit prints, shared by the command line and the measurement tools."""

import sys


def stdout_console():
    """A rich console for tables on stdout. A pipe or file has no width of its own: give the
    table room rather than rich's 80 columns."""
    from rich.console import Console
    return Console(highlight=False, width=None if sys.stdout.isatty() else 160)
