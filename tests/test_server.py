"""``imgkit server``: a call through the resident server gives what the same call gives in-process
(outputs, stdout bytes, stderr, exit code); the server refuses what it must, and the client falls
back in-process whenever the server is absent, stale, hung, unsafe or of another install.

Every test runs real command lines, each server in a runtime directory of its own (XDG_RUNTIME_DIR),
short enough for a Unix socket's path."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import PHOTOS

IMGKIT = [sys.executable, "-m", "imgkit"]
PHOTO = PHOTOS / "camera.png"
TIMING_KEYS = {"ms", "seconds", "imgkit_ms", "opencv_ms", "reference_ms", "ratio", "first_call_ms"}

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SO_PEERCRED and SCM_RIGHTS: Linux")


@contextmanager
def runtime_directory():
    """A fresh XDG_RUNTIME_DIR (0700, short path) and the environment that points at it, with
    no server-bypass variable from the session."""
    path = tempfile.mkdtemp(prefix="imgkit-s-", dir="/tmp")
    env = {k: v for k, v in os.environ.items() if k != "IMGKIT_NO_SERVER"}
    env["XDG_RUNTIME_DIR"] = path
    try:
        yield env
    finally:
        imgkit(["server", "stop"], env)
        shutil.rmtree(path, ignore_errors=True)


def imgkit(args, env, cwd=None, stdin=None, timeout=300):
    return subprocess.run([*IMGKIT, *map(str, args)], env=env, cwd=cwd, input=stdin, capture_output=True,
                          timeout=timeout)


def start(env, *options):
    result = imgkit(["server", "start", *options], env)
    assert result.returncode == 0, result.stderr
    return result


def status(env):
    """The running server's status, asked directly (None: none answers)."""
    saved = os.environ.get("XDG_RUNTIME_DIR")
    os.environ["XDG_RUNTIME_DIR"] = env["XDG_RUNTIME_DIR"]
    try:
        from imgkit import server
        return server.ask({"do": "status"})
    finally:
        if saved is None:
            del os.environ["XDG_RUNTIME_DIR"]
        else:
            os.environ["XDG_RUNTIME_DIR"] = saved


def served(env):
    said = status(env)
    return said and said["served"]


def in_process(env):
    return {**env, "IMGKIT_NO_SERVER": "1"}


def socket_file(env):
    return Path(env["XDG_RUNTIME_DIR"]) / "imgkit" / "server.sock"


def normalised(text, json_lines=False):
    """Output with what differs between any two runs (times, rates) taken out."""
    text = text.decode()
    if json_lines:
        return [{k: v for k, v in json.loads(line).items() if k not in TIMING_KEYS} for line in text.splitlines()]
    return re.sub(r"\d+\.\d+", "N", text)


@pytest.fixture(scope="module")
def running():
    with runtime_directory() as env:
        start(env, "--idle-timeout", "600")
        yield env


CALLS = {
    "blur to a file": (["blur", PHOTO, "-o", "b.png"], None, False),
    "blur to stdout": (["blur", PHOTO, "--sigma", "2", "-o", "-"], None, False),
    "blur from stdin": (["blur", "-", "-o", "-", "--format", "jpg"], PHOTO.read_bytes(), False),
    "a bad option": (["blur", PHOTO, "--sigma", "-1", "-o", "b.png"], None, False),
    "a missing file": (["blur", "missing.png", "-o", "b.png"], None, False),
    "blur --json": (["blur", PHOTO, "-o", "out/", "--json"], None, True),
    "compare --json": (["compare", "blur", PHOTO, "--json"], None, True),
    "canny": (["canny", PHOTO, "-o", "e.png"], None, False),
    "resize --scale 0.5": (["resize", PHOTOS / "astronaut.png", "--scale", "0.5", "-o", "-"], None, False),
    "a chain": (["run", "resize --scale 0.5 | blur --sigma 2 | canny", PHOTO, "-o", "c.png"], None, False),
    "--help": (["blur", "--help"], None, False),
}


@pytest.mark.parametrize("name", CALLS)
def test_a_call_gives_the_same_through_the_server_as_in_process(running, tmp_path, name):
    args, stdin, json_lines = CALLS[name]
    (tmp_path / "warm-up").mkdir()      # on a fresh cache, compiled once (and said) before either run
    imgkit(args, in_process(running), cwd=tmp_path / "warm-up", stdin=stdin)
    shutil.rmtree(tmp_path / "warm-up")
    results = {}
    for how, env in (("in-process", in_process(running)), ("server", running)):
        (tmp_path / how).mkdir()
        before = served(running)
        result = imgkit(args, env, cwd=tmp_path / how, stdin=stdin)
        assert served(running) == before + (how == "server"), how      # it did go through the server
        results[how] = result
    ours, theirs = results["server"], results["in-process"]
    assert ours.returncode == theirs.returncode, ours.stderr
    assert normalised(ours.stderr) == normalised(theirs.stderr)
    if json_lines:
        assert normalised(ours.stdout, True) == normalised(theirs.stdout, True)
    else:
        assert ours.stdout == theirs.stdout
    files = {how: sorted(p.relative_to(tmp_path / how) for p in (tmp_path / how).rglob("*")) for how in results}
    assert files["server"] == files["in-process"]
    for path in files["server"]:
        if (tmp_path / "server" / path).is_file():
            assert (tmp_path / "server" / path).read_bytes() == (tmp_path / "in-process" / path).read_bytes()


def test_a_closed_stdout_and_the_umask_are_the_callers(running, tmp_path):
    """The child works as the caller's process would: a closed stdout stays closed, the umask
    applies to the outputs."""
    results = []
    for how, env in (("in-process", in_process(running)), ("server", running)):
        (tmp_path / how).mkdir()
        result = subprocess.run(f"umask 077; exec {' '.join(IMGKIT)} blur {PHOTO} -o - >&-", shell=True, env=env,
                                cwd=tmp_path / how, capture_output=True)
        written = subprocess.run(f"umask 027; exec {' '.join(IMGKIT)} blur {PHOTO} -o b.png", shell=True, env=env,
                                 cwd=tmp_path / how, capture_output=True)
        results.append((result.returncode, normalised(result.stderr), written.returncode,
                        oct((tmp_path / how / "b.png").stat().st_mode & 0o777)))
    assert results[0] == results[1]
    assert results[0][3] == "0o640"


def test_the_callers_resource_limits_hold_in_the_server(running, tmp_path):
    """``ulimit -f``: the output cannot be written, in the server's child as in-process."""
    results = []
    for how, env in (("in-process", in_process(running)), ("server", running)):
        (tmp_path / how).mkdir()
        before = served(running)
        result = subprocess.run(f"ulimit -f 1; exec {' '.join(IMGKIT)} blur {PHOTO} -o b.png", shell=True, env=env,
                                cwd=tmp_path / how, capture_output=True)
        assert served(running) == before + (how == "server")
        results.append((result.returncode, normalised(result.stderr), os.listdir(tmp_path / how)))
    assert results[0] == results[1]
    assert results[0][0] == 1 and "file too large" in results[0][1] and results[0][2] == []


def test_status_start_twice_and_stop():
    with runtime_directory() as env:
        said = imgkit(["server", "status"], env)
        assert said.returncode == 1 and b"not running" in said.stdout
        first = start(env)
        assert b"started, pid" in first.stdout
        again = start(env)
        assert b"already running" in again.stdout
        pid = status(env)["pid"]
        assert f"pid {pid}".encode() in first.stdout and f"pid {pid}".encode() in again.stdout
        imgkit(["blur", PHOTO, "-o", "-"], env)
        said = imgkit(["server", "status"], env)
        assert said.returncode == 0
        assert re.search(rb"running, pid \d+, socket .*server\.sock, up \d\d:\d\d:\d\d, 1 calls served", said.stdout)
        stopped = imgkit(["server", "stop"], env)
        assert stopped.returncode == 0 and f"stopped, pid {pid}".encode() in stopped.stdout
        assert imgkit(["server", "status"], env).returncode == 1
        assert not socket_file(env).exists()
        assert imgkit(["server", "stop"], env).returncode == 0      # harmless when none runs


def test_the_server_leaves_after_its_idle_timeout():
    with runtime_directory() as env:
        pid = int(re.search(rb"pid (\d+)", start(env, "--idle-timeout", "1").stdout).group(1))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and status(env):
            time.sleep(0.1)
        assert status(env) is None and not socket_file(env).exists()
        with pytest.raises(ProcessLookupError):
            for _ in range(100):        # gone, not only silent
                os.kill(pid, 0)
                time.sleep(0.05)


@pytest.mark.parametrize("value", ["0", "-5", "nan", "inf", "1e9", "soon"])
def test_a_bad_idle_timeout_is_a_usage_error_naming_it(value):
    with runtime_directory() as env:
        result = imgkit(["server", "start", "--idle-timeout", value], env)
        assert result.returncode == 2 and b"--idle-timeout" in result.stderr
        assert status(env) is None


def test_a_directory_with_a_wrong_mode_is_refused_and_calls_run_in_process(tmp_path):
    with runtime_directory() as env:
        start(env)
        directory = socket_file(env).parent
        directory.chmod(0o755)
        try:
            result = imgkit(["blur", PHOTO, "-o", "-"], env)
            assert result.returncode == 0 and result.stdout.startswith(b"\x89PNG")
            assert served(env) is None      # nobody asked it: the directory is not to be trusted
            refused = imgkit(["server", "start"], env)
            assert refused.returncode == 1
            assert f"imgkit: server: {directory}: refused as the server's directory: its mode is 0755, not 0700".encode() \
                in refused.stderr
        finally:
            directory.chmod(0o700)
        assert served(env) == 0


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")
def test_a_directory_owned_by_another_user_is_refused():
    import pwd
    nobody = pwd.getpwnam("nobody").pw_uid
    with runtime_directory() as env:
        directory = Path(env["XDG_RUNTIME_DIR"]) / "imgkit"
        directory.mkdir(mode=0o700)
        os.chown(directory, nobody, -1)
        refused = imgkit(["server", "start"], env)
        assert refused.returncode == 1 and f"owned by uid {nobody}, not 0".encode() in refused.stderr
        result = imgkit(["blur", PHOTO, "-o", "-"], env)
        assert result.returncode == 0 and result.stdout.startswith(b"\x89PNG")


PEER = """
import os, socket, struct, sys
sock = socket.socket(socket.AF_UNIX)
os.setgid({uid}); os.setuid({uid})
sock.connect(sys.argv[1])
sock.settimeout(10)
try:
    sock.sendall(struct.pack("!I", 17) + b'{{"do": "status"}}')
    print(repr(sock.recv(100)))
except (BrokenPipeError, ConnectionResetError):     # closed unheard
    print(repr(b""))
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="a peer of another uid needs root to setuid()")
def test_a_peer_of_another_uid_is_refused_unheard():
    """SO_PEERCRED: a process of another user that reaches the socket gets not a byte back."""
    import pwd
    nobody = pwd.getpwnam("nobody").pw_uid
    with runtime_directory() as env:
        start(env)
        path = socket_file(env)
        for folder in (path.parent.parent, path.parent):
            folder.chmod(0o711)         # let nobody reach the socket, which the server never would
        path.chmod(0o666)
        try:
            peer = subprocess.run([sys.executable, "-c", PEER.format(uid=nobody), str(path)], capture_output=True,
                                  text=True, timeout=30)
        finally:
            for folder in (path.parent.parent, path.parent):
                folder.chmod(0o700)
        assert peer.returncode == 0, peer.stderr
        assert peer.stdout.strip() == "b''"
        assert status(env)["served"] == 0       # and the server still serves its own user


@pytest.fixture(scope="module")
def large_photo(tmp_path_factory):
    """astronaut tiled 4 × 4 (2048 × 2048): a 121-pixel bilateral filter of it runs for seconds even
    with the SIMD kernel (one 512 × 512 tile takes well under one)."""
    path = tmp_path_factory.mktemp("large") / "astronaut16.png"
    cv2.imwrite(str(path), np.tile(cv2.imread(str(PHOTOS / "astronaut.png")), (4, 4, 1)))
    return path


def slow_call(tmp_path, photo):
    """A call that runs for many seconds: a large bilateral filter of ``large_photo``."""
    return ["blur", photo, "-o", tmp_path / "slow.png", "--method", "bilateral", "--diameter", "121"]


def wait_until_running(env, count=1, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and (status(env) or {}).get("running") != count:
        time.sleep(0.05)
    assert status(env)["running"] == count


@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM"])
def test_ctrl_c_and_sigterm_reach_the_calls_child(running, tmp_path, large_photo, how):
    before = served(running)
    process = subprocess.Popen([*IMGKIT, *map(str, slow_call(tmp_path, large_photo))], env=running, stderr=subprocess.PIPE,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    wait_until_running(running)
    time.sleep(1)               # inside the kernel
    process.send_signal(getattr(signal, how))
    _, err = process.communicate(timeout=30)
    assert process.returncode == 128 + getattr(signal, how), err
    assert err.decode().endswith(f"imgkit: {'interrupted' if how == 'SIGINT' else 'terminated'}\n")
    assert "Traceback" not in err.decode()
    assert os.listdir(tmp_path) == []       # no output, no temporary
    assert served(running) == before + 1
    wait_until_running(running, 0, timeout=10)


def descendants(pid):
    """``pid`` and every live process below it."""
    parents = {}
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            if entry.isdigit() and fields[0] != "Z":
                parents[int(entry)] = int(fields[1])
        except OSError:
            continue
    found, more = set(), {pid} & set(parents)
    while more:
        found |= more
        more = {child for child, parent in parents.items() if parent in more} - found
    return found


def test_a_killed_client_takes_its_child_with_it(running, tmp_path, large_photo):
    """SIGKILL of the calling process, as in-process: the call's child (its -j threads with it)
    leaves, and no temporary file stays."""
    source = tmp_path / "in"
    source.mkdir()
    for i in range(4):
        shutil.copy(large_photo, source / f"{i}.png")
    out = tmp_path / "out"
    process = subprocess.Popen([*IMGKIT, "blur", source, "-o", out, "-j", "2", "--method", "bilateral",
                                "--diameter", "121", "-q"], env=running, stderr=subprocess.DEVNULL)
    wait_until_running(running)
    child, = status(running)["children"]
    tree = descendants(child)
    assert child in tree
    time.sleep(1)       # into the batch: two bilateral filters of 121 pixels are running
    process.kill()
    process.wait()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(descendants(pid) for pid in tree):
        time.sleep(0.1)
    assert not any(descendants(pid) for pid in tree)
    wait_until_running(running, 0, timeout=10)
    assert not out.exists() or not [p for p in os.listdir(out) if p.startswith(".")]


def test_a_stale_socket_falls_back_and_is_cleaned():
    with runtime_directory() as env:
        start(env)
        os.kill(status(env)["pid"], signal.SIGKILL)
        time.sleep(0.2)
        assert socket_file(env).exists()
        result = imgkit(["blur", PHOTO, "-o", "-"], env)
        assert result.returncode == 0 and result.stdout.startswith(b"\x89PNG") and result.stderr == b""
        said = imgkit(["server", "status"], env)
        assert said.returncode == 1 and b"not running (removed a stale socket)" in said.stdout
        assert not socket_file(env).exists()
        start(env)
        assert served(env) == 0


def test_a_hung_server_never_hangs_the_client():
    """Something listens but never answers: the call runs in-process after the connect timeout."""
    with runtime_directory() as env:
        path = socket_file(env)
        path.parent.mkdir(mode=0o700)
        with socket.socket(socket.AF_UNIX) as listener:
            listener.bind(str(path))
            listener.listen(4)
            started = time.monotonic()
            result = imgkit(["blur", PHOTO, "-o", "-"], env, timeout=60)
            assert result.returncode == 0 and result.stdout.startswith(b"\x89PNG") and result.stderr == b""
            assert time.monotonic() - started < 60


def test_a_server_of_another_environment_refuses_and_the_call_runs_in_process(running):
    """NUMBA_* (read when Numba loads) differs: the server cannot be that process, and says no."""
    before = served(running)
    result = imgkit(["blur", PHOTO, "-o", "-"], {**running, "NUMBA_OPT": "2"})
    assert result.returncode == 0 and result.stdout.startswith(b"\x89PNG")
    assert served(running) == before


def test_max_pixels_runs_in_process(running):
    """OpenCV reads its decoding limits when it loads: a call that sets them needs its own process."""
    before = served(running)
    args = ["blur", PHOTO, "--max-pixels", "100", "-o", "-"]
    result, expected = imgkit(args, running), imgkit(args, in_process(running))
    assert (result.returncode, normalised(result.stderr)) == (expected.returncode, normalised(expected.stderr))
    assert result.returncode == 1
    assert served(running) == before


def test_opencvs_decoding_limits_in_the_environment(running):
    """The command line sets OPENCV_IO_MAX_IMAGE_* to --max-pixels' default before cv2 loads, as the
    server did: that value may come along; another (cv2 would have read it) runs in-process."""
    for value, through_server in (("100000000", True), ("5000", False)):
        env = {**running, "OPENCV_IO_MAX_IMAGE_PIXELS": value}
        before = served(running)
        result, expected = imgkit(["blur", PHOTO, "-o", "-"], env), imgkit(["blur", PHOTO, "-o", "-"], in_process(env))
        assert (result.returncode, result.stdout) == (expected.returncode, expected.stdout)
        assert served(running) == before + through_server


def test_a_variable_read_at_load_may_be_as_imgkit_leaves_it():
    """GOMP_SPINCOUNT, unset when the server started: unset, or at the value kernels/strips.py gives
    it (as a process that ran imgkit passes it on), the server is that process; another, it is not."""
    with runtime_directory() as env:
        env.pop("GOMP_SPINCOUNT", None)
        start(env)
        for value, through_server in ((None, True), ("10000", True), ("5", False)):
            call = env if value is None else {**env, "GOMP_SPINCOUNT": value}
            before = served(env)
            assert imgkit(["blur", PHOTO, "-o", "-"], call).returncode == 0
            assert served(env) == before + through_server, value


def test_a_child_killed_by_a_signal_kills_its_client_alike(running, tmp_path, large_photo):
    process = subprocess.Popen([*IMGKIT, *map(str, slow_call(tmp_path, large_photo))], env=running, stderr=subprocess.PIPE)
    wait_until_running(running)
    child, = status(running)["children"]
    os.kill(child, signal.SIGKILL)
    _, err = process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL and err == b""


CLIENT_ONLY = """
import sys
from imgkit.client import Request
print(Request(["blur", "x.png"]).run(), sorted(m for m in ("socket", "json", "typer", "click", "numpy", "numba", "cv2",
                                                          "imgkit.cli", "imgkit.server") if m in sys.modules))
"""


def test_with_no_server_the_client_imports_nothing_and_defers():
    with runtime_directory() as env:
        out = subprocess.run([sys.executable, "-c", CLIENT_ONLY], env=env, capture_output=True, text=True, check=True)
        assert out.stdout.split(maxsplit=1) == ["None", "[]\n"]
