"""`python -m benchmarks [name ...]`: run the benchmark modules and print their figures."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from pathlib import Path

import django


def available() -> list[str]:
    folder = Path(__file__).parent
    return sorted(m.name for m in pkgutil.iter_modules([str(folder)]) if not m.name.startswith("_"))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("names", nargs="*", help=f"which to run (default all): {available()}")
    parser.add_argument("--quick", action="store_true", help="smaller data, for a smoke run")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Local settings (keys under var/keys/, no https redirect); what a benchmark deploys says so.
    os.environ.setdefault("DEBUG", "True")
    django.setup()
    for name in args.names or available():
        if name not in available():
            parser.error(f"no benchmark {name!r}; there are {available()}")
        print(f"== {name}", flush=True)
        importlib.import_module(f"benchmarks.{name}").run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
