"""All files of a run or none: check the output directory before enaio is read, write every file of a run
into a directory of its own, and make that directory visible in one atomic step.

Layout of a published run (``Staging(out, publish="kennzahlen_2018-Q2")``)::

    <out>/kennzahlen_2018-Q2 -> .enaio-connector-runs/kennzahlen_2018-Q2.20180801T020000Z.4711
    <out>/.enaio-connector-runs/kennzahlen_2018-Q2.20180801T020000Z.4711/kennzahlen_2018-Q2.xlsx ...

A run writes into its own versioned directory under ``.enaio-connector-runs``; `commit` then points the
published name at it by creating a new symbolic link and renaming it over the old one — one ``rename(2)``,
atomic on POSIX. A reader that opens ``<out>/kennzahlen_2018-Q2/...`` sees the previous run or the new one,
never a mix. The previous run's directory is kept until the next run starts (a reader still inside it is
not cut off) and removed then, together with the directories of runs that died before their commit
(SIGKILL, power loss): `remove_stale`, called by the job while it holds the run lock.

On Windows (where a rename cannot replace an existing directory link, and creating links needs a privilege)
and wherever links cannot be created, the published name is a plain directory and `commit` swaps it with two
renames (old name away, new directory in). Between the two the name is briefly absent — a reader finds
nothing, never a mix; a rename that Windows refuses because a reader holds a file open fails the run with a
message, the old directory stays in place.

Without `publish` (library helpers such as ``write_outputs`` and the demo), the files are moved into the
output directory itself one by one; that mode can leave a mix if a move fails midway and is not used by the
scheduled commands.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Final

from connector.errors import EnaioError, UsageError

__all__ = [
    "LOCK_NAME",
    "RUNS_DIR",
    "OutputWriteError",
    "Staging",
    "check_out_dir",
    "remove_stale",
    "symlinks_supported",
]

log = logging.getLogger(__name__)

LOCK_NAME: Final = ".enaio-connector.lock"
"""Default run-lock file inside the output directory."""
RUNS_DIR: Final = ".enaio-connector-runs"
"""Versioned run directories, one per run, inside the output directory."""
_PREFIX: Final = ".enaio-connector-"
_LINK_TMP: Final = _PREFIX + "link-"
_LEGACY_STAGING: Final = _PREFIX + "staging-"


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


def check_publish_name(out_dir: Path, publish: str) -> None:
    """The published name is free, a link or a directory; a file in its place is a UsageError."""
    target = out_dir / publish
    if target.is_symlink() or not target.exists() or target.is_dir():
        return
    raise UsageError(f"--out {out_dir}: {publish} exists and is not a directory; remove or rename it")


def symlinks_supported(directory: Path) -> bool:
    """Whether the published name can be a symbolic link switched by one rename. Never on Windows: there a
    rename cannot replace an existing directory link, and creating links needs a privilege."""
    if sys.platform == "win32":
        return False
    probe = directory / f"{_LINK_TMP}probe-{os.getpid()}"
    try:
        os.symlink(".", probe, target_is_directory=True)
    except (OSError, NotImplementedError):
        return False
    with contextlib.suppress(OSError):
        os.unlink(probe)
    return True


def _link_target(path: Path) -> str | None:
    try:
        return os.readlink(path)
    except OSError:
        return None


def remove_stale(out_dir: Path) -> list[str]:
    """Remove what dead runs left behind: run directories no published name points at, temporary links and
    staging directories of the old layout. Call only while holding the run lock (a running run's directory
    is unreferenced until its commit). Returns the removed names."""
    removed: list[str] = []
    runs = out_dir / RUNS_DIR
    referenced: set[str] = set()
    with contextlib.suppress(OSError):
        for entry in out_dir.iterdir():
            target = _link_target(entry)
            if target is not None and not entry.name.startswith(_LINK_TMP):
                referenced.add(Path(target).name)
    with contextlib.suppress(OSError):
        for entry in out_dir.iterdir():
            if entry.name.startswith(_LINK_TMP):
                with contextlib.suppress(OSError):
                    entry.unlink()
                    removed.append(entry.name)
            elif entry.name.startswith(_LEGACY_STAGING) and entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry.name)
    if runs.is_dir():
        for entry in sorted(runs.iterdir()):
            if entry.name not in referenced:
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(f"{RUNS_DIR}/{entry.name}")
    for name in removed:
        log.info("removed %s left behind by an earlier run", name)
    return removed


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


class Staging:
    """``with Staging(out, publish=name): staging.write(file, writer) ...; paths = staging.commit()``.

    `write` calls ``writer(path)`` with a path in the run's own directory; an ``OSError`` becomes an
    ``OutputWriteError`` naming the file. `commit` makes every written file visible at once (see the module
    docstring); leaving the block without a commit removes the run directory and whatever is in it.

    `rename` maps a file's base name to the name it is written under (e.g. the period in the name).
    `links` forces the symbolic-link switch (True) or the directory swap (False); default: what the
    output directory supports.
    """

    def __init__(
        self,
        out_dir: Path,
        publish: str | None = None,
        *,
        rename: Callable[[str], str] | None = None,
        links: bool | None = None,
    ) -> None:
        self.out_dir = out_dir
        self.publish = publish
        self._rename = rename or (lambda name: name)
        self._links = links
        self._dir: Path | None = None
        self._names: list[str] = []
        self._committed = False

    def __enter__(self) -> Staging:
        try:
            if self.publish is None:
                self._dir = Path(tempfile.mkdtemp(prefix=_LEGACY_STAGING, dir=self.out_dir))
            else:
                check_publish_name(self.out_dir, self.publish)
                if self._links is None:
                    self._links = symlinks_supported(self.out_dir)
                runs = self.out_dir / RUNS_DIR
                runs.mkdir(exist_ok=True)
                self._dir = runs / f"{self.publish}.{_stamp()}.{os.getpid()}"
                self._dir.mkdir()
        except OSError as exc:
            raise OutputWriteError(
                f"cannot create a run directory in {self.out_dir}: {_reason(exc)}", path=self.out_dir
            ) from exc
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        directory, self._dir = self._dir, None
        if directory is not None and not (self._committed and self.publish is not None):
            shutil.rmtree(directory, ignore_errors=True)

    @property
    def directory(self) -> Path:
        if self._dir is None:
            raise RuntimeError("Staging is used outside its with block")
        return self._dir

    @property
    def target(self) -> Path:
        """Where the files are visible after the commit."""
        return self.out_dir if self.publish is None else self.out_dir / self.publish

    def file_name(self, name: str) -> str:
        return self._rename(name)

    def written(self) -> list[Path]:
        """The files written so far, in the run directory (for checksums before the commit)."""
        return [self.directory / name for name in self._names]

    def write(self, name: str, writer: Callable[[Path], object]) -> None:
        name = self._rename(name)
        if name in self._names:
            raise ValueError(f"{name} is written twice in one run")
        try:
            writer(self.directory / name)
        except OSError as exc:
            target = self.target / name
            raise OutputWriteError(
                f"cannot write {target}: {_reason(exc)}; no output file was replaced", path=target
            ) from exc
        self._names.append(name)

    def commit(self) -> list[Path]:
        """Make all staged files visible; returns their published paths."""
        if self.publish is None:
            return self._move_flat()
        if self._links:
            self._switch_link(self.publish)
        else:
            self._swap_directory(self.publish)
        self._committed = True
        return [self.target / name for name in self._names]

    def _switch_link(self, publish: str) -> None:
        target = self.out_dir / publish
        relative = os.path.join(RUNS_DIR, self.directory.name)  # relative: the tree can be moved
        temporary = self.out_dir / f"{_LINK_TMP}{publish}.{os.getpid()}"
        try:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
            os.symlink(relative, temporary, target_is_directory=True)
            if target.is_dir() and not target.is_symlink():
                # A plain directory (earlier layout, or the Windows swap): moved aside once, then linked.
                os.replace(target, self.out_dir / RUNS_DIR / f"{publish}.replaced.{_stamp()}")
            os.replace(temporary, target)  # the one atomic step
        except OSError as exc:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise OutputWriteError(
                f"cannot publish {target}: {_reason(exc)}; the previous files are unchanged", path=target
            ) from exc

    def _swap_directory(self, publish: str) -> None:
        target = self.out_dir / publish
        aside = self.out_dir / RUNS_DIR / f"{publish}.replaced.{_stamp()}"
        moved_aside = False
        try:
            if target.is_symlink():
                target.unlink()
            elif target.exists():
                os.replace(target, aside)
                moved_aside = True
            os.replace(self.directory, target)
        except OSError as exc:
            if moved_aside:
                with contextlib.suppress(OSError):
                    os.replace(aside, target)
            raise OutputWriteError(
                f"cannot publish {target}: {_reason(exc)} (a file in it may be open); "
                "the previous files are unchanged",
                path=target,
            ) from exc
        self._dir = target

    def _move_flat(self) -> list[Path]:
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
