"""Run the benchmark scripts in bench/ one after another (``make bench``), then repeat every line
that names a target, so the ratios stand together at the end.

``python bench/run_all.py [NAME...]`` runs only ``bench_NAME.py`` for each NAME given. Set
``KX_BENCH_LAB_DIR`` to a running lab's state dir to run the benchmarks that accept it there.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    names = sys.argv[1:] if argv is None else argv
    here = Path(__file__).parent
    scripts = sorted(here.glob("bench_*.py"))
    if names:
        wanted = {f"bench_{name}.py" for name in names}
        unknown = wanted - {s.name for s in scripts}
        if unknown:
            print(f"No benchmark called {', '.join(sorted(unknown))}; there are "
                  f"{', '.join(s.stem.removeprefix('bench_') for s in scripts)}.")
            return 2
        scripts = [s for s in scripts if s.name in wanted]
    failed: list[str] = []
    targets: list[str] = []
    for script in scripts:
        print(f"== {script.name}", flush=True)
        with subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                              bufsize=1) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                print(line, end="", flush=True)
                if "target" in line:
                    targets.append(f"{script.stem}: {line.strip()}")
        if proc.returncode != 0:
            failed.append(script.name)
    if targets:
        print("== targets")
        for line in targets:
            print(line)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
