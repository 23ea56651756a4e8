"""Which way imports point (ARCHITECTURE.md): ``cli → ops → kernels | reference``, with ``batch``,
``io`` and ``registry`` below them; ``compare`` and ``bench`` may import ops, never the reverse.
Every ``import`` statement of the package is read, at module level or inside a function."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "imgkit"
MEASUREMENT = ("imgkit.compare", "imgkit.bench", "imgkit.warmup")

# module prefix → what it may never import (prefixes)
FORBIDDEN = {
    "imgkit.ops": ("imgkit.cli", "imgkit.chain", *MEASUREMENT),
    "imgkit.kernels": ("imgkit.ops", "imgkit.reference", "imgkit.cli", "imgkit.registry", "imgkit.batch", "imgkit.io",
                       *MEASUREMENT),
    "imgkit.reference": ("imgkit.ops", "imgkit.kernels", "imgkit.cli", *MEASUREMENT),
    "imgkit.registry": ("imgkit.cli", "imgkit.batch", *MEASUREMENT),
    "imgkit.batch": ("imgkit.cli", *MEASUREMENT),
    "imgkit.io": ("imgkit.cli", "imgkit.ops", *MEASUREMENT),
    "imgkit.compare": ("imgkit.cli",),
    "imgkit.bench": ("imgkit.cli",),
    "imgkit.warmup": ("imgkit.cli",),
}


def module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path):
    """Every module ``path`` imports, relative imports resolved."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)     # ``from . import ops``
    return found


def violations(forbidden=FORBIDDEN):
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        for prefix, never in forbidden.items():
            if name == prefix or name.startswith(prefix + "."):
                found += [(name, target) for target in sorted(imports(path))
                          if any(target == bad or target.startswith(bad + ".") for bad in never)]
    return found


def test_imports_point_one_way():
    assert violations() == []


def test_the_check_sees_a_wrong_import(tmp_path, monkeypatch):
    """The check is real: an ops module importing bench, or a kernel importing ops, is caught."""
    module = PACKAGE / "ops" / "_wrong_way_for_test.py"
    kernel = PACKAGE / "kernels" / "_wrong_way_for_test.py"
    try:
        module.write_text("def f():\n    from ..bench import run\n    from .. import cli\n")
        kernel.write_text("from ..ops import blur\n")
        found = violations()
    finally:
        module.unlink()
        kernel.unlink()
    assert ("imgkit.ops._wrong_way_for_test", "imgkit.bench") in found
    assert ("imgkit.ops._wrong_way_for_test", "imgkit.cli") in found
    assert ("imgkit.kernels._wrong_way_for_test", "imgkit.ops") in found


@pytest.mark.parametrize("code", [
    "import imgkit.registry as r; r.operations(); r.commands()",
    "import imgkit.cli",
])
def test_reading_the_declarations_imports_nothing_heavy(code):
    """``imgkit --help`` reads every declaration: that must not import numpy, numba or cv2."""
    check = f"{code}; import sys; print(sorted(m for m in ('numpy', 'numba', 'cv2') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
