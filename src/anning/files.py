"""Writing output files so that they appear only when complete."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_atomically(out: Path | str, write: Callable[[Path], None], error: type[Exception]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``out``, then rename it to ``out``.

    Any failure raises ``error`` with a clear message and leaves ``out`` untouched (never half-written);
    an ``error`` raised by ``write`` itself passes through."""
    out = Path(out)
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise error(f"cannot write {out}: directory {parent} does not exist")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.replace(tmp, out)
    except error:
        raise
    except Exception as exc:
        raise error(f"could not write {out}: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return out
