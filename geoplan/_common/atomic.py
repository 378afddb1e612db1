"""Atomic file writes: every file geoplan writes appears whole or not at all.

A writer fills a temporary file beside the target and moves it into place with
``os.replace`` (atomic on one file system); a failure or a killed process leaves the
previous file untouched and no half-written one. The finished file gets the permissions
a plain ``open(path, "w")`` would give it, so shared reports stay readable by colleagues.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from pathlib import Path

from .._errors import GeoplanError, OutputError

#: Longest file name (in bytes, UTF-8) that ext4, XFS, NTFS and APFS accept.
NAME_MAX_BYTES = 255

# Set by ``--force`` (the CLI) or :func:`allow_overwrite`: replace read-only files.
_FORCE: ContextVar[bool] = ContextVar("geoplan_force_overwrite", default=False)


@contextmanager
def allow_overwrite(force: bool = True) -> Iterator[None]:
    """Within the block, writes may replace files that are read-only (``--force``).

    Without it, a read-only output file (``chmod 444``) is never replaced: someone made it
    read-only to keep it.
    """
    token = _FORCE.set(force)
    try:
        yield
    finally:
        _FORCE.reset(token)


def set_force(force: bool) -> None:
    """Set the ``--force`` state for the rest of this context (the CLI's option callback)."""
    _FORCE.set(bool(force))


def _read_only(target: Path) -> bool:
    """No write bit at all (0444: even root, who may write anyway, should not), or not
    writable by this user."""
    return not stat.S_IMODE(target.stat().st_mode) & 0o222 or not os.access(target, os.W_OK)


def _refuse(target: Path, what: str, error: type[Exception]) -> None:
    """Refuse names the file system cannot hold and read-only files (before any work)."""
    size = len(os.fsencode(target.name))
    if size > NAME_MAX_BYTES:
        raise error(
            f"cannot write the {what} to {str(target)!r}: the file name is {size} bytes, over "
            f"the {NAME_MAX_BYTES}-byte limit of the file system (a Chinese character takes 3); "
            "choose a shorter name"
        )
    if target.is_dir():
        raise error(
            f"cannot write the {what} to {str(target)!r}: it is a folder; give a file name, "
            f"e.g. {str(target / ('output' + (target.suffix or '.html')))!r}"
        )
    if target.exists() and _read_only(target) and not _FORCE.get():
        mode = stat.S_IMODE(target.stat().st_mode)
        why = (
            f"read-only (mode {mode:04o})"
            if not mode & 0o222
            else f"not writable (mode {mode:04o}: another user's file, or immutable, "
            "`lsattr` shows an i flag)"
        )
        raise error(
            f"{str(target)!r} is {why}, so the {what} does not replace it; make it writable "
            f"(chmod u+w / chattr -i), choose another path, or pass --force "
            "(allow_overwrite() in Python)"
        )


def check_output(path: str | os.PathLike[str], *, what: str = "file") -> Path:
    """Raise :class:`~geoplan.OutputError` now if ``path`` could not be written later.

    The checks :func:`atomic_path` makes (folder exists, not a folder, name within 255
    bytes, not read-only unless ``--force``), for commands that work long before they
    write.
    """
    target = Path(path)
    folder = target.resolve().parent
    if not folder.is_dir():
        raise OutputError(
            f"cannot write the {what} to {str(target)!r}: folder {str(folder)!r} does not exist; "
            "create it first or choose another path"
        )
    _refuse(target, what, OutputError)
    return target


def os_error_message(exc: OSError, target: Path, what: str = "file") -> str:
    """One line for an OS error met writing ``target``: what happened and the fix."""
    where = f"cannot write the {what} to {str(target)!r}"
    folder = str(target.resolve().parent)
    code = exc.errno
    if code in (errno.ENOSPC, errno.EDQUOT):
        return (
            f"{where}: no space left on the disk holding {folder!r}; free space or write elsewhere"
        )
    if code == errno.EROFS:
        return f"{where}: {folder!r} is on a read-only file system; write elsewhere"
    if code == errno.ENAMETOOLONG:
        return f"{where}: the file name or path is too long; choose a shorter name"
    if code == errno.EFBIG:
        return f"{where}: the file is larger than this system allows; write elsewhere"
    if code in (errno.EACCES, errno.EPERM):
        return (
            f"{where}: permission denied (the folder or the file is protected, or the file "
            "is immutable: `lsattr` shows an i flag, `chattr -i` clears it); fix the "
            "permissions or choose another path"
        )
    if code == errno.EISDIR:
        return f"{where}: it is a folder; give a file name"
    reason = exc.strerror or str(exc)
    return f"{where}: {reason}; check the path and the disk, or choose another path"


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
        Every other failure (no space, permission denied, an immutable or read-only file,
        a name over 255 bytes) is an :class:`~geoplan.OutputError` naming the file and the
        fix.
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
    _refuse(target, what, OutputError)
    # the temporary name must fit the 255-byte limit too: keep the start of a long name
    short = os.fsencode(target.name)[:120].decode("utf-8", errors="ignore")
    tmp = folder / f".{short}.{os.getpid()}.{secrets.token_hex(4)}{suffix}"
    try:
        try:
            yield tmp
            os.chmod(tmp, default_file_mode())
            os.replace(tmp, target)
        except OSError as exc:
            if isinstance(exc, GeoplanError):  # a writer's own message names the input
                raise
            raise OutputError(os_error_message(exc, target, what)) from exc
    finally:
        with suppress(OSError):
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
