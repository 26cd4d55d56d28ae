"""`busavvik ARGS` on a database URL (no config file): in the test process (`cli`, `run_cli`) or as a real
process (`cli_process`, `run_process`).

In the test process the command goes through the same entry point as `python -m busavvik.cli`
(`busavvik.cli.main`: sys.argv, its ConfigError / database error exits, Click's exit codes); standard input,
output and error are swapped for buffers, and the environment and the root logger are put back afterwards
(the local zone is passed, never set process-wide).
A process start costs ~1-2 s of CPU (the interpreter and the commands' imports), so the fast loop
runs commands in process; one `integration` test per concern keeps running the real process.
"""
from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import traceback
from collections.abc import Mapping, Sequence

# `None` removes a variable for the run (as `env.pop` would for a process).
Env = Mapping[str, str | None]


def cli(*args: str, db_url: str) -> subprocess.CompletedProcess[str]:
    """In process, on `db_url`, without $BUSAVVIK_CONFIG."""
    return run_cli(args, env={"BUSAVVIK_DATABASE_URL": db_url, "BUSAVVIK_CONFIG": None})


def cli_process(*args: str, db_url: str) -> subprocess.CompletedProcess[str]:
    """`python -m busavvik.cli ARGS` as a real process on `db_url`, without $BUSAVVIK_CONFIG."""
    return run_process(args, env={"BUSAVVIK_DATABASE_URL": db_url, "BUSAVVIK_CONFIG": None})


def run_process(args: Sequence[str], env: Env, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    full = {**os.environ}
    for name, value in env.items():
        if value is None:
            full.pop(name, None)
        else:
            full[name] = value
    return subprocess.run([sys.executable, "-m", "busavvik.cli", *args], capture_output=True, text=True,
                          env=full, timeout=timeout)


def run_cli(args: Sequence[str], env: Env | None = None, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`busavvik ARGS` through `busavvik.cli.main` in this process; the result as a process would give it."""
    from busavvik import cli as entry

    out, err = io.BytesIO(), io.BytesIO()
    streams = (io.TextIOWrapper(out, encoding="utf-8", write_through=True),
               io.TextIOWrapper(err, encoding="utf-8", write_through=True))
    saved_streams = sys.stdin, sys.stdout, sys.stderr
    saved_argv, saved_env = sys.argv, {name: os.environ.get(name) for name in (env or {})}
    root = logging.getLogger()
    saved_log = root.handlers[:], root.level
    try:
        _set_env(env or {})
        sys.argv = ["busavvik", *args]
        sys.stdin, sys.stdout, sys.stderr = io.StringIO(stdin), *streams
        try:
            entry.main()
            code = 0
        except SystemExit as exc:
            code = _exit_code(exc.code)
        except Exception:   # as the interpreter would: the traceback on standard error, exit 1
            traceback.print_exc(file=sys.stderr)
            code = 1
        for stream in streams:
            stream.flush()
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        sys.argv = saved_argv
        _set_env(saved_env)
        root.handlers[:] = saved_log[0]
        root.setLevel(saved_log[1])
    return subprocess.CompletedProcess(["busavvik", *args], code, _text(out), _text(err))


def _set_env(env: Env) -> None:
    for name, value in env.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)   # sys.exit("text"): the text on standard error, exit 1
    return 1


def _text(buffer: io.BytesIO) -> str:
    # As `subprocess.run(text=True)` reads it: universal newlines.
    return buffer.getvalue().decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
