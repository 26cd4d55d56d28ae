"""Write the bundled demo sample: the test corpus as two Maildirs (busavvik/sample/storsthlm and hsf).

    .venv/bin/python tools/make_sample.py
"""
from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.corpus import write_corpus  # noqa: E402


def main() -> None:
    target = ROOT / "busavvik" / "sample"
    with tempfile.TemporaryDirectory() as tmp:
        write_corpus(Path(tmp))
        for box in ("storsthlm", "hsf"):
            maildir = target / box
            shutil.rmtree(maildir, ignore_errors=True)
            for sub in ("cur", "new", "tmp"):
                (maildir / sub).mkdir(parents=True)
            for sub in ("new", "tmp"):  # git keeps no empty directory, and a Maildir needs all three
                (maildir / sub / ".keep").touch()
            for i, eml in enumerate(sorted((Path(tmp) / box).glob("*.eml"))):
                (maildir / "cur" / f"1767225600.{i:04d}.{eml.stem}.sample:2,S").write_bytes(eml.read_bytes())
    print(f"sample written to {target}")


if __name__ == "__main__":
    main()
