"""No partial writes: check the output directory before enaio is read, write every file of a run into a
staging directory inside it, and move the files into place (``os.replace``) only after all were written.

A run that fails while writing leaves the output directory as it was; the staging directory is removed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import Final

from connector.errors import EnaioError, UsageError

__all__ = ["LOCK_NAME", "OutputWriteError", "Staging", "check_out_dir"]

LOCK_NAME: Final = ".enaio-connector.lock"
"""Default run-lock file inside the output directory."""
_PREFIX: Final = ".enaio-connector-"


class OutputWriteError(EnaioError):
    """An output file could not be written or moved into place (disk full, permissions, a directory in the
    way). Exit code 1; the message names the file."""

    def __init__(self, message: str, *, path: Path) -> None:
        super().__init__(message)
        self.path = path


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def check_out_dir(out_dir: Path, names: Iterable[str] = ()) -> None:
    """Before anything is read: the directory exists or can be created, files can be created in it, and no
    output name is taken by something that is not a file. Every problem is a UsageError naming --out."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"--out {out_dir}: exists and is not a directory")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out {out_dir}: cannot create the directory ({_reason(exc)})") from None
    try:
        handle, probe = tempfile.mkstemp(prefix=_PREFIX + "probe-", dir=out_dir)
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        raise UsageError(f"--out {out_dir}: cannot write into the directory ({_reason(exc)})") from None
    for name in names:
        target = out_dir / name
        if target.exists() and not target.is_file():
            raise UsageError(
                f"--out {out_dir}: {name} exists and is not a file (a directory?); remove or rename it"
            )


class Staging:
    """``with Staging(out): staging.write(name, writer) ...; paths = staging.commit()``.

    `write` calls ``writer(path)`` with a path in the staging directory; an ``OSError`` becomes an
    ``OutputWriteError`` naming the file in the output directory. `commit` moves every written file into
    place; leaving the block removes the staging directory and whatever is still in it.
    """

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self._dir: Path | None = None
        self._names: list[str] = []

    def __enter__(self) -> Staging:
        try:
            self._dir = Path(tempfile.mkdtemp(prefix=_PREFIX + "staging-", dir=self.out_dir))
        except OSError as exc:
            raise OutputWriteError(
                f"cannot create a staging directory in {self.out_dir}: {_reason(exc)}", path=self.out_dir
            ) from exc
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    @property
    def directory(self) -> Path:
        if self._dir is None:
            raise RuntimeError("Staging is used outside its with block")
        return self._dir

    def write(self, name: str, writer: Callable[[Path], object]) -> None:
        if name in self._names:
            raise ValueError(f"{name} is written twice in one run")
        try:
            writer(self.directory / name)
        except OSError as exc:
            target = self.out_dir / name
            raise OutputWriteError(
                f"cannot write {target}: {_reason(exc)}; no output file was replaced", path=target
            ) from exc
        self._names.append(name)

    def commit(self) -> list[Path]:
        """Move all staged files into place; a target that is not a file stops the run before any move."""
        moves = [(self.directory / name, self.out_dir / name) for name in self._names]
        for _, target in moves:
            if target.exists() and not target.is_file():
                raise OutputWriteError(
                    f"cannot replace {target}: it is not a file; no output file was replaced", path=target
                )
        done: list[Path] = []
        for staged, target in moves:
            try:
                os.replace(staged, target)
            except OSError as exc:
                already = (
                    f"{len(done)} of {len(moves)} files were already replaced"
                    if done
                    else "no output file was replaced"
                )
                raise OutputWriteError(
                    f"cannot move {target} into place: {_reason(exc)}; {already}", path=target
                ) from exc
            done.append(target)
        self._names.clear()
        return done
