"""Compiling Numba kernels ahead of use, and telling the user when that costs time.

Kernels are compiled lazily, per operation and input dtype, and cached on disk
(``cache=True``): the first call on a fresh install compiles, every later process loads.
A command compiles with its first real image; ``imgkit warmup`` compiles everything at once.
"""

import sys
import time

def compile_op(name, backend="numba"):
    """Run operation ``name`` with each of its bench parameter sets on a small input of each dtype
    it takes (``bench.sample_inputs``), which compiles its kernels or loads them from the cache."""
    from . import registry
    from .bench import sample_inputs
    op = registry.get(name)
    for params in op.bench:
        for args, kwargs in sample_inputs(op, params):
            op.function(*args, **params, **kwargs, backend=backend)


def prepare(name, params, backend="numba", *, quiet=False):
    """Before a batch: check ``params`` by operation ``name``'s rules, with no image and nothing
    compiled (``registry.check``: ParameterError/ParameterTypeError name the parameter); then,
    unless ``quiet``, say so on stderr when this process starts compiling a kernel."""
    from . import registry
    registry.check(name, params)
    if not quiet and backend == "numba":
        announce_compiling()


_announcing = False


def announce_compiling():
    """From now on, print one line on stderr when this process first compiles a kernel (one
    loaded from the disk cache is not compiled and says nothing): the first image then takes
    seconds. Worker processes (``-j``) compile on their own, silently."""
    global _announcing
    if _announcing:
        return
    _announcing = True
    from numba.core import event

    class Notice(event.Listener):
        said = False

        def on_start(self, _event):
            if not self.said:
                self.said = True
                print("imgkit: compiling kernels (first run only; cached afterwards)…", file=sys.stderr, flush=True)

        def on_end(self, _event):
            pass

    event.register("numba:compile", Notice())


def warm_all(names=None, *, starting=None, compiling=None, done=None):
    """Compile the kernels of each operation of ``names`` (default: every registered one), one
    after another, for every dtype it accepts (``compile_op``); returns the total seconds.

    ``starting(name)`` is called before each operation, ``compiling(name, kernel)`` when Numba starts compiling one of imgkit's jitted
    functions (``kernel``: module.function) for operation ``name``; ``done(name, seconds,
    compiled)`` when the operation is ready, with how many of them it compiled (0: all loaded
    from the disk cache, or compiled by an earlier operation of the same kernels module)."""
    from numba.core import event

    from . import registry
    names = list(registry.operations()) if names is None else list(names)
    state = {"name": None, "compiled": 0}

    class Kernels(event.Listener):
        def on_start(self, ev):
            function = ev.data["dispatcher"].py_func
            if function.__module__.startswith(__package__ + "."):
                state["compiled"] += 1
                if compiling:
                    compiling(state["name"], f"{function.__module__.rpartition('.')[2]}.{function.__name__}")

        def on_end(self, ev):
            pass

    total = time.perf_counter()
    with event.install_listener("numba:compile", Kernels()):
        for name in names:
            state["name"], state["compiled"] = name, 0
            if starting:
                starting(name)
            started = time.perf_counter()
            compile_op(name)
            if done:
                done(name, time.perf_counter() - started, state["compiled"])
    return time.perf_counter() - total
