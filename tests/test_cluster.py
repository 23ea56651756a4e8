"""Batches on a real Dask cluster (``--scheduler``): a ``dask scheduler`` and ``dask worker``
processes on localhost ports, started here, against the local engine's outputs, lines and codes."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from conftest import run_cli

ROOT = Path(__file__).resolve().parent.parent
PHOTOS = ROOT / "fixtures" / "photos"
IMGKIT = [sys.executable, "-m", "imgkit"]
DASK = str(Path(sys.executable).with_name("dask"))
TIMEOUT = 180
QUICK_TIMEOUT = {**os.environ, "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"}   # Dask's 30 s, for the tests


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def dask_cluster(workers=2, preload=None):
    """``dask scheduler`` and ``workers`` × ``dask worker`` (one thread each), each in a process
    group of its own (a worker's group is its nanny and the worker under it); yields the address
    and the Popen objects of the scheduler and the workers; kills them all at the end."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "start_new_session": True}
    started = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                                **quiet)]
    try:
        preloaded = ["--preload", str(preload)] if preload else []
        started += [subprocess.Popen([DASK, "worker", address, "--nthreads", "1", "--no-dashboard",
                                      "--name", f"worker-{number}", *preloaded], **quiet) for number in range(workers)]
        from distributed import Client
        with Client(address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=120)
        yield SimpleNamespace(address=address, scheduler=started[0], workers=started[1:])
    finally:
        for process in started:
            _kill_group(process)


def _kill_group(process):
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=30)


@pytest.fixture(scope="module")
def scheduler():
    with dask_cluster() as cluster:
        yield cluster.address


def _images(folder, count, shape=(120, 160, 3), seed=0, mixed=True):
    """``count`` smooth random PNGs in ``folder``: colour, and gray and 16-bit among them if ``mixed``."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for number in range(count):
        image = cv2.GaussianBlur(rng.integers(0, 256, shape, dtype=np.uint8), (0, 0), 2)
        if mixed and number % 3 == 1:
            image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        elif mixed and number % 3 == 2:
            image = image.astype(np.uint16) * 257
        cv2.imwrite(str(folder / f"img{number:03d}.png"), image)
    return folder


def _imgkit(*args, **kwargs):
    return subprocess.run([*IMGKIT, *map(str, args)], capture_output=True, text=True, timeout=TIMEOUT,
                          stdin=subprocess.DEVNULL, **kwargs)


def _files(folder):
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(Path(folder).rglob("*"))
            if path.is_file()}


def _records(stdout):
    """``--json``'s records without their times and with their outputs' names (the runs write into
    folders of their own), in input order, and the summary's counts."""
    *records, summary = [json.loads(line) for line in stdout.splitlines()]
    for record in records:
        record.pop("ms")
        record["output"] = Path(record["output"]).name
    return sorted(records, key=lambda record: record["input"]), {k: summary[k] for k in ("ok", "error", "skipped")}


def _both(tmp_path, command, inputs, *options, cluster):
    """The same command run by the local engine and on the cluster: their results, outputs and records."""
    runs = {}
    for where, extra in (("local", ()), ("cluster", cluster)):
        out = tmp_path / where
        result = _imgkit(*command, *inputs, "-o", f"{out}/", "--json", *options, *extra)
        runs[where] = (result, _files(out) if out.exists() else {})
    return runs


@pytest.mark.parametrize("command", [
    ("blur", "--sigma", "2"),
    ("run", "resize --scale 0.5 | canny"),
    ("laplacian", "--ksize", "3", "--format", "tiff"),
], ids=["blur", "chain", "float-tiff"])
def test_fixture_photos_come_out_byte_identical_to_the_local_engine(tmp_path, scheduler, command):
    runs = _both(tmp_path, command, [PHOTOS], cluster=("--scheduler", scheduler))
    (local, local_files), (remote, remote_files) = runs["local"], runs["cluster"]
    assert local.returncode == remote.returncode == 0, remote.stderr
    assert len(local_files) == len(list(PHOTOS.iterdir())) and remote_files == local_files
    assert _records(remote.stdout) == _records(local.stdout)


@pytest.mark.parametrize("shared_fs", [False, True], ids=["shared-nothing", "shared-fs"])
def test_a_hundred_generated_images_come_out_byte_identical(tmp_path, scheduler, shared_fs):
    folder = _images(tmp_path / "in", 100)
    options = ("--scheduler", scheduler) + (("--shared-fs",) if shared_fs else ())
    runs = _both(tmp_path, ("blur", "--sigma", "1.5"), [folder], cluster=options)
    (local, local_files), (remote, remote_files) = runs["local"], runs["cluster"]
    assert local.returncode == remote.returncode == 0, remote.stderr
    assert len(remote_files) == 100 and remote_files == local_files
    assert _records(remote.stdout) == _records(local.stdout)


def test_a_job_holding_an_image_is_sent_to_the_workers(tmp_path, scheduler):
    """``guided --guide``: the guide, read once here, is part of the job every worker gets."""
    folder = _images(tmp_path / "in", 5, mixed=False)
    runs = _both(tmp_path, ("guided", "--radius", "3", "--guide", folder / "img004.png"), [folder],
                 cluster=("--scheduler", scheduler))
    (local, local_files), (remote, remote_files) = runs["local"], runs["cluster"]
    assert local.returncode == remote.returncode == 0, remote.stderr
    assert len(remote_files) == 5 and remote_files == local_files


def test_the_scheduler_comes_from_the_environment(tmp_path, scheduler):
    folder = _images(tmp_path / "in", 3)
    result = _imgkit("blur", folder, "-o", tmp_path / "out", env={**os.environ, "IMGKIT_SCHEDULER": scheduler})
    assert result.returncode == 0 and len(_files(tmp_path / "out")) == 3, result.stderr
    refused = _imgkit("blur", folder, "-o", tmp_path / "bad", env={**os.environ, "IMGKIT_SCHEDULER": "nowhere"})
    assert refused.returncode == 2 and "--scheduler" in refused.stderr and "IMGKIT_SCHEDULER" in refused.stderr
    assert not (tmp_path / "bad").exists()


def _bad_folder(tmp_path):
    folder = _images(tmp_path / "in", 6)
    (folder / "garbage.png").write_bytes(b"not an image at all")
    (folder / "truncated.png").write_bytes((folder / "img000.png").read_bytes()[:300])
    (folder / "empty.png").write_bytes(b"")
    return folder


@pytest.mark.parametrize("shared_fs", [False, True], ids=["shared-nothing", "shared-fs"])
def test_a_bad_file_gives_the_same_line_and_exit_code_as_locally(tmp_path, scheduler, shared_fs):
    folder = _bad_folder(tmp_path)
    options = ("--scheduler", scheduler) + (("--shared-fs",) if shared_fs else ())
    runs = _both(tmp_path, ("blur",), [folder], "-q", cluster=options)
    (local, local_files), (remote, remote_files) = runs["local"], runs["cluster"]
    assert local.returncode == remote.returncode == 1
    lines = sorted(remote.stderr.splitlines())
    assert len(lines) == 3 and all(line.startswith(f"imgkit: {folder}/") for line in lines)
    assert lines == sorted(local.stderr.splitlines())
    assert remote_files == local_files and len(remote_files) == 6
    assert _records(remote.stdout) == _records(local.stdout)


def test_skip_existing_and_overwrite_rules_hold_on_the_cluster(tmp_path, scheduler):
    folder = _images(tmp_path / "in", 4)
    out = tmp_path / "out"
    out.mkdir()
    (out / "img001.png").write_bytes(b"left alone")
    refused = _imgkit("blur", folder, "-o", out, "--scheduler", scheduler, "-q")
    assert refused.returncode == 1
    assert refused.stderr.strip() == f"imgkit: {out}/img001.png: output exists (use --overwrite or --skip-existing)"
    assert (out / "img001.png").read_bytes() == b"left alone" and len(_files(out)) == 4
    (out / "img002.png").unlink()
    resumed = _imgkit("blur", folder, "-o", out, "--scheduler", scheduler, "--skip-existing", "--json")
    records, counts = _records(resumed.stdout)
    assert resumed.returncode == 0 and counts == {"ok": 1, "error": 0, "skipped": 3}
    assert [record["status"] for record in records] == ["skipped", "skipped", "ok", "skipped"]
    assert (out / "img001.png").read_bytes() == b"left alone"


def test_fail_fast_stops_sending_inputs_after_the_first_error(tmp_path, scheduler):
    folder = _images(tmp_path / "in", 40)
    (folder / "aaa_garbage.png").write_bytes(b"not an image")      # the first input, in path order
    result = _imgkit("blur", folder, "-o", tmp_path / "out", "--scheduler", scheduler, "--fail-fast", "-j", "1",
                     "--json")
    records, counts = _records(result.stdout)
    assert result.returncode == 1 and counts["error"] == 1
    assert counts["ok"] < 40 and len(_files(tmp_path / "out")) == counts["ok"]


def _slow_batch(tmp_path, count=60):
    """Inputs that take a worker thread ~30 ms each, and the local engine's outputs for them."""
    folder = _images(tmp_path / "in", count, shape=(300, 400, 3), mixed=False)   # bilateral takes 8-bit
    command = ("blur", "--method", "bilateral", "--diameter", "15")
    local = _imgkit(*command, folder, "-o", tmp_path / "local", "-q")
    assert local.returncode == 0, local.stderr
    return folder, command, _files(tmp_path / "local")


def _wait_for_outputs(folder, count, process):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        if folder.exists() and len([p for p in folder.iterdir() if not p.name.startswith(".")]) >= count:
            return
        time.sleep(0.02)
    raise AssertionError(f"{folder}: fewer than {count} outputs while the batch ran")


def test_a_worker_killed_mid_batch_loses_nothing(tmp_path):
    folder, command, expected = _slow_batch(tmp_path)
    out = tmp_path / "out"
    with dask_cluster() as cluster:
        batch = subprocess.Popen([*IMGKIT, *command, str(folder), "-o", str(out), "--scheduler", cluster.address,
                                  "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        _wait_for_outputs(out, 15, batch)
        _kill_group(cluster.workers[0])     # the worker and its nanny: its tasks and the inputs scattered to it are lost
        stdout, stderr = batch.communicate(timeout=TIMEOUT)
    assert batch.returncode == 0, stderr
    records, counts = _records(stdout)
    assert counts == {"ok": 60, "error": 0, "skipped": 0}
    assert _files(out) == expected      # every output complete, none missing, no temporary file left


def test_a_lost_scheduler_leaves_every_input_reported_and_every_output_complete(tmp_path):
    folder, command, expected = _slow_batch(tmp_path)
    out = tmp_path / "out"
    with dask_cluster() as cluster:
        address = cluster.address
        batch = subprocess.Popen([*IMGKIT, *command, str(folder), "-o", str(out), "--scheduler", address, "--json"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=QUICK_TIMEOUT)
        _wait_for_outputs(out, 10, batch)
        _kill_group(cluster.scheduler)
        stdout, stderr = batch.communicate(timeout=TIMEOUT)
    records, counts = _records(stdout)
    assert batch.returncode == 1 and counts["ok"] + counts["error"] == 60 and counts["error"] > 0
    lost = stderr.splitlines()      # nothing else: no log of Dask's, no traceback
    assert len(lost) == counts["error"] and all(line.endswith(f"not run: the scheduler at {address} was lost")
                                                for line in lost), stderr[-2000:]
    assert {r["output"] for r in records if r["status"] == "ok"} == set(_files(out))
    assert all(data == expected[name] for name, data in _files(out).items())


def test_ctrl_c_exits_130_and_every_output_written_is_complete_and_reported(tmp_path, scheduler):
    folder, command, expected = _slow_batch(tmp_path)
    out = tmp_path / "out"
    batch = subprocess.Popen([*IMGKIT, *command, str(folder), "-o", str(out), "--scheduler", scheduler, "--json"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for_outputs(out, 10, batch)
    batch.send_signal(signal.SIGINT)
    stdout, stderr = batch.communicate(timeout=60)
    assert batch.returncode == 130, stderr
    assert stderr.strip().endswith("imgkit: interrupted")
    written = _files(out)
    reported = {Path(line["output"]).name for line in map(json.loads, stdout.splitlines()) if line.get("status") == "ok"}
    assert 10 <= len(written) < 60 and set(written) == reported
    assert all(data == expected[name] for name, data in written.items())
    time.sleep(1)
    assert _files(out) == written       # nothing written after the interrupt


def test_a_local_cluster_gives_the_local_engines_outputs(tmp_path):
    runs = _both(tmp_path, ("sobel", "--normalize"), [PHOTOS], cluster=("--scheduler", "local"))
    (local, local_files), (remote, remote_files) = runs["local"], runs["cluster"]
    assert local.returncode == remote.returncode == 0, remote.stderr
    assert remote_files == local_files and len(remote_files) == len(list(PHOTOS.iterdir()))


@pytest.mark.parametrize("preload, says", [
    ("import sys\nsys.modules['imgkit'] = None\n", "cannot run imgkit"),
    ("import imgkit\nimgkit.__version__ = '0.0.1'\n", "runs imgkit 0.0.1"),
], ids=["without-imgkit", "another-version"])
def test_a_worker_that_cannot_run_this_imgkit_is_a_usage_error(tmp_path, preload, says):
    script = tmp_path / "worker_setup.py"
    script.write_text(preload)
    with dask_cluster(workers=1, preload=script) as cluster:
        result = _imgkit("blur", PHOTOS, "-o", tmp_path / "out", "--scheduler", cluster.address)
    assert result.returncode == 2 and says in " ".join(result.stderr.split()), result.stderr
    assert "--scheduler" in result.stderr and not (tmp_path / "out").exists()


def test_an_unreachable_scheduler_is_a_usage_error_before_anything_is_written(tmp_path):
    result = _imgkit("blur", PHOTOS, "-o", tmp_path / "out", "--scheduler", f"tcp://127.0.0.1:{_free_port()}",
                     env=QUICK_TIMEOUT)
    assert result.returncode == 2 and "--scheduler" in result.stderr and "cannot be reached" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args, says", [
    (("--scheduler", "127.0.0.1:8786"), "tcp://HOST:8786"),
    (("--scheduler", "tcp://host:0"), "tcp://HOST:8786"),
    (("--scheduler", "tcp://host:99999"), "tcp://HOST:8786"),
    (("--scheduler", "http://host:8786"), "tcp://HOST:8786"),
    (("--shared-fs",), "--scheduler"),
])
def test_bad_cluster_options_exit_2_naming_the_option(tmp_path, capsys, args, says):
    code, _out, err = run_cli("blur", PHOTOS, "-o", tmp_path / "out", *args, capsys=capsys)
    assert code == 2 and says in err and args[0] in " ".join(err.split())
    assert not (tmp_path / "out").exists()


def test_without_dask_the_scheduler_option_says_what_to_install(tmp_path):
    script = ("import sys; sys.modules['distributed'] = None\n"
              "from imgkit.cli import main; main(sys.argv[1:])")
    result = subprocess.run([sys.executable, "-c", script, "blur", str(PHOTOS), "-o", str(tmp_path / "out"),
                             "--scheduler", "local"], capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 2 and "pip install 'imgkit[dask]'" in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr and not (tmp_path / "out").exists()
