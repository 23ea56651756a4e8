"""Every shell example in README.md runs as written (issue 17, item 9).

The examples run in README order, each line in its own ``bash``, all in one temporary directory
that the README's own set-up line fills with the fixture photos (run from the checkout, with the
directory it names replaced by the temporary one). Each must exit 0 and no example may write over
another's output: imgkit refuses an existing output without ``--overwrite``, so a collision fails
the line that collides.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

from conftest import ROOT

README = ROOT / "README.md"
TRY_DIRECTORY = "/tmp/imgkit-try"

CLUSTER = ("the two-machine Dask set-up: servers that run until stopped, at addresses of the reader's machines "
           "(tests/test_cluster.py starts the same dask scheduler and dask worker on localhost ports)")

# Examples the README itself says are not run here, and why. Each must still be in the README,
# so that this list cannot outlive the examples it excuses.
NOT_RUN = {
    "make run": "the set-up itself, which creates the environment this test runs in",
    "make test": "the set-up itself: it runs this test",
    "imgkit bench": "the whole benchmark suite, a quarter of an hour",
    'imgkit bench --op "blur --method gaussian" --startup --batch': "start-up and whole batches of 50 1080p photos: minutes",
    **dict.fromkeys([
        "pip install 'imgkit[dask]'",
        "dask scheduler --port 8786",
        "dask worker tcp://192.0.2.10:8786 --nthreads 2",
        "imgkit blur surveys/ -r -o blurred/ --scheduler tcp://192.0.2.10:8786",
        "export IMGKIT_SCHEDULER=tcp://192.0.2.10:8786",
        'imgkit run "resize --scale 0.5 | canny" frames/ -o edges/',
    ], CLUSTER),
}


def shell_examples(text):
    """The command lines of every ```sh block, in order (continuation lines joined)."""
    lines = []
    for block in re.findall(r"^```sh\n(.*?)^```", text, flags=re.S | re.M):
        for line in block.replace("\\\n", " ").splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                lines.append(line.strip())
    return lines


def _command(line):
    """``line`` without its trailing comment (a `#` after two spaces, as the README writes them)."""
    return re.split(r"\s{2,}#", line)[0].strip()


def test_the_list_of_examples_not_run_names_only_examples_in_the_readme():
    commands = {_command(line) for line in shell_examples(README.read_text())}
    assert set(NOT_RUN) <= commands, set(NOT_RUN) - commands


def test_every_readme_example_runs_as_written():
    lines = shell_examples(README.read_text())
    assert len(lines) > 50         # the README's examples, not an empty or misparsed file
    setup = [line for line in lines if TRY_DIRECTORY in line]
    assert len(setup) == 1, setup
    work = tempfile.mkdtemp(prefix="imgkit-readme-")
    runtime = tempfile.mkdtemp(prefix="imgkit-rt-", dir="/tmp")     # a server's socket: a short path
    env = {**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"],
           "HOME": work, "XDG_RUNTIME_DIR": runtime, "COLUMNS": "80"}
    env.pop("IMGKIT_NO_SERVER", None)       # the server examples start and stop a real one
    failures = []
    try:
        for line in lines:
            if _command(line) in NOT_RUN:
                continue
            here = ROOT if line in setup else work
            command = line.replace(TRY_DIRECTORY, work)
            result = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=here, env=env,
                                    capture_output=True, stdin=subprocess.DEVNULL, timeout=600)
            if result.returncode != 0:
                failures.append(f"{line}\n  exit {result.returncode}: "
                                f"{result.stderr.decode(errors='replace').strip()[-600:]}")
    finally:
        subprocess.run([os.path.join(os.path.dirname(sys.executable), "imgkit"), "server", "stop"], env=env,
                       capture_output=True, timeout=60)
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(runtime, ignore_errors=True)
    assert not failures, "README examples that fail:\n" + "\n".join(failures)
