"""`files` source: a directory tree, with include/exclude globs and optional .gitignore rules.

Paths are matched as the file system gives them (undecodable bytes as surrogate escapes, as
git's own listing is decoded), and stored through `show()`, since Arrow strings must be UTF-8.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from codemill import langs
from codemill.io.base import Reader, show
from codemill.io.git import git_env
from codemill.io.globs import matches
from codemill.params import ParamError, param
from codemill.record import new_record, reject_record
from codemill.registry import READERS


@READERS.register("files")
@dataclasses.dataclass
class FilesReader(Reader):
    """A directory tree (or one file); `lang` from extension and shebang, `created_at` from mtime."""

    include: list[str] = param(["**/*"], "globs of files to read; without '/' a glob matches the name at any depth")
    exclude: list[str] = param([], "globs of files or folders to skip")
    gitignore: bool = param(False, "skip what .gitignore files ignore (git's own rules, via the git binary)")
    follow_symlinks: bool = param(False, "follow symlinks (loops are detected); otherwise they are rejected")
    max_file_bytes: int = param(64 << 20, "files larger than this are rejected unread")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.max_file_bytes <= 0:
            raise ParamError("max_file_bytes", "must be > 0")

    def bind(self, base_dir: Path) -> None:
        super().bind(base_dir)
        if self.gitignore and shutil.which("git") is None:
            raise ParamError("gitignore", "needs the `git` program on PATH")
        if self.gitignore and self.follow_symlinks:
            # git's ignore listing does not follow symlinks: files below them would vanish unaccounted
            raise ParamError("gitignore", "cannot be combined with follow_symlinks: true")

    def read(self) -> Iterator[dict[str, Any]]:
        root = self.root()
        if root.is_file():
            yield self._record(root, root.name)
            return
        allowed = _git_not_ignored(root) if self.gitignore else None
        for rel, full, problem in _walk(root, self.follow_symlinks, lambda d: matches(d, self.exclude)):
            if problem is not None:
                if not matches(rel, self.exclude):
                    yield self._reject(rel, *problem)
                continue
            if matches(rel, self.exclude) or not matches(rel, self.include):
                continue
            if allowed is not None and rel not in allowed:
                continue
            yield self._record(full, rel)

    def _reject(self, rel: str, reason: str, detail: str) -> dict[str, Any]:
        """A reject whose key, path and detail (which may quote a link target) are storable UTF-8."""
        path = show(rel)
        return reject_record(self.source, path, reason, show(detail), path=path)

    def _record(self, full: Path, rel: str) -> dict[str, Any]:
        try:
            st = full.stat()
            if st.st_size > self.max_file_bytes:
                return self._reject(rel, "file too large", f"{st.st_size} bytes > {self.max_file_bytes}")
            data = full.read_bytes()
        except OSError as e:
            return self._reject(rel, "unreadable", f"{type(e).__name__}: {e.strerror or e}")
        created = datetime.fromtimestamp(int(st.st_mtime), UTC)
        path = show(rel)
        return new_record(self.source, path, raw=data, path=path, lang=langs.detect(path, data[:256]),
                          created_at=created)


def _walk(root: Path, follow: bool, skip_dir: Callable[[str], bool]) -> Iterator[tuple[str, Path, tuple[str, str] | None]]:
    """Yield (relative posix path, full path, problem) in sorted order; problem = (reason, detail).

    Folders for which `skip_dir(relative path)` is true are not entered.
    """
    seen_dirs = {os.path.realpath(root)}

    def visit(d: Path, prefix: str) -> Iterator[tuple[str, Path, tuple[str, str] | None]]:
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name)
        except OSError as e:
            yield prefix.rstrip("/") or ".", d, ("unreadable", f"{type(e).__name__}: {e.strerror or e}")
            return
        for e in entries:
            rel = prefix + e.name
            full = Path(e.path)
            if e.is_symlink():
                if not follow:
                    yield rel, full, ("symlink", f"-> {os.readlink(full)} (follow_symlinks is off)")
                    continue
                try:
                    target = full.resolve(strict=True)
                except (OSError, RuntimeError) as err:
                    yield rel, full, ("symlink loop", f"{type(err).__name__}: {err}")
                    continue
                if target.is_dir():
                    if skip_dir(rel):
                        continue
                    if str(target) in seen_dirs:
                        yield rel, full, ("symlink loop", f"-> {target} already visited")
                        continue
                    seen_dirs.add(str(target))
                    yield from visit(full, rel + "/")
                    continue
                yield rel, full, None
            elif e.is_dir(follow_symlinks=False):
                if e.name == ".git" or skip_dir(rel):
                    continue
                yield from visit(full, rel + "/")
            elif e.is_file(follow_symlinks=False):
                yield rel, full, None
            else:
                yield rel, full, ("not a regular file", "fifo, socket or device")

    yield from visit(root, "")


def _git_not_ignored(root: Path) -> set[str]:
    """Files under `root` that git's ignore rules (all nested .gitignore files) do not ignore."""
    with tempfile.TemporaryDirectory() as gitdir:
        env = {**git_env(), "GIT_DIR": gitdir, "GIT_WORK_TREE": str(root)}
        subprocess.run(["git", "init", "-q", "--bare", gitdir], check=True, capture_output=True)
        out = subprocess.run(
            ["git", "-c", "core.excludesFile=/dev/null", "-c", "core.bare=false", "ls-files", "--others",
             "--exclude-standard", "-z"],
            cwd=root, env=env, check=True, capture_output=True,
        ).stdout
    return {p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p}
