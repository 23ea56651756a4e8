"""The resident server behind ``imgkit server start``: one per user, kernels loaded once, a forked
child per call.

Security: the socket lives in a 0700 directory of the user's own (``client.directory``: owner and
mode are checked before every use, never repaired), the socket itself is 0600, and every peer's
uid is checked with SO_PEERCRED before a byte of its request is read. A lock file held for the
server's life tells a live server from a stale socket left by one killed with SIGKILL.

Fork safety: the server imports numpy, cv2, numba, the command line and every kernel module, and
loads each kernel's cached specialisations, but runs none: no Numba or OpenMP thread pool exists
when it forks. The one ``parallel=True`` kernel is left for the children to load. A child
starts its own threads, as a fresh process does (``kernels/strips.py`` makes its pool per pid).

Each call (``client.Request``) is accepted or refused before anything runs; the child then waits
for the client's ``go``, takes its descriptors, directory, umask, affinity and environment, runs
``imgkit.cli.main`` and reports its exit code. A byte from the client is a signal to deliver to
the child; the client's hang-up terminates the child (SIGTERM, then SIGKILL after
``ORPHAN_GRACE`` seconds). The server leaves after ``idle_timeout`` seconds without calls.
"""

import json
import os
import selectors
import signal
import socket
import sys
import threading
import time

from . import client

START_TIMEOUT = 120.0            # seconds `server start` waits for the server to be ready
STOP_TIMEOUT = 10.0              # seconds `server stop` waits for it to leave
ORPHAN_GRACE = 10.0              # seconds a child whose client has gone has to leave on SIGTERM
READ_TIMEOUT = 2.0               # seconds a client has to send its request once connected
OPENCV_LIMITS = ("OPENCV_IO_MAX_IMAGE_PIXELS", "OPENCV_IO_MAX_IMAGE_WIDTH", "OPENCV_IO_MAX_IMAGE_HEIGHT")


class ServerError(Exception):
    """The server cannot start, or its directory is unsafe: the message says why."""


def lock_path():
    return os.path.join(client.directory(), "server.lock")


def prepare_directory():
    """Create the server's directory (0700) if missing; raise ServerError if it is unsafe."""
    path = client.directory()
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError as error:
        raise ServerError(f"{path}: cannot create the server's directory ({error.strerror.lower()})") from None
    reason = client.unsafe(path)
    if reason:
        raise ServerError(f"{path}: refused as the server's directory: {reason}")
    return path


def hold_lock():
    """The open lock file, locked by this process; None when a live server holds it."""
    import fcntl
    fd = os.open(lock_path(), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def ask(message, timeout=5.0):
    """Send ``message`` to the running server and return its reply; None when no server answers
    (no socket, a stale one, an unsafe directory, another user's process)."""
    path = client.socket_path()
    if client.unsafe(os.path.dirname(path)) or not os.path.exists(path):
        return None
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(path)
            if client.peer_uid(sock) != os.getuid():
                return None
            client.send_message(sock, message)
            return client.receive_message(sock)
    except (OSError, ValueError):
        return None


def remove_stale():
    """Remove the socket of a server that is gone (killed with SIGKILL); True if one was removed."""
    if client.unsafe(client.directory()) or not os.path.lexists(client.socket_path()):
        return False
    lock = hold_lock()
    if lock is None:
        return False
    try:
        os.unlink(client.socket_path())
        return True
    finally:
        os.close(lock)


def start(idle_timeout):
    """Start a server in the background and return ``(pid, started)`` once it answers;
    ``started`` is False when one was already running. Raises ServerError."""
    prepare_directory()
    status = ask({"do": "status"})
    if status:
        return status["pid"], False
    import subprocess
    ready_read, ready_write = os.pipe()
    try:
        command = [sys.executable, *subprocess._args_from_interpreter_flags(), "-m", "imgkit.server",
                   str(idle_timeout), str(ready_write)]
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, pass_fds=[ready_write], start_new_session=True, cwd="/")
    finally:
        os.close(ready_write)
    with os.fdopen(ready_read, "rb") as ready:
        import select
        if not select.select([ready], [], [], START_TIMEOUT)[0]:
            process.kill()
            process.wait()
            raise ServerError(f"the server did not start within {START_TIMEOUT:.0f} s")
        said = json.loads(ready.read() or b'{"error": "the server exited before it was ready"}')
    if "error" in said:
        process.wait()
        raise ServerError(said["error"])
    return said["pid"], said["started"]


def stop():
    """Ask the running server to leave and wait until it has: its pid, or None if none ran."""
    status = ask({"do": "stop"})
    if status is None:
        remove_stale()
        return None
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline:
        lock = hold_lock()
        if lock is not None:
            os.close(lock)
            break
        time.sleep(0.02)
    return status["pid"]


class Server:
    """The running server: its socket, its children, its idle clock."""

    def __init__(self, idle_timeout, lock):
        self.idle_timeout = idle_timeout
        self.lock = lock            # held for the server's life; a child must not hold it
        self.fingerprint = client.fingerprint()     # the environment as the user gave it, before preload
        from .limits import DEFAULT_MAX_PIXELS
        self.opencv_limit = str(DEFAULT_MAX_PIXELS)   # what preload gives cv2, as the command line does
        self.started = time.time()
        self.served = 0
        self.refused = {}           # reason → calls refused for it (they ran in-process)
        self.children = {}          # pid → the connection its exit status goes to
        self.last_activity = time.monotonic()
        self.stopping = False

    def listen(self):
        path = client.socket_path()
        if os.path.lexists(path):
            os.unlink(path)         # stale: we hold the lock
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        os.chmod(path, 0o600)
        self.listener.listen(64)

    def serve(self):
        """Accept calls until stopped, SIGTERM or the idle timeout; then leave the socket behind
        no more (running children finish on their own)."""
        wakeup_read, wakeup_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        signal.set_wakeup_fd(wakeup_write)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        selector = selectors.DefaultSelector()
        selector.register(self.listener, selectors.EVENT_READ)
        selector.register(wakeup_read, selectors.EVENT_READ)
        self.wakeup = (wakeup_read, wakeup_write)
        try:
            while not self.stopping:
                idle = self.idle_timeout - (time.monotonic() - self.last_activity)
                if not self.children and idle <= 0:
                    break
                ready = [key.fileobj for key, _events in selector.select(None if self.children else idle)]
                if wakeup_read in ready:
                    _drain(wakeup_read)
                self._reap()            # first: a status asked now counts a child that has just left
                if self.listener in ready:
                    self._accept()
        finally:
            os.unlink(client.socket_path())
            self.listener.close()

    def _stop(self, *_):
        self.stopping = True

    def _accept(self):
        try:
            conn, _address = self.listener.accept()
        except OSError:
            return
        try:
            conn.settimeout(READ_TIMEOUT)
            if client.peer_uid(conn) != os.getuid():
                conn.close()        # another user: not a byte of theirs is read
                return
            request = client.receive_message(conn)
            if request.get("do") == "run":
                self.last_activity = time.monotonic()   # a status asked does not keep the server up
                self._run(conn, request)
            else:
                client.send_message(conn, self.status())
                if request.get("do") == "stop":
                    self.stopping = True
                conn.close()
        except (OSError, ValueError, KeyError, TypeError):
            conn.close()

    def status(self):
        return {"pid": os.getpid(), "socket": client.socket_path(), "uptime": time.time() - self.started,
                "served": self.served, "refused": self.refused, "running": len(self.children),
                "children": sorted(self.children),
                "idle_timeout": self.idle_timeout}

    def _run(self, conn, request):
        refusal = self._refusal(request)
        if refusal:
            self.refused[refusal] = self.refused.get(refusal, 0) + 1
            client.send_message(conn, {"refuse": refusal})
            conn.close()
            return
        pid = os.fork()
        if pid == 0:
            try:
                self.listener.close()
                os.close(self.lock)
                for other in self.children.values():
                    other.close()
                for fd in self.wakeup:
                    os.close(fd)
                run_child(conn, request)
            except BaseException as error:     # noqa: BLE001  (the call could not be set up)
                _say_failure(error)
            finally:
                os._exit(1)         # run_child leaves with os._exit: this is a failure's exit
        self.children[pid] = conn
        self.served += 1
        client.send_message(conn, {"accept": pid})

    def _refusal(self, request):
        if not self._matches(request["fingerprint"]):
            return "the server runs another imgkit, Python or environment: restart it"
        if not set(request["std"]) <= {0, 1, 2}:
            return "only stdin, stdout and stderr are taken"
        if any(arg == "--max-pixels" or arg.startswith("--max-pixels=") for arg in request["argv"]) or any(
                request["env"].get(name, self.opencv_limit) != self.opencv_limit for name in OPENCV_LIMITS):
            return "OpenCV reads its decoding limits when it loads (--max-pixels sets them): only a new process can"
        if not set(request["affinity"]) <= os.sched_getaffinity(0):
            return "the call may use CPUs the server may not"
        mine = client.limits()
        if os.geteuid() != 0 and any(_above(request["limits"][name][1], mine[name][1]) for name in client.LIMITS):
            return "the call's resource limits are above the server's"
        return None

    def _matches(self, theirs):
        """Whether a client's ``client.fingerprint`` is this server's. Each PINNED variable may have
        the value the server started with, or the one imgkit's own imports left (``preload``:
        GOMP_SPINCOUNT's default, cv2's LD_LIBRARY_PATH), as a process that ran imgkit passes on:
        in-process, both end as the latter."""
        ours = self.fingerprint
        if {k: v for k, v in theirs.items() if k != "pinned"} != {k: v for k, v in ours.items() if k != "pinned"}:
            return False
        before, after = ours["pinned"], self.pinned_after
        return all(theirs["pinned"].get(name) in (before.get(name), after.get(name))
                   for name in {*theirs["pinned"], *before, *after})

    def _reap(self):
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            conn = self.children.pop(pid, None)
            if conn is None:
                continue
            self.last_activity = time.monotonic()
            reply = ({"signal": os.WTERMSIG(status)} if os.WIFSIGNALED(status)
                     else {"exit": os.waitstatus_to_exitcode(status)})
            try:
                conn.settimeout(READ_TIMEOUT)
                client.send_message(conn, reply)     # the child said it first, unless it died
            except OSError:
                pass
            conn.close()


def _above(limit, bound):
    import resource
    return bound != resource.RLIM_INFINITY and (limit == resource.RLIM_INFINITY or limit > bound)


def _say_failure(error):
    """One line on the client's stderr (fd 2 once the call has taken it) when a child fails outside the command."""
    try:
        os.write(2, f"imgkit: server: {type(error).__name__}: {error}\n".encode())
    except OSError:
        pass


def _drain(fd):
    try:
        while os.read(fd, 512):
            pass
    except BlockingIOError:
        pass


def preload():
    """Import everything a command needs and load the cached kernels, running none of them
    (see the module's docstring). cv2 reads its decoding limits now: they are set to the command
    line's default, as ``limits.bound_opencv_decoding`` sets them in-process."""
    from .limits import DEFAULT_MAX_PIXELS
    for name in OPENCV_LIMITS:
        os.environ[name] = str(DEFAULT_MAX_PIXELS)
    import importlib
    import pkgutil

    import cv2  # noqa: F401
    import numpy  # noqa: F401

    from . import cli, kernels, registry  # noqa: F401
    kernels.own_numba()
    registry.load()
    for module in pkgutil.iter_modules(kernels.__path__):
        _load_cached(importlib.import_module(f"{kernels.__name__}.{module.name}"))


def _load_cached(module):
    """Load, without running, every specialisation of ``module``'s jitted functions that Numba's
    disk cache holds for this code and this CPU (those of ``parallel=True`` ones aside)."""
    from numba.core.registry import CPUDispatcher
    for function in vars(module).values():
        cache = getattr(function, "_cache", None)
        if not isinstance(function, CPUDispatcher) or function.targetoptions.get("parallel") or cache is None:
            continue
        try:
            index = cache._cache_file._load_index()
        except Exception:   # noqa: BLE001  (no index, or one of another Numba: the child compiles)
            continue
        codegen = function.targetctx.codegen()
        for key in index:
            if key == cache._index_key(key[0], codegen):
                function.compile(key[0])


def run_child(conn, request):
    """In the forked child: wait for ``go`` and the client's descriptors, become the client's
    process, run the command, report."""
    for number in (signal.SIGTERM, signal.SIGCHLD, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(number, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.set_wakeup_fd(-1)
    conn.settimeout(READ_TIMEOUT * 5)
    try:
        go, fds, _flags, _address = socket.recv_fds(conn, 1, 4)
    except OSError:
        go, fds = b"", []
    if go != b"g" or len(fds) != 1 + len(request["std"]):
        os._exit(0)             # the client gave up before go: it runs the call itself
    conn.settimeout(None)
    here, *std = fds
    os.fchdir(here)
    os.close(here)
    os.umask(request["umask"])
    os.sched_setaffinity(0, request["affinity"])
    import resource
    for name, (soft, hard) in request["limits"].items():
        resource.setrlimit(getattr(resource, name), (soft, hard))
    _take_environment(request["env"])
    import locale
    locale.setlocale(locale.LC_CTYPE, "")   # as Python's start-up does, from the caller's LC_*/LANG
    time.tzset()                            # the caller's TZ
    _take_stdio(request["std"], std, request["stdio"])
    threading.Thread(target=_relay_signals, args=(conn,), daemon=True, name="imgkit-client").start()
    sys.argv = ["imgkit", *request["argv"]]
    import types
    sys.modules["__main__"] = types.ModuleType("__main__")      # -j's spawned workers import no main module
    code = _run_command(request["argv"])
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)    # the client's pipes see their end before it hears the code
    try:
        client.send_message(conn, {"exit": code})
    except OSError:
        pass
    os._exit(code)


def _run_command(argv):
    from .cli import main
    try:
        main(argv)
    except SystemExit as leaving:
        code = leaving.code
        if code is None or isinstance(code, int):
            return (code or 0) & 0xFF
        print(code, file=sys.stderr)
        return 1
    return 0


def _take_environment(passed):
    for name in [name for name in os.environ if name.startswith(client.PASSED)]:
        del os.environ[name]
    os.environ.update(passed)


def _take_stdio(numbers, fds, setup):
    """The client's descriptors as 0, 1 and 2 (one it had closed is closed here), and Python
    streams over them as the client's interpreter made them."""
    import io
    for number in (0, 1, 2):
        if number in numbers:
            os.dup2(fds[numbers.index(number)], number)
        else:
            try:
                os.close(number)
            except OSError:
                pass
    for fd in fds:
        if fd > 2:
            os.close(fd)
    streams = []
    for number, how in zip((0, 1, 2), setup):
        if how is None or number not in numbers:
            streams.append(None)
            continue
        encoding, errors, line_buffering = how
        raw = io.FileIO(number, "r" if number == 0 else "w", closefd=False)
        buffered = io.BufferedReader(raw) if number == 0 else io.BufferedWriter(raw)
        streams.append(io.TextIOWrapper(buffered, encoding=encoding, errors=errors, newline="\n",
                                        line_buffering=line_buffering))
    sys.stdin, sys.stdout, sys.stderr = sys.__stdin__, sys.__stdout__, sys.__stderr__ = streams


def _relay_signals(conn):
    """Each byte from the client is a signal it received; its hang-up means it has died."""
    while True:
        try:
            data = conn.recv(64)
        except OSError:
            data = b""
        if not data:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(ORPHAN_GRACE)
            os.kill(os.getpid(), signal.SIGKILL)
        for number in data:
            os.kill(os.getpid(), number)


def serve_main(idle_timeout, ready_fd):
    """``python -m imgkit.server IDLE_TIMEOUT READY_FD``, as ``start`` runs it: take the lock,
    preload, listen, tell ``start`` on READY_FD, serve."""
    os.umask(0o077)
    with os.fdopen(ready_fd, "w") as ready:
        try:
            prepare_directory()
            lock = hold_lock()
            if lock is None:        # another start won the race: report the server that runs
                status = ask({"do": "status"}) or {"error": "another server is starting"}
                json.dump({"pid": status.get("pid"), "started": False, **status}, ready)
                return
            server = Server(idle_timeout, lock)
            preload()
            server.pinned_after = client.fingerprint()["pinned"]
            server.listen()
        except (ServerError, OSError, ImportError) as error:
            json.dump({"error": str(error)}, ready)
            return
        json.dump({"pid": os.getpid(), "started": True}, ready)
    server.serve()


if __name__ == "__main__":
    serve_main(float(sys.argv[1]), int(sys.argv[2]))
