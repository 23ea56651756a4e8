"""imgkit: image processing with Numba kernels that match OpenCV.

``import imgkit`` is cheap: each function is found on first use, from the declarations
(``registry``: every operation declared in ``imgkit.ops`` is ``imgkit.<name>``).
"""

__version__ = "0.1.0"

_TOOLS = {"imread": "io", "imwrite": "io", "pipeline": "chain"}


def __getattr__(name):
    from importlib import import_module
    if name.startswith("__") and name != "__all__" or name in _submodules():
        raise AttributeError(f"module 'imgkit' has no attribute {name!r}")   # ``from . import io`` imports it
    if name == "__all__":       # ``from imgkit import *``
        return [n for n in __dir__() if not n.startswith("_")]
    if name in _TOOLS:
        value = getattr(import_module(f"{__name__}.{_TOOLS[name]}"), name)
    else:
        op = import_module(f"{__name__}.registry").operations().get(name)
        if op is None:
            raise AttributeError(f"module 'imgkit' has no attribute {name!r}")
        value = op.function
    globals()[name] = value
    return value


def __dir__():
    from importlib import import_module
    return sorted(set(globals()) | set(_TOOLS) | set(import_module(f"{__name__}.registry").operations()))


def _submodules():
    import pkgutil
    return {module.name for module in pkgutil.iter_modules(__path__)}
