"""A fork server for ``python -u -m pulumi.dynamic``: import once, fork a fresh provider process per command.

Starting the provider server costs ~0.8 s of imports (pulumi, grpc, twilio, pydantic, this package) before
it serves anything, and the engine harness starts one per command: that was most of the test suite's CPU
time. The engine itself starts a fresh ``python -m pulumi.dynamic`` per command; a child forked from a
process that has *only imported* those modules is just as fresh - same code, module state as just
imported, no gRPC object created before the fork (gRPC's C core must not cross a fork once initialised),
its own environment, working directory and stdout/stderr, and it runs ``pulumi/dynamic/__main__.py`` as
``__main__`` exactly as ``-m`` does.

What differs from a process of its own, and why it does not matter here: every child shares the fork
server's string-hash seed (set and dict-of-str iteration orders repeat between commands of one test process;
the provider's requests and messages are sorted where order is visible), and the interpreter's start-up
settings (``PYTHON*`` variables, ``sys.flags``) are the fork server's, which the harness starts with the first
engine's environment; the environment each child *sees* is its own. ``os._exit`` follows ``main()``: the
server only ever ends by a signal, as under the engine.

Set ``TWILIO_DIALING_HARNESS_FORK=0`` to start every provider with ``subprocess`` instead (the slow, literal
way); tests/test_engine_harness.py checks that both behave the same.

Protocol (one Unix socket, one request at a time): the client sends a JSON request ``{"env": {...}, "cwd":
"..."}`` with two file descriptors (the child's stdout and stderr) and gets back ``{"pid": N}``. The child's
exit is seen through ``os.pidfd_open`` (the server ignores SIGCHLD, so exited children are reaped at once).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys

PRELOAD = (
    # What pulumi/dynamic/__main__.py imports, and what unpickling this package's providers imports.
    "dill",
    "grpc",
    "google.protobuf.empty_pb2",
    "pulumi",
    "pulumi.dynamic",
    "pulumi.metadata",
    "pulumi.runtime",
    "pulumi.runtime._serialization",
    "pulumi.runtime._grpc_settings",
    "pulumi.runtime.proto",
    "pulumi_twilio_dialing",
)


def _child(request: dict[str, object], stdout: int, stderr: int, control: socket.socket) -> None:
    import io
    import runpy

    control.close()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(stdout, 1)
    os.dup2(stderr, 2)
    for fd in (devnull, stdout, stderr):
        os.close(fd)
    # ``python -u``: unbuffered binary streams, text written through at once.
    sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", 0), write_through=True)
    sys.stderr = io.TextIOWrapper(os.fdopen(2, "wb", 0), write_through=True, errors="backslashreplace")
    env = request["env"]
    assert isinstance(env, dict)
    os.environ.clear()
    os.environ.update(env)
    os.chdir(str(request["cwd"]))
    sys.path[0] = os.getcwd()  # what ``python -m`` puts first (the fork server's own folder is not)
    sys.argv = ["pulumi.dynamic", "127.0.0.1:0"]
    try:
        runpy.run_module("pulumi.dynamic", run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as exit_:  # as the interpreter treats it: None is 0, any other object is printed, 1
        if exit_.code is None or isinstance(exit_.code, int):
            code = exit_.code or 0
        else:
            print(exit_.code, file=sys.stderr)
            code = 1
    except BaseException:  # what the interpreter would print before exiting 1
        import traceback

        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def serve(control: socket.socket) -> None:
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # exited children are reaped by the kernel
    control.sendall(b"ready\n")
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, 1 << 20, 2)
        except OSError:
            return
        if not message:  # the client is gone
            return
        request = json.loads(message)
        pid = os.fork()
        if pid == 0:
            _child(request, fds[0], fds[1], control)
        for fd in fds:
            os.close(fd)
        control.sendall(json.dumps({"pid": pid}).encode())


if __name__ == "__main__":
    serve(socket.socket(fileno=int(sys.argv[1])))
