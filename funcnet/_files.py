"""Writing files so that a failure leaves nothing half-written and nothing destroyed.

Pictures (`fn.plot`) and the demo's saved model both go through `write_atomically`: the
bytes go to a temporary file in the target's folder, which then replaces the target in
one rename. A failure at any point leaves the old file, or no file, never a partial one.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from funcnet._errors import FuncnetError


def check_writable(path: Path) -> None:
    """Raises `FuncnetError` naming `path` when its folder is missing or read-only."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise FuncnetError(f'Cannot write "{path}": the folder "{folder}" does not exist.')
    if not os.access(folder, os.W_OK):
        raise FuncnetError(f'Cannot write "{path}": the folder "{folder}" is not writable.')
    if path.is_dir():
        raise FuncnetError(f'Cannot write "{path}": it is a folder.')


def write_atomically(path: Path, data: bytes) -> None:
    """Writes via a temporary file in the same folder, so `path` is whole or untouched.

    A symlink is followed (its target is replaced, the link stays), a replaced file keeps
    its permissions, and no temporary file survives any failure, Ctrl-C included.
    """
    path = Path(os.path.realpath(path)) if Path(path).is_symlink() else Path(path)
    check_writable(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as err:
        raise FuncnetError(f'Cannot write "{path}": {err.strerror}.') from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, _mode_for(path))  # mkstemp's 0600 would hide the picture from others
        os.replace(tmp, path)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise FuncnetError(f'Cannot write "{path}": {err.strerror or err}.') from None
    except BaseException:  # KeyboardInterrupt, SystemExit: still leave nothing behind
        Path(tmp).unlink(missing_ok=True)
        raise


def _mode_for(path: Path) -> int:
    """The permissions of the file being replaced, else the default for a new file."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def save_model(model: Any, path: Path) -> None:
    """Saves a Keras model to a `.keras` file atomically, like `write_atomically`."""
    check_writable(path)
    # Keras writes .keras files only to a path, so save aside, then move the bytes in.
    with tempfile.TemporaryDirectory() as tmp:
        aside = Path(tmp) / path.name
        try:
            model.save(aside)
        except (OSError, ValueError) as err:
            raise FuncnetError(f'Cannot save model "{model.name}" to "{path}": {err}') from None
        write_atomically(path, aside.read_bytes())
