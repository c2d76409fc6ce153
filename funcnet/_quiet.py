"""Keeping TensorFlow's C++ start-up notes off the user's screen.

TensorFlow prints start-up notes (oneDNN, no CUDA drivers) from C++ straight to file
descriptor 2, before its logging is set up, so TF_CPP_MIN_LOG_LEVEL cannot silence them.
The command line, the demo and the test workers load TensorFlow inside
`native_stderr_held()`.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator

from funcnet._errors import FuncnetError


@contextlib.contextmanager
def native_stderr_held(enabled: bool = True) -> Iterator[None]:
    """Holds back what native code writes to stderr while the block runs.

    Python's own messages still reach stderr as they are written: when `sys.stderr` is
    file 2 it points at a copy of the original stream meanwhile. If the block raises, the
    held native text is printed (a FuncnetError excepted: that is the user's mistake),
    so a real failure inside TensorFlow is never hidden. Does nothing when `enabled` is
    False.
    """
    if not enabled:
        yield
        return
    try:
        python_on_fd2 = sys.stderr.fileno() == 2
    except (AttributeError, OSError, ValueError):  # e.g. pytest's capsys
        python_on_fd2 = False
    sys.stderr.flush()
    saved = os.dup(2)
    python_stderr = sys.stderr
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        if python_on_fd2:
            copy = os.dup(saved)
            sys.stderr = os.fdopen(copy, "w", buffering=1, errors="backslashreplace")
        try:
            yield
        except FuncnetError:  # the user's mistake, not TensorFlow's: nothing to show
            raise
        except BaseException:
            held.seek(0)
            sys.stderr.write(held.read().decode(errors="replace"))
            raise
        finally:
            sys.stderr.flush()
            if sys.stderr is not python_stderr:
                sys.stderr.close()
                sys.stderr = python_stderr
            os.dup2(saved, 2)
            os.close(saved)
