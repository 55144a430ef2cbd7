"""Source readers on real files: jsonl, parquet, archive, git. Happy paths on standard-library code, then bad input."""

from __future__ import annotations

import gzip
import io
import json
import os
import pathlib
import subprocess
import tarfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from codemill.io.archive import ArchiveReader
from codemill.io.git import GitReader
from codemill.io.jsonl import JsonlReader
from codemill.io.parquet import ParquetReader
from codemill.params import ParamError, build
from codemill.record import make_id

STDLIB = sorted(pathlib.Path(json.__file__).parent.glob("*.py"))
SOURCES = {f"json/{p.name}": p.read_bytes() for p in STDLIB}


def read(cls: type, params: dict[str, Any], base: Path) -> list[dict[str, Any]]:
    r = build(cls, params, "inputs[0]")
    r.bind(base)
    return list(r.read())


def good(recs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in recs if "_reject" not in r]


def reasons(recs: list[dict[str, Any]]) -> list[str]:
    return [r["_reject"][0] for r in recs if "_reject" in r]


def check_ids(cls: type, params: dict[str, Any], base: Path) -> list[dict[str, Any]]:
    """Read twice with fresh readers: same ids in the same order, all unique."""
    first, second = read(cls, params, base), read(cls, params, base)
    ids = [r["id"] for r in first]
    assert ids == [r["id"] for r in second]
    assert len(set(ids)) == len(ids)
    return first


# -- jsonl ------------------------------------------------------------------------------------

def _rows() -> list[dict[str, Any]]:
    return [{"content": src.decode(), "filename": name, "stars": i, "doc": f"doc-{i}"}
            for i, (name, src) in enumerate(SOURCES.items())]


def _jsonl(rows: list[Any]) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in rows)


def test_jsonl_plain_gz_zst_folder(tmp_path: Path) -> None:
    d = tmp_path / "data"
    (d / "sub").mkdir(parents=True)
    body = _jsonl(_rows())
    (d / "a.jsonl").write_bytes(body)
    (d / "sub" / "b.jsonl.gz").write_bytes(gzip.compress(body))
    (d / "c.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(body))
    (d / "d.jsonl").write_bytes(gzip.compress(body))  # compressed but named plain: magic bytes decide
    (d / "notes.txt").write_text("not read")
    params = {"path": "data", "fields": {"text": "content", "path": "filename"}}
    recs = check_ids(JsonlReader, params, tmp_path)
    assert not reasons(recs)
    n = len(SOURCES)
    assert len(recs) == 4 * n
    assert [r["text"] for r in recs] == [s.decode() for s in SOURCES.values()] * 4
    assert [r["path"] for r in recs[:n]] == list(SOURCES)
    assert recs[0]["id"] == make_id("data", "a.jsonl:1")
    assert recs[n]["id"] == make_id("data", "c.jsonl.zst:1")  # sorted by relative path
    assert recs[3 * n]["id"] == make_id("data", "sub/b.jsonl.gz:1")
    r = recs[1]
    assert r["lang"] == "python" and r["raw"] is None and r["source"] == "data"
    assert json.loads(r["meta"]) == {"doc": "doc-1", "stars": 1}


def test_jsonl_id_field_glob_and_created_at(tmp_path: Path) -> None:
    rows = [{"text": "x = 1\n", "doc": 7, "created_at": "2021-05-01T10:00:00+02:00", "source": "the-stack"},
            {"text": "y = 2\n", "doc": "b", "created_at": 1600000000}]
    (tmp_path / "one.jsonl").write_bytes(_jsonl(rows))
    recs = read(JsonlReader, {"path": "*.jsonl", "name": "src", "fields": {"id": "doc"}}, tmp_path)
    assert [r["id"] for r in recs] == [make_id("src", "7"), make_id("src", "b")]
    assert recs[0]["created_at"] == datetime(2021, 5, 1, 8, tzinfo=UTC)
    assert recs[1]["created_at"] == datetime.fromtimestamp(1600000000, UTC)
    assert recs[0]["source"] == "src" and json.loads(recs[0]["meta"]) == {"source": "the-stack"}


def test_jsonl_bad_lines_do_not_stop_the_file(tmp_path: Path) -> None:
    lines = [b'{"text": "a"}', b'{"text": "b", ', b'{"text": "c"}', b"[1, 2]", b'{"text": 5}', b'{"other": 1}',
             b"", b'{"text": "d"}']
    (tmp_path / "x.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    recs = read(JsonlReader, {"path": "x.jsonl"}, tmp_path)
    assert [r["text"] for r in good(recs)] == ["a", "c", "d"]
    assert reasons(recs) == ["malformed json", "not an object", "text not a string", "missing text field"]
    bad = recs[1]
    assert bad["raw"] == b'{"text": "b", \n' and "x.jsonl line 2" in bad["_reject"][1]
    assert bad["id"] == make_id("x.jsonl", "x.jsonl:2")
    assert recs[3]["_reject"][1].startswith("x.jsonl line 4")


def test_jsonl_long_line_rejected(tmp_path: Path) -> None:
    (tmp_path / "x.jsonl").write_bytes(_jsonl([{"text": "a" * 5000}, {"text": "ok"}]))
    recs = read(JsonlReader, {"path": "x.jsonl", "max_line_bytes": 1000}, tmp_path)
    assert reasons(recs) == ["line too large"] and [r["text"] for r in good(recs)] == ["ok"]


@pytest.mark.parametrize("ext", ["gz", "zst"])
def test_jsonl_truncated_compressed_keeps_what_was_read(tmp_path: Path, ext: str) -> None:
    body = _jsonl([{"text": f"line {i} " + "x" * (i % 97)} for i in range(20000)])
    packed = gzip.compress(body) if ext == "gz" else zstandard.ZstdCompressor().compress(body)
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / f"a.jsonl.{ext}").write_bytes(packed[: len(packed) // 2])
    (tmp_path / "d" / "b.jsonl").write_bytes(_jsonl([{"text": "after"}]))
    recs = read(JsonlReader, {"path": "d"}, tmp_path)
    kept = good(recs)
    assert 0 < len(kept) - 1 < 20000 and kept[-1]["text"] == "after"
    assert [r["text"] for r in kept[:-1]] == [f"line {i} " + "x" * (i % 97) for i in range(len(kept) - 1)]
    assert reasons(recs) == ["truncated compressed file"]
    detail = recs[len(kept) - 1]["_reject"][1]
    assert f"a.jsonl.{ext}" in detail and f"line {len(kept)}" in detail


def test_jsonl_bad_fields_param() -> None:
    with pytest.raises(ParamError, match="fields.txt"):
        build(JsonlReader, {"path": "x", "fields": {"txt": "content"}}, "inputs[0]")


# -- parquet ----------------------------------------------------------------------------------

def _table() -> pa.Table:
    return pa.Table.from_pylist(_rows())


def test_parquet_batches_fields_meta(tmp_path: Path) -> None:
    (tmp_path / "pq").mkdir()
    pq.write_table(_table(), tmp_path / "pq" / "a.parquet", row_group_size=2)
    other = pa.Table.from_pylist([{**r, "doc": "b-" + r["doc"]} for r in _rows()])  # source ids must be unique
    pq.write_table(other, tmp_path / "pq" / "b.parquet")
    params = {"path": "pq", "fields": {"text": "content", "path": "filename", "id": "doc"}, "batch_rows": 2}
    recs = check_ids(ParquetReader, params, tmp_path)
    n = len(SOURCES)
    assert len(recs) == 2 * n and not reasons(recs)
    assert [r["text"] for r in recs[:n]] == [s.decode() for s in SOURCES.values()]
    assert recs[0]["id"] == make_id("pq", "doc-0") and recs[0]["path"] == "json/__init__.py"
    assert recs[0]["lang"] == "python" and json.loads(recs[0]["meta"]) == {"stars": 0}
    # without an id field the key is file:row
    recs = read(ParquetReader, {"path": "pq/*.parquet"}, tmp_path)
    assert reasons(recs) == ["missing text field"] * (2 * n)
    recs = read(ParquetReader, {"path": "pq/*.parquet", "fields": {"text": "content"}}, tmp_path)
    assert recs[n + 1]["id"] == make_id("pq/*.parquet", "b.parquet:1")


def test_parquet_binary_text(tmp_path: Path) -> None:
    t = pa.table({"text": pa.array([b"ok = 1\n", b"\xff\xfe bad", None], pa.binary()), "path": ["a.py", "b.c", "c"]})
    pq.write_table(t, tmp_path / "t.parquet")
    recs = read(ParquetReader, {"path": "t.parquet"}, tmp_path)
    assert recs[0]["text"] == "ok = 1\n" and recs[0]["raw"] is None and recs[0]["lang"] == "python"
    assert recs[1]["text"] is None and recs[1]["raw"] == b"\xff\xfe bad" and recs[1]["lang"] == "c"
    assert reasons(recs) == ["missing text field"]


def test_parquet_corrupt_file_is_one_reject(tmp_path: Path) -> None:
    (tmp_path / "pq").mkdir()
    pq.write_table(_table(), tmp_path / "pq" / "a.parquet")
    whole = (tmp_path / "pq" / "a.parquet").read_bytes()
    (tmp_path / "pq" / "b.parquet").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "pq" / "c.parquet").write_bytes(b"PAR1 this is not parquet")
    pq.write_table(_table(), tmp_path / "pq" / "d.parquet")
    recs = read(ParquetReader, {"path": "pq", "fields": {"text": "content"}}, tmp_path)
    n = len(SOURCES)
    assert len(good(recs)) == 2 * n
    assert reasons(recs) == ["unreadable parquet", "unreadable parquet"]
    assert "b.parquet" in recs[n]["_reject"][1] and "c.parquet" in recs[n + 1]["_reject"][1]


# -- archive ----------------------------------------------------------------------------------

MTIME = 1_500_000_000


def _tar_bytes(members: list[tarfile.TarInfo | tuple[str, bytes]], mode: str = "w") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tf:
        for m in members:
            if isinstance(m, tarfile.TarInfo):
                tf.addfile(m)
            else:
                info = tarfile.TarInfo(m[0])
                info.size, info.mtime = len(m[1]), MTIME
                tf.addfile(info, io.BytesIO(m[1]))
    return buf.getvalue()


def _zip_bytes(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(zipfile.ZipInfo(name, (2020, 1, 2, 3, 4, 6)), data)
    return buf.getvalue()


def test_archive_all_formats(tmp_path: Path) -> None:
    d = tmp_path / "arc"
    d.mkdir()
    members = list(SOURCES.items())
    for mode, name in [("w", "a.tar"), ("w:gz", "b.tar.gz"), ("w:bz2", "c.tar.bz2"), ("w:xz", "d.tar.xz")]:
        (d / name).write_bytes(_tar_bytes(members, mode))  # type: ignore[arg-type]
    (d / "e.tar.zst").write_bytes(zstandard.ZstdCompressor().compress(_tar_bytes(members)))  # type: ignore[arg-type]
    (d / "f.zip").write_bytes(_zip_bytes(members))
    recs = check_ids(ArchiveReader, {"path": "arc"}, tmp_path)
    assert not reasons(recs) and len(recs) == 6 * len(SOURCES)
    assert [(r["path"], r["raw"]) for r in recs] == members * 6
    assert recs[0]["id"] == make_id("arc", "a.tar::json/__init__.py") and recs[0]["lang"] == "python"
    assert recs[0]["created_at"] == datetime.fromtimestamp(MTIME, UTC)
    assert recs[-1]["created_at"] == datetime(2020, 1, 2, 3, 4, 6, tzinfo=UTC)
    only = read(ArchiveReader, {"path": "arc/f.zip", "include": ["*.py"], "exclude": ["tool.py"]}, tmp_path)
    assert "json/tool.py" not in [r["path"] for r in only] and len(only) == len(SOURCES) - 1


def _info(name: str, kind: bytes, target: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


def test_archive_unsafe_members(tmp_path: Path) -> None:
    members: list[tarfile.TarInfo | tuple[str, bytes]] = [
        ("../evil.py", b"x"), ("/abs.py", b"x"), ("ok/../../up.py", b"x"), ("./fine.py", b"fine\n"),
        _info("link.py", tarfile.SYMTYPE, "/etc/passwd"), _info("hard.py", tarfile.LNKTYPE, "fine.py"),
        _info("pipe", tarfile.FIFOTYPE), _info("somedir", tarfile.DIRTYPE), ("fine.py", b"again"),
    ]
    (tmp_path / "bad.tar.gz").write_bytes(_tar_bytes(members, "w:gz"))
    recs = read(ArchiveReader, {"path": "bad.tar.gz"}, tmp_path)
    assert [(r["path"], r["raw"]) for r in good(recs)] == [("fine.py", b"fine\n")]
    assert reasons(recs) == ["unsafe member path"] * 3 + ["link member", "link member", "not a regular file",
                                                           "duplicate member"]
    assert len({r["id"] for r in recs}) == len(recs)
    (tmp_path / "bad.zip").write_bytes(_zip_bytes([("C:/x.py", b"x"), ("..\\evil.py", b"x"), ("a.py", b"a")]))
    recs = read(ArchiveReader, {"path": "bad.zip"}, tmp_path)
    assert reasons(recs) == ["unsafe member path"] * 2 and good(recs)[0]["raw"] == b"a"


def test_archive_size_caps(tmp_path: Path) -> None:
    big = b"0" * 5000  # compresses to almost nothing: a small bomb
    (tmp_path / "a.zip").write_bytes(_zip_bytes([("a.py", b"a"), ("big.py", big), ("b.py", b"b" * 100),
                                                 ("c.py", b"c" * 100), ("d.py", b"d")]))
    recs = read(ArchiveReader, {"path": "a.zip", "max_member_bytes": 1000, "max_archive_bytes": 150}, tmp_path)
    assert [r["path"] for r in good(recs)] == ["a.py", "b.py"]
    assert reasons(recs) == ["member too large", "archive size cap reached", "archive size cap reached"]
    (tmp_path / "a.tar").write_bytes(_tar_bytes([("a.py", b"a"), ("big.py", big), ("b.py", b"b")]))
    recs = read(ArchiveReader, {"path": "a.tar", "max_member_bytes": 1000}, tmp_path)
    assert reasons(recs) == ["member too large"] and [r["path"] for r in good(recs)] == ["a.py", "b.py"]


def test_zip_lying_header_never_reads_past_declared_size(tmp_path: Path) -> None:
    data = _zip_bytes([("a.py", b"a" * 5000), ("b.py", b"b")])
    # declare 10 bytes for a.py in both the local header (offset 22) and the central directory (offset 24)
    lied = bytearray(data)
    local = data.index(b"PK\x03\x04")
    central = data.index(b"PK\x01\x02")
    lied[local + 22 : local + 26] = (10).to_bytes(4, "little")
    lied[central + 24 : central + 28] = (10).to_bytes(4, "little")
    (tmp_path / "lie.zip").write_bytes(bytes(lied))
    recs = read(ArchiveReader, {"path": "lie.zip", "max_member_bytes": 1000}, tmp_path)
    assert reasons(recs) == ["corrupt member"] and [r["raw"] for r in good(recs)] == [b"b"]
    assert all(len(r.get("raw") or b"") <= 1000 for r in recs)


def test_archive_truncated_then_next_archive(tmp_path: Path) -> None:
    members = [(f"f{i}.py", os.urandom(3000)) for i in range(20)]
    whole = _tar_bytes(members, "w:gz")  # type: ignore[arg-type]
    (tmp_path / "a.tgz").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "b.zip").write_bytes(_zip_bytes(members)[:200])
    (tmp_path / "c.tar").write_bytes(_tar_bytes(members[:2]))  # type: ignore[arg-type]
    recs = read(ArchiveReader, {"path": "*"}, tmp_path)
    kept = good(recs)
    assert reasons(recs) == ["corrupt archive", "corrupt archive"]
    assert 0 < len(kept) - 2 < 20 and [r["path"] for r in kept[-2:]] == ["f0.py", "f1.py"]
    assert [r["raw"] for r in kept[:-2]] == [m[1] for m in members[: len(kept) - 2]]
    assert "a.tgz" in recs[len(kept) - 2]["_reject"][1]


# -- git --------------------------------------------------------------------------------------

T1, T2 = 1_600_000_000, 1_700_000_000


def _git(repo: Path, *args: str, when: int = T1) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_AUTHOR_DATE": f"@{when} +0000",
           "GIT_COMMITTER_DATE": f"@{when} +0000"}
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    r = tmp_path / "proj"
    r.mkdir()
    _git(r, "init", "-q", "-b", "main")
    (r / "pkg").mkdir()
    for name, src in SOURCES.items():
        (r / "pkg" / Path(name).name).write_bytes(src)
    (r / "old.py").write_text("v = 1\n")
    _git(r, "add", ".")
    _git(r, "commit", "-q", "-m", "one", when=T1)
    (r / "old.py").write_text("v = 2\n")
    (r / "new.sh").write_text("#!/bin/sh\necho hi\n")
    (r / "link.py").symlink_to("old.py")
    _git(r, "add", ".")
    _git(r, "commit", "-q", "-m", "two", when=T2)
    _git(r, "tag", "v1", "HEAD~1")
    return r


def test_git_head(repo: Path, tmp_path: Path) -> None:
    recs = check_ids(GitReader, {"path": "proj"}, tmp_path)
    commit = _git(repo, "rev-parse", "HEAD").strip()
    by_path = {r["path"]: r for r in good(recs)}
    assert reasons(recs) == ["symlink"] and "old.py" in recs[0]["_reject"][1]
    assert set(by_path) == {"new.sh", "old.py", *(f"pkg/{Path(n).name}" for n in SOURCES)}
    assert by_path["old.py"]["raw"] == b"v = 2\n" and by_path["old.py"]["id"] == make_id("proj", f"{commit}:old.py")
    assert by_path["old.py"]["created_at"] == datetime.fromtimestamp(T2, UTC)
    assert by_path["new.sh"]["created_at"] == datetime.fromtimestamp(T2, UTC) and by_path["new.sh"]["lang"] == "shell"
    assert by_path["pkg/decoder.py"]["created_at"] == datetime.fromtimestamp(T1, UTC)
    assert by_path["pkg/decoder.py"]["raw"] == SOURCES["json/decoder.py"]
    assert {r["repo"] for r in recs} == {"proj"} and {r["commit"] for r in recs} == {commit}


def test_git_older_rev_bare_and_filters(repo: Path, tmp_path: Path) -> None:
    recs = read(GitReader, {"path": "proj", "rev": "v1", "include": ["*.py"], "exclude": ["pkg/tool.py"]}, tmp_path)
    by_path = {r["path"]: r for r in recs}
    assert not reasons(recs) and "new.sh" not in by_path and "pkg/tool.py" not in by_path
    assert by_path["old.py"]["raw"] == b"v = 1\n" and by_path["old.py"]["created_at"] == datetime.fromtimestamp(T1, UTC)
    head = read(GitReader, {"path": "proj"}, tmp_path)
    assert not {r["id"] for r in recs} & {r["id"] for r in head}  # another revision, other ids
    _git(tmp_path, "clone", "-q", "--bare", "proj", "mirror.git")
    bare = read(GitReader, {"path": "mirror.git", "name": "proj", "repo_name": "proj"}, tmp_path)
    assert [(r["id"], r.get("raw"), r["created_at"]) for r in bare] == [
        (r["id"], r.get("raw"), r["created_at"]) for r in head]
    assert read(GitReader, {"path": "mirror.git"}, tmp_path)[1]["repo"] == "mirror"


def test_git_bad_inputs(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(ParamError, match=r"rev: unknown revision 'nope'.*main, v1"):
        read(GitReader, {"path": "proj", "rev": "nope"}, tmp_path)
    with pytest.raises(ParamError, match="rev"):
        read(GitReader, {"path": "proj", "rev": "--output=/tmp/x"}, tmp_path)
    (tmp_path / "plain").mkdir()
    with pytest.raises(ParamError, match="path: not a git work tree"):
        read(GitReader, {"path": "plain"}, tmp_path)
    with pytest.raises(ParamError, match="not its top"):
        read(GitReader, {"path": "proj/pkg"}, tmp_path)
