"""The first thing every ``imgkit`` call runs: hand the call to the resident server
(``imgkit server start``) when one is there, else run it in this process.

Standard library only, and only ``os`` and ``sys`` when no server runs: one ``stat`` of the
socket path decides. With a server, the call's argv, working directory (as a descriptor), umask,
CPU affinity, resource limits (``LIMITS``), stdio descriptors (``SCM_RIGHTS``) and an environment
subset go to it; a child of the server runs the command on this process's own stdin, stdout and
stderr, and its exit status comes back as ours. Ctrl-C and SIGTERM are forwarded to that child; if this process dies, the
server terminates the child.

Nothing runs twice: until the server has said ``accept`` and this process has answered ``go``,
any failure (no server, a stale socket, a directory with the wrong owner or mode, another user
at the other end, a server of another install, a timeout) falls back to running in-process;
after ``go``, this process only waits for the exit status.

The environment: ``PASSED`` variables (read while a command runs) are sent and replace the
server's own; ``PINNED`` ones (read when Python, Numba, OpenCV or OpenMP load) must be the
server's (``server.Server._matches``), else the server refuses; every other variable (PATH, HOME, credentials…) is neither
sent nor used.
"""

import os
import sys

CONNECT_TIMEOUT = 1.0       # seconds to connect and to hear accept/refuse: then in-process
PASSED = ("IMGKIT_", "TMPDIR", "TEMP", "TMP", "COLUMNS", "LINES", "TERM", "COLORTERM", "NO_COLOR", "FORCE_COLOR",
          "LANG", "LANGUAGE", "LC_", "TZ", "TTY_COMPATIBLE", "TTY_INTERACTIVE",
          "OPENCV_IO_MAX_IMAGE_")      # the command line sets these itself (limits.py): the server checks them
PINNED = ("NUMBA_", "OPENCV_", "OMP_", "GOMP_", "KMP_", "MKL_", "OPENBLAS_", "PYTHON", "LD_")
LIMITS = ("RLIMIT_AS", "RLIMIT_DATA", "RLIMIT_FSIZE", "RLIMIT_NOFILE", "RLIMIT_CPU", "RLIMIT_CORE")
NO_SERVER = "IMGKIT_NO_SERVER"     # set (non-empty): never use a server
HEADER = "!I"                      # a message's length, before its JSON


def main():
    """``imgkit``'s entry point: through the server if one answers, else ``imgkit.cli.main``."""
    code = None
    if sys.argv[1:2] != ["server"] and not os.environ.get(NO_SERVER) and not _completing():
        code = Request(sys.argv[1:]).run()
    if code is None:
        from .cli import exit_now, main as in_process
        try:
            in_process()
        except SystemExit as stop:
            if stop.code is None or isinstance(stop.code, int):
                exit_now(stop.code or 0)
            raise
    sys.exit(code)


def _completing():
    """Shell completion, or its script asked for: answered by this process, where the shell's
    variables are (a server has neither them nor the asking shell as its parent)."""
    return bool(os.environ.get("_IMGKIT_COMPLETE")) or not {"--install-completion", "--show-completion"}.isdisjoint(sys.argv)


def directory():
    """The server's directory: ``$XDG_RUNTIME_DIR/imgkit``, else ``imgkit-<uid>`` in the temporary
    directory (``$TMPDIR`` or /tmp)."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isabs(runtime):
        return os.path.join(runtime, "imgkit")
    base = os.environ.get("TMPDIR") or "/tmp"
    return os.path.join(base if os.path.isabs(base) else "/tmp", f"imgkit-{os.getuid()}")


def socket_path():
    return os.path.join(directory(), "server.sock")


def unsafe(path):
    """Why directory ``path`` must not be used (None: it is safe): it must be a real directory
    (no symlink) owned by this user, with no access for group or others."""
    import stat
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return "it does not exist"
    if not stat.S_ISDIR(info.st_mode):
        return "it is not a directory"
    if info.st_uid != os.getuid():
        return f"it is owned by uid {info.st_uid}, not {os.getuid()}"
    if info.st_mode & 0o077:
        return f"its mode is {stat.S_IMODE(info.st_mode):04o}, not 0700"
    return None


def peer_uid(sock):
    """The uid of the process at the other end of Unix socket ``sock`` (SO_PEERCRED)."""
    import socket
    import struct
    credentials = struct.Struct("3i")
    _pid, uid, _gid = credentials.unpack(sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, credentials.size))
    return uid


def fingerprint():
    """What a server must share with its client: the interpreter, its flags, imgkit's install and
    version, the state of imgkit's sources (an edited module means a stale server), and the
    PINNED environment."""
    import zlib
    package = os.path.dirname(os.path.abspath(__file__))
    sources = []
    for folder, _dirs, files in os.walk(package):
        sources += [f"{folder}/{name}:{os.stat(os.path.join(folder, name)).st_mtime_ns}"
                    for name in sorted(files) if name.endswith(".py")]
    from . import __version__
    return {"python": sys.executable, "version": sys.version, "flags": list(sys.flags), "imgkit": package,
            "imgkit_version": __version__, "sources": zlib.crc32("\n".join(sorted(sources)).encode()),
            "pinned": {k: v for k, v in os.environ.items() if k.startswith(PINNED) and not k.startswith(PASSED)}}


def send_message(sock, message):
    """``message`` (JSON) with its length in front."""
    import json
    import struct
    data = json.dumps(message).encode()
    sock.sendall(struct.pack(HEADER, len(data)) + data)


def receive_message(sock, limit=1 << 26):
    """The next ``send_message``'s message."""
    import json
    import struct
    size, = struct.unpack(HEADER, _receive_exactly(sock, struct.calcsize(HEADER)))
    if size > limit:
        raise ConnectionError(f"message of {size} bytes")
    return json.loads(_receive_exactly(sock, size))


def _receive_exactly(sock, size):
    data = b""
    while len(data) < size:
        more = sock.recv(size - len(data))
        if not more:
            raise ConnectionError("closed")
        data += more
    return data


class Request:
    """One call handed to the server: ``run`` returns its exit code, or None when it must run
    in this process (nothing has run)."""

    def __init__(self, argv):
        self.argv = argv
        self.sock = None

    def run(self):
        path = socket_path()
        try:
            os.stat(path)
        except OSError:
            return None         # the common case: no server, and nothing more is done
        try:
            if unsafe(os.path.dirname(path)):
                return None
            accepted = self._hand_over(path)
        except (OSError, ValueError):
            accepted = False
        if not accepted:
            if self.sock is not None:
                self.sock.close()
            return None
        return self._wait()

    def _hand_over(self, path):
        """Connect, send the call, hear ``accept``, then answer ``go`` with the descriptors (sent
        only now: a descriptor queued to a server that never reads would keep our pipes open)."""
        import socket
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(CONNECT_TIMEOUT)
        self.sock.connect(path)
        if peer_uid(self.sock) != os.getuid():
            return False
        std = [fd for fd in (0, 1, 2) if _is_open(fd)]
        send_message(self.sock, {"do": "run", "argv": self.argv, "std": std, "umask": _umask(),
                                 "affinity": sorted(os.sched_getaffinity(0)), "stdio": _stdio(), "limits": limits(),
                                 "env": {k: v for k, v in os.environ.items() if k.startswith(PASSED)},
                                 "fingerprint": fingerprint()})
        reply = receive_message(self.sock)
        if reply.get("accept") is None:
            return False
        here = os.open(".", getattr(os, "O_PATH", os.O_RDONLY) | os.O_DIRECTORY)
        try:
            self._forward_signals()
            socket.send_fds(self.sock, [b"g"], [here, *std])   # from here on the call is the server's
        finally:
            os.close(here)
        return True

    def _forward_signals(self):
        import signal

        def forward(number, _frame):
            try:
                self.sock.sendall(bytes([number]))
            except OSError:
                pass
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
            if signal.getsignal(number) is not signal.SIG_IGN:     # an ignored Ctrl-C stays ignored
                signal.signal(number, forward)

    def _wait(self):
        """The child's exit status, as the server reports it once it has reaped the child."""
        self.sock.settimeout(None)
        try:
            reply = receive_message(self.sock)
        except (OSError, ValueError):
            reply = {}
        if "exit" in reply:
            return reply["exit"]
        import signal
        number = reply.get("signal")        # the child died of this signal
        if number is None:                  # or it and the server died, saying nothing
            number = signal.SIGKILL
            print("imgkit: the server died while it ran this call", file=sys.stderr)
        if number != signal.SIGKILL:
            signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)        # as in-process: the shell sees the same death
        return 128 + number


def limits():
    """This process's resource limits that a server's child takes on (``ulimit``): name → (soft, hard)."""
    import resource
    return {name: resource.getrlimit(getattr(resource, name)) for name in LIMITS}


def _is_open(fd):
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


def _umask():
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _stdio():
    """How Python set up this process's text streams, for the server's child to do the same."""
    return [None if stream is None else [stream.encoding, stream.errors, stream.line_buffering]
            for stream in (sys.stdin, sys.stdout, sys.stderr)]
