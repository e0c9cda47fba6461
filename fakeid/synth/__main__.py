"""CLI: `python -m fakeid.synth out=DIR preset=tiny|demo seed=S [key=value ...]` (see fakeid.synth.settings)."""
from __future__ import annotations

import sys

from fakeid.errors import FakeidError, one_line_errors
from fakeid.synth.writer import generate
from fakeid.key_values import parse_key_values
from fakeid.synth.settings import ALL_KEYS


def main(argv: list[str] | None = None) -> None:
    with one_line_errors():
        arguments = parse_key_values(sys.argv[1:] if argv is None else argv, ALL_KEYS)
        if "out" not in arguments:
            raise FakeidError("missing key 'out': expected out=DIR, the folder to write the benchmark into")
        root = generate(**arguments)
        print(f"wrote {root} (see {root / 'DATASET.md'})")


if __name__ == "__main__":
    main()
