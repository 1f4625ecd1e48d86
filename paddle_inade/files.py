"""Atomic files and folders: a crash or an error never leaves a half-written result.

:func:`atomic_write` (and :func:`atomic_write_text`, :func:`atomic_save`, :func:`atomic_write_all`
for a set of files) writes under a temporary name in the target's folder and renames it into
place, so a crash leaves the old file whole and no temporary behind; :func:`atomic_folder` does
the same for a whole folder (results, generated datasets).
"""
from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from typing import Any, Callable, Iterator, Sequence, Union

PathLike = Union[str, os.PathLike]


def temporary_sibling(path: PathLike) -> str:
    """A new hidden name in ``path``'s folder that keeps its extension
    (``dir/.name.tmp-<pid>-<random>.ext``), so writers that look at the extension still work.
    Nothing is created: the writer creates it, with the usual permissions."""
    folder, base = os.path.split(os.path.abspath(os.fspath(path)))
    stem, ext = os.path.splitext(base)
    return os.path.join(folder, f".{stem}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}{ext}")


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


def atomic_write_all(items: Sequence[tuple[PathLike, Callable[[str], Any]]]) -> None:
    """Write several files: ``write_fn(tmp)`` for every ``(path, write_fn)`` first, then rename
    them into place in the given order (put the file that marks completeness last). If any
    write fails, no target is touched and no temporary file is left. Missing parent folders
    are created."""
    temps: list[tuple[str, str]] = []
    try:
        for path, write_fn in items:
            path = os.fspath(path)
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            temps.append((temporary_sibling(path), path))
            write_fn(temps[-1][0])
        while temps:
            tmp, path = temps[0]
            os.replace(tmp, path)
            temps.pop(0)
    finally:
        for tmp, _ in temps:
            _remove(tmp)


def atomic_write(path: PathLike, write_fn: Callable[[str], Any]) -> None:
    """Call ``write_fn(tmp)`` for a temporary name in ``path``'s folder, then rename it over
    ``path``. On any error ``path`` keeps its old content and the temporary file is removed."""
    atomic_write_all([(path, write_fn)])


def atomic_write_text(path: PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
    atomic_write(path, write)


def atomic_save(path: PathLike, obj: Any) -> None:
    """``paddle.save(obj, path)`` atomically."""
    import paddle
    atomic_write(path, lambda tmp: paddle.save(obj, tmp))


@contextlib.contextmanager
def atomic_folder(path: PathLike) -> Iterator[str]:
    """``with atomic_folder(out) as tmp:`` fill ``tmp`` (a hidden sibling folder of ``out``);
    when the block completes, ``tmp`` replaces ``out`` (an existing ``out`` is removed only
    then). If the block raises, or leaves ``tmp`` empty, ``out`` is untouched and ``tmp``
    removed; an empty result is a ValueError (an existing folder is never replaced by nothing).
    """
    path = os.path.abspath(os.fspath(path))
    if os.path.exists(path) and not os.path.isdir(path):
        raise FileExistsError(f"{path} exists and is not a folder; choose another output folder")
    parent = os.path.dirname(path)
    os.makedirs(parent, exist_ok=True)
    tmp = temporary_sibling(path)
    os.makedirs(tmp)
    try:
        yield tmp
        if not os.listdir(tmp):
            raise ValueError(f"nothing was written for {path}; "
                             + ("the existing folder is kept" if os.path.exists(path) else "no folder made"))
        _replace_folder(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _replace_folder(new: str, path: str) -> None:
    """Rename ``new`` to ``path``; an existing ``path`` is moved aside first and removed after."""
    if not os.path.exists(path):
        os.replace(new, path)
        return
    old = temporary_sibling(path) + ".old"
    os.replace(path, old)
    try:
        os.replace(new, path)
    except BaseException:
        os.replace(old, path)
        raise
    shutil.rmtree(old, ignore_errors=True)
