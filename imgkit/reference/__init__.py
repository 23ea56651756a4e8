"""The OpenCV path behind ``--reference``: the same operations computed by cv2 alone.

Functions here take parameters already validated and resolved by ``imgkit.ops`` (explicit
kernel sizes, border codes) and never call imgkit's own kernels.

Where the installed OpenCV cannot take an option as it stands (a border it refuses, a value
it would overflow), the path rebuilds OpenCV's documented semantics from OpenCV primitives
and says so with ``note``; ``imgkit compare`` shows what was noted (``noting``).
"""

from contextlib import contextmanager
from contextvars import ContextVar

_notes = ContextVar("reference_notes", default=None)


def note(text):
    """Record that this call did not run OpenCV's function as is, and how it got the answer."""
    notes = _notes.get()
    if notes is not None and text not in notes:
        notes.append(text)


@contextmanager
def noting():
    """The notes of the reference calls made inside the ``with`` block, as a list."""
    notes = []
    token = _notes.set(notes)
    try:
        yield notes
    finally:
        _notes.reset(token)
