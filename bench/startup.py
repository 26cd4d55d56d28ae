"""Benchmark: start-up of the commands an admin runs by hand, against a bare interpreter start in the same run.

    .venv/bin/python bench/startup.py [--runs 15]

Times whole processes, interleaved (bare, --help, rules check, bare, …) so that drift of a shared machine
hits all alike. Prints min and median wall time of each, and the median less the bare interpreter's:

* `busavvik --help`                 target ≤ 0.15 s
* `busavvik rules check FORM.docx`   target ≤ 0.30 s  (a form built by tests/support/formbuilder.py)

Also the median CPU time (user + system) of each, less the bare interpreter's: on a machine shared with other
work the wall time waits for a core, the CPU time much less so.  And the heavy libraries that `--help` imports
(it should import none of them).
"""
from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HEAVY = ("sqlalchemy", "alembic", "matplotlib", "openpyxl", "msal", "extract_msg", "tnefparse", "docx",
         "apscheduler", "jinja2", "lxml", "psycopg", "imapclient", "holidays")
TARGETS = {"--help": 0.15, "rules check": 0.30}


def _form(directory: Path) -> Path:
    from tests.support.formbuilder import SAMPLE_VALUES, build_form

    path = directory / "blankett.docx"
    path.write_bytes(build_form(SAMPLE_VALUES))
    return path


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _time(cmd: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of `cmd`."""
    start, cpu = time.perf_counter(), _cpu()
    done = subprocess.run(cmd, capture_output=True, cwd=ROOT)
    took = time.perf_counter() - start
    if done.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)} exited {done.returncode}: {done.stderr.decode(errors='replace')[-500:]}")
    return took, _cpu() - cpu


def _heavy_imports_of_help() -> list[str]:
    code = ("import sys; sys.argv = ['busavvik', '--help']\n"
            "from busavvik.__main__ import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    return [m for m in done.stderr.strip().splitlines()[-1].split(",") if m] if done.stderr.strip() else []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    exe = str(Path(sys.executable).parent / "busavvik")
    with tempfile.TemporaryDirectory() as tmp:
        form = _form(Path(tmp))
        commands = {"bare python": [sys.executable, "-c", "pass"],
                    "--help": [exe, "--help"],
                    "rules check": [exe, "rules", "check", str(form)]}
        for cmd in commands.values():
            _time(cmd)                               # warm the page cache
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, cmd in commands.items():
                wall, used = _time(cmd)
                times[name].append(wall)
                cpu[name].append(used)
    _print(times, cpu)


def _print(times: dict[str, list[float]], cpu: dict[str, list[float]]) -> None:
    bare, bare_cpu = statistics.median(times["bare python"]), statistics.median(cpu["bare python"])
    print(f"{'command':<14} {'min s':>7} {'median s':>9} {'- bare s':>9} {'target s':>9}  {'CPU - bare s':>12}")
    for name, values in times.items():
        med = statistics.median(values)
        target = TARGETS.get(name)
        verdict = "" if target is None else ("met" if med - bare <= target else "NOT met")
        print(f"{name:<14} {min(values):7.3f} {med:9.3f} {med - bare:9.3f} "
              f"{'' if target is None else f'{target:9.2f}':>9}  {statistics.median(cpu[name]) - bare_cpu:12.3f}"
              f"  {verdict}")
    heavy = _heavy_imports_of_help()
    print(f"heavy libraries imported by --help: {', '.join(heavy) if heavy else 'none'}")


if __name__ == "__main__":
    main()
