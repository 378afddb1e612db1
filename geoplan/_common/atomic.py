"""Atomic file writes: every file geoplan writes appears whole or not at all.

A writer fills a temporary file beside the target and moves it into place with
``os.replace`` (atomic on one file system); a failure or a killed process leaves the
previous file untouched and no half-written one. The finished file gets the permissions
a plain ``open(path, "w")`` would give it, so shared reports stay readable by colleagues.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .._errors import OutputError


def default_file_mode() -> int:
    """The mode a plain ``open(path, "w")`` gives a new file: 0o666 less the umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextmanager
def atomic_path(
    path: str | os.PathLike[str],
    *,
    what: str = "file",
    error: type[Exception] = OutputError,
    suffix: str = ".tmp",
) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success move it over ``path``.

    Parameters
    ----------
    path
        The file to write.
    what
        What is written, for the message when the folder is missing ("map", "report").
    error
        The exception class raised when the folder is missing (a geoplan error class).
    suffix
        The temporary file's suffix, for writers that choose the format by it (``.gpkg``).

    Yields
    ------
    pathlib.Path
        A path in the same folder that does not exist yet; write the whole file there.
    """
    target = Path(path)
    folder = target.resolve().parent
    if not folder.is_dir():
        raise error(
            f"cannot write the {what} to {str(target)!r}: folder {str(folder)!r} does not exist; "
            "create it first or choose another path"
        )
    tmp = folder / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}{suffix}"
    try:
        yield tmp
        os.chmod(tmp, default_file_mode())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes(
    path: str | os.PathLike[str],
    data: bytes,
    *,
    what: str = "file",
    error: type[Exception] = OutputError,
) -> Path:
    """Write ``data`` to ``path`` atomically and return the path."""
    with atomic_path(path, what=what, error=error) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(
    path: str | os.PathLike[str],
    text: str,
    *,
    encoding: str = "utf-8",
    what: str = "file",
    error: type[Exception] = OutputError,
) -> Path:
    """Write ``text`` to ``path`` atomically (no newline translation) and return the path."""
    return write_bytes(path, text.encode(encoding), what=what, error=error)
