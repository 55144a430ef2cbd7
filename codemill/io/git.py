"""`git` source: the files of one commit of a local repository, read through the git binary.

Three git processes, each streamed: `ls-tree` lists the blobs, one `log` pass finds the commit
that last touched each path (stopping as soon as all are found), and one long-running
`cat-file --batch` reads the contents.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from codemill import langs
from codemill.io.base import Reader, SourceError, show
from codemill.io.globs import matches
from codemill.params import ParamError, param
from codemill.record import new_record, reject_record
from codemill.registry import READERS

#: Variables a calling git (a hook, a test harness) may set that would point us at another repository.
_GIT_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR",
            "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_PREFIX")
_SYMLINK_MODE = b"120000"


@READERS.register("git")
@dataclasses.dataclass
class GitReader(Reader):
    """A local git repository (work tree or bare) at one revision; created_at = last commit touching each file.

    The key is `<commit>:<path>`: ids are never reused, and the same path at another revision is
    other content, so reading another `rev` gives other ids (unchanged files included).
    """

    rev: str = param("HEAD", "branch, tag, commit or other revision to read")
    repo_name: str | None = param(None, "value of the `repo` column (default: the repository's folder name)")
    include: list[str] = param(["**/*"], "globs of paths to read; without '/' a glob matches the name at any depth")
    exclude: list[str] = param([], "globs of paths to skip")
    max_file_bytes: int = param(64 << 20, "blobs larger than this are rejected unread")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.max_file_bytes <= 0:
            raise ParamError("max_file_bytes", "must be > 0")
        self._commit: str | None = None
        self._repo: str | None = None

    def bind(self, base_dir: Path) -> None:
        """Check that `path` is the top of a work tree or a bare repository and resolve `rev` to a commit."""
        super().bind(base_dir)
        if shutil.which("git") is None:
            raise ParamError("path", "the git source needs the `git` program on PATH")
        root = self.root()
        if not root.is_dir():
            raise ParamError("path", f"not a git work tree or bare repository: {root} is not a folder")
        probe = _git(root, "rev-parse", "--is-bare-repository", "--absolute-git-dir", check=False)
        if probe.returncode != 0:
            raise ParamError("path", f"not a git work tree or bare repository: {root} "
                                     f"({probe.stderr.decode(errors='replace').strip()})")
        bare, gitdir = probe.stdout.decode(errors="surrogateescape").split("\n")[:2]
        top = gitdir if bare == "true" else _git(root, "rev-parse", "--show-toplevel", check=False).stdout.decode(
            errors="surrogateescape").strip()
        if not top:
            raise ParamError("path", f"{root} is a git folder, not a work tree or bare repository")
        if Path(top).resolve() != root.resolve():
            raise ParamError("path", f"{root} is inside the repository {top}, not its top; point `path` at {top}")
        name = root.resolve().name
        self._repo = self.repo_name or (name.removesuffix(".git") if bare == "true" else name)
        self._commit = self._resolve(root)

    def _resolve(self, root: Path) -> str:
        r = _git(root, "rev-parse", "--verify", "--quiet", f"{self.rev}^{{commit}}", check=False)
        if self.rev.startswith("-") or r.returncode != 0:
            refs = _git(root, "for-each-ref", "--count=20", "--format=%(refname:short)", "refs/heads", "refs/tags",
                        check=False).stdout.decode(errors="replace").split()
            hint = ", ".join(refs) if refs else "none: the repository has no branches or tags yet"
            raise ParamError("rev", f"unknown revision {self.rev!r} in {root}; give a commit sha, a relative "
                                    f"revision like HEAD~2, or a branch or tag ({hint})")
        return r.stdout.decode().strip()

    def read(self) -> Iterator[dict[str, Any]]:
        root = self.root()
        commit = self._commit or self._resolve(root)
        repo = self._repo or self.repo_name or root.resolve().name
        entries = []  # (mode, object id, size, path as in git, path as shown), submodules left out
        for mode, typ, oid, size, raw_path in _ls_tree(root, commit):
            path = show(raw_path.decode("utf-8", "surrogateescape"))
            if typ == b"blob" and not matches(path, self.exclude):
                entries.append((mode, oid, size, raw_path, path))
        wanted = {e[3] for e in entries if e[0] != _SYMLINK_MODE and matches(e[4], self.include)}
        times = _last_change(root, commit, wanted)
        with _CatFile(root) as cat:
            for mode, oid, size, raw_path, path in entries:
                key, where = f"{commit}:{path}", {"path": path, "repo": repo, "commit": commit}
                if mode == _SYMLINK_MODE:
                    target = (cat.get(oid) or b"").decode(errors="replace")
                    yield reject_record(self.source, key, "symlink", f"{path} -> {target}", **where)
                elif raw_path not in wanted:
                    continue
                elif size > self.max_file_bytes:
                    yield reject_record(self.source, key, "file too large",
                                        f"{path}: {size} bytes > {self.max_file_bytes}", **where)
                elif (data := cat.get(oid)) is None:
                    yield reject_record(self.source, key, "missing object", f"{path}: blob {oid.decode()} is "
                                        "not in the repository (shallow or partial clone?)", **where)
                else:
                    yield new_record(self.source, key, raw=data, lang=langs.detect(path, data[:256]),
                                     created_at=times.get(raw_path), **where)


def git_env() -> dict[str, str]:
    """The environment without GIT_* variables a calling hook may set (they would redirect git)."""
    return {k: v for k, v in os.environ.items() if k not in _GIT_ENV}


def _git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    r = subprocess.run(["git", *args], cwd=root, env=git_env(), capture_output=True)
    if check and r.returncode != 0:
        raise SourceError(f"git {' '.join(args)} failed in {root}: {r.stderr.decode(errors='replace').strip()}")
    return r


def _ls_tree(root: Path, commit: str) -> list[tuple[bytes, bytes, bytes, int, bytes]]:
    """(mode, type, object id, size, path) of every entry of the commit's tree, recursively, in git's order."""
    out = _git(root, "ls-tree", "-r", "-z", "-l", "--full-tree", commit).stdout
    entries = []
    for entry in out.split(b"\0"):
        if entry:
            info, _, path = entry.partition(b"\t")
            mode, typ, oid, size = info.split()
            entries.append((mode, typ, oid, int(size) if size.isdigit() else 0, path))
    return entries


def _last_change(root: Path, commit: str, wanted: set[bytes]) -> dict[bytes, datetime]:
    """Commit time of the newest commit (in log order) that touched each wanted path: one streamed `git log`."""
    found: dict[bytes, datetime] = {}
    if not wanted:
        return found
    args = ["git", "log", "-z", "--name-only", "--no-renames", "--diff-merges=off", "--format=%x01%ct", commit, "--"]
    with subprocess.Popen(args, cwd=root, env=git_env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as proc:
        assert proc.stdout is not None
        when, after_header, rest = None, False, b""
        while len(found) < len(wanted) and (chunk := proc.stdout.read(1 << 16)):
            *tokens, rest = (rest + chunk).split(b"\0")
            for tok in tokens:
                if tok.startswith(b"\x01"):  # a commit: "\x01<time>", then "\n" before its first path
                    when, after_header = datetime.fromtimestamp(int(tok[1:]), UTC), True
                    continue
                if after_header and tok.startswith(b"\n"):
                    tok = tok[1:]
                after_header = False
                if when is not None and tok in wanted and tok not in found:
                    found[tok] = when
        if len(found) < len(wanted) and proc.wait() != 0:
            raise SourceError(f"git log {commit} failed in {root} (exit status {proc.returncode})")
        proc.kill()  # all paths found: the rest of the history is not needed
    return found


class _CatFile:
    """One `git cat-file --batch` process: write an object id, read back its contents."""

    def __init__(self, root: Path) -> None:
        self._proc = subprocess.Popen(["git", "cat-file", "--batch"], cwd=root, env=git_env(), stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._in: IO[bytes] = self._proc.stdin
        self._out: IO[bytes] = self._proc.stdout

    def __enter__(self) -> _CatFile:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._proc.kill()
        self._proc.wait()
        self._in.close()
        self._out.close()

    def get(self, oid: bytes) -> bytes | None:
        """The object's bytes, or None if the repository does not have it."""
        self._in.write(oid + b"\n")
        self._in.flush()
        header = self._out.readline()
        if not header:
            raise SourceError(f"git cat-file ended unexpectedly while reading {oid.decode()}")
        if header.endswith(b" missing\n"):
            return None
        size = int(header.split()[2])
        data = self._out.read(size)
        self._out.read(1)  # the newline after the contents
        return data
