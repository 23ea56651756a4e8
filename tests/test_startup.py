"""What a one-image command loads (issue 16): nothing another command needs, no SciPy module that
Numba would import on its own, and no compiler at all for an input that fails before any kernel."""

import os
import subprocess
import sys

from conftest import PHOTOS

RUN = """
import sys
from imgkit.cli import main
try:
    main(sys.argv[1:])
except SystemExit as stop:
    code = stop.code
print(code, sorted(m for m in ("scipy.fft", "scipy.linalg", "skimage", "rocket_fft", "imgkit.kernels.fourier",
                            "numba.np.arraymath", "rich")
                   if m in sys.modules))
"""


def imgkit_in_new_process(*args, env=None):
    result = subprocess.run([sys.executable, "-c", RUN, *map(str, args)], capture_output=True, text=True,
                            timeout=300, env={**os.environ, **(env or {})})
    return result.stdout.split(maxsplit=1), result.stderr


def test_a_cached_blur_loads_no_scipy_no_other_kernels_and_no_numba_compiler_registries(tmp_path):
    """Numba's first dispatch imported scipy.fft (through rocket-fft's extension hook) and
    scipy.linalg (its BLAS probe), and refreshed its compilation contexts (every implementation
    module, ``numba.np.arraymath`` among them) even for a kernel loaded from the cache; the report
    imported rich for a progress bar that only a terminal shows."""
    for run in (1, 2):      # the first may compile (a fresh cache); the second loads
        (code, loaded), err = imgkit_in_new_process("blur", PHOTOS / "camera.png", "-o", tmp_path / f"{run}.png")
        assert code == "0", err
    assert loaded.strip() == "[]"


def test_a_fourier_command_still_has_rocket_fft(tmp_path):
    (code, loaded), err = imgkit_in_new_process("run", "blur | fft spectrum", PHOTOS / "camera.png",
                                                "-o", tmp_path / "s.png")
    assert code == "0", err
    assert "rocket_fft" in loaded and "scipy.linalg" not in loaded


def test_a_missing_input_compiles_nothing_on_an_empty_cache(tmp_path):
    cache = tmp_path / "numba-cache"
    (code, _loaded), err = imgkit_in_new_process("blur", tmp_path / "missing.png", "-o", tmp_path / "o.png",
                                                 env={"NUMBA_CACHE_DIR": str(cache)})
    assert code == "1" and f"imgkit: {tmp_path / 'missing.png'}: no such file" in err
    assert "compiling" not in err
    assert not cache.exists() or not any(cache.rglob("*"))


def test_the_compile_notice_appears_exactly_when_kernels_compile(tmp_path):
    """Said by Numba's compile event, not by a timer: once on an empty cache, never on a loaded one
    (however long the call takes on a busy machine)."""
    env = {"NUMBA_CACHE_DIR": str(tmp_path / "numba-cache")}
    image = PHOTOS / "camera.png"
    for run, expected in ((1, 1), (2, 0)):
        (code, _loaded), err = imgkit_in_new_process("blur", image, "--method", "box", "-o", tmp_path / f"{run}.png",
                                                     env=env)
        assert code == "0", err
        assert err.count("imgkit: compiling kernels") == expected, (run, err)


def test_a_command_builds_only_its_own_options(tmp_path, monkeypatch):
    """Typer built the Click parameters of all 30-odd commands on every call (15 ms)."""
    import typer.main

    from conftest import run_cli
    built = []
    build = typer.main.get_command_from_info

    def counting(*args, **kwargs):
        info = kwargs.get("command_info", args[0] if args else None)
        built.append(info.name or info.callback.__name__)
        return build(*args, **kwargs)
    monkeypatch.setattr(typer.main, "get_command_from_info", counting)
    code, _out, _err = run_cli("blur", PHOTOS / "camera.png", "-o", tmp_path / "b.png")
    assert code == 0 and built == ["blur"]
    built.clear()
    code, _out, _err = run_cli("blurr", PHOTOS / "camera.png")
    assert code == 2 and "blur" in built and "canny" in built    # the whole app, to suggest 'blur'


def test_a_finished_command_leaves_without_the_interpreters_teardown_and_with_its_output_whole():
    """Python's teardown freed Numba's, LLVM's and pydantic's objects module by module after the
    command was done: 0.1 s of a 0.45 s one-image call."""
    script = ("import atexit, sys\n"
              "atexit.register(lambda: print('torn down', file=sys.stderr))\n"
              "sys.argv[0] = 'imgkit'\n"
              "from imgkit.client import main\n"
              "main()\n")
    done = subprocess.run([sys.executable, "-c", script, "blur", str(PHOTOS / "camera.png"), "-o", "-"],
                          capture_output=True, timeout=300, env={**os.environ, "IMGKIT_NO_SERVER": "1"})
    assert done.returncode == 0, done.stderr
    assert "torn down" not in done.stderr.decode()
    import cv2
    import numpy as np
    assert cv2.imdecode(np.frombuffer(done.stdout, np.uint8), cv2.IMREAD_UNCHANGED).shape[:2] == (512, 512)
    missing = subprocess.run([sys.executable, "-c", script, "blur", "missing.png"], capture_output=True,
                             text=True, timeout=300, env={**os.environ, "IMGKIT_NO_SERVER": "1"})
    assert missing.returncode == 1 and "missing.png: no such file" in missing.stderr
