"""Prints how much code each model takes with funcnet and with raw Keras.

Counts syntax-tree nodes, which no formatter changes (see tests/code_size.py), for every
model the project keeps written both ways. `--write` puts the table into the README.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from tests.code_size import README, markdown, table


def main() -> None:
    text = markdown(table())
    print(text)
    if "--write" in sys.argv[1:]:
        start, end = "<!-- code-size table: start -->", "<!-- code-size table: end -->"
        readme = README.read_text()
        pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), flags=re.S)
        README.write_text(pattern.sub(lambda _: f"{start}\n{text}\n{end}", readme))
        print(f"wrote the table into {README}")


if __name__ == "__main__":
    main()
