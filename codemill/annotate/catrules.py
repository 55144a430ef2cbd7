"""The tables behind the `category` op: file names, folder names, extensions and content markers.

Kept apart from the op so the rules read as data. Every content marker is guarded by a cheap
substring test (`needle`), so the regular expressions run only on the few files that may match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CATEGORIES = ("test", "library", "script", "example", "config", "build", "docs", "notebook", "generated",
              "vendored", "data")

# --- names ---------------------------------------------------------------------------------------
BUILD_NAMES = frozenset("""
makefile gnumakefile cmakelists.txt meson.build meson_options.txt sconstruct sconscript build build.bazel
workspace workspace.bazel module.bazel build.gradle build.gradle.kts settings.gradle settings.gradle.kts pom.xml
build.xml configure configure.ac configure.in makefile.am makefile.in setup.py pyproject.toml package.json
cargo.toml go.mod go.sum dockerfile containerfile gruntfile.js gulpfile.js noxfile.py fabfile.py rakefile
gemfile justfile taskfile.yml vcpkg.json conanfile.py conanfile.txt manifest.in requirements.txt
""".split())
BUILD_EXT = frozenset({"mk", "cmake", "bzl", "gemspec", "podspec", "vcxproj", "csproj", "sln", "gradle"})
BUILD_PREFIX = ("makefile.", "dockerfile.", "requirements", "cmakelists")
CONFIG_NAMES = frozenset("""
setup.cfg tox.ini pytest.ini mypy.ini .flake8 .pylintrc pylintrc .coveragerc .editorconfig .gitignore
.gitattributes .dockerignore .npmignore .prettierrc .babelrc .browserslistrc tsconfig.json jsconfig.json
.eslintrc .eslintrc.json .eslintrc.js .eslintrc.cjs .eslintrc.yml .eslintrc.yaml .prettierrc.json .stylelintrc
conf.py settings.py .pre-commit-config.yaml docker-compose.yml docker-compose.yaml .travis.yml appveyor.yml
.gitlab-ci.yml codecov.yml .readthedocs.yml .readthedocs.yaml renovate.json .nvmrc .clang-format .clang-tidy
entry_points.txt
""".split())
CONFIG_EXT = frozenset({"yaml", "yml", "toml", "ini", "cfg", "conf", "properties", "env", "plist", "desktop",
                        "service", "socket", "timer", "mount", "target", "editorconfig"})
CONFIG_SUFFIX = (".config.js", ".config.ts", ".config.mjs", ".config.cjs", "_settings.py", ".conf.js")
DOC_NAMES = ("readme", "changelog", "changes", "history", "news", "license", "licence", "copying", "authors",
             "contributing", "contributors", "code_of_conduct", "security", "notice", "install", "todo", "faq")
DOC_EXT = frozenset({"md", "markdown", "rst", "txt", "adoc", "asciidoc", "tex", "texi", "texinfo", "pod", "rdoc",
                     "1", "2", "3", "4", "5", "6", "7", "8", "9", "man", "org"})
DATA_EXT = frozenset({"csv", "tsv", "json", "jsonl", "ndjson", "dat", "data", "geojson", "arff", "tab", "npy",
                      "sql"})
NOTEBOOK_EXT = frozenset({"ipynb", "rmd", "qmd"})
GENERATED_SUFFIX = ("_pb2.py", "_pb2_grpc.py", "_pb2.pyi", ".pb.go", ".pb.cc", ".pb.h", ".min.js", ".min.css",
                    "-lock.json", ".lock", ".designer.cs", "_generated.go", ".g.dart", ".freezed.dart")
GENERATED_NAMES = frozenset({"package-lock.json", "yarn.lock", "pnpm-lock.yaml", "poetry.lock", "cargo.lock",
                             "pipfile.lock", "composer.lock", "gemfile.lock", "go.sum"})
TEST_NAME = re.compile(
    r"^(?:test_.*\.py|.*_tests?\.py|tests?\.py|conftest\.py|.*_test\.go|.*\.(?:test|spec)\.[cm]?[jt]sx?"
    r"|.*(?:Test|Tests|TestCase|IT)\.(?:java|kt|scala|cs)|.*_(?:spec|test)\.rb|test_.*\.(?:c|cc|cpp|cxx)"
    r"|.*_(?:unit)?test\.(?:c|cc|cpp|cxx|h|hpp)|.*\.t)$", re.I)
EXAMPLE_NAME = re.compile(r"^(?:examples?|demo|sample|tutorial)[_.-].*|.*[_-](?:example|demo|tutorial)\.\w+$", re.I)

# --- folders -------------------------------------------------------------------------------------
VENDOR_DIRS = frozenset({"vendor", "vendored", "_vendor", "third_party", "third-party", "thirdparty", "3rdparty",
                         "external", "externals", "extern", "node_modules", "bower_components", "deps"})
TEST_DIRS = frozenset({"test", "tests", "__tests__", "spec", "specs", "testsuite", "test-suite", "unittests",
                       "unit_tests", "e2e", "testcases", "test_data", "testdata", "tests_data"})
EXAMPLE_DIRS = frozenset({"example", "examples", "sample", "samples", "demo", "demos", "tutorial", "tutorials",
                          "cookbook", "playground", "howto", "quickstart", "getting_started", "snippets"})
DOC_DIRS = frozenset({"doc", "docs", "documentation", "man", "manual", "guide", "guides", "website"})
DATA_DIRS = frozenset({"data", "datasets", "fixtures", "resources", "testdata", "test_data", "sample_data",
                       "assets"})
BUILD_DIRS = frozenset({"build_utils", "_build_utils", "build_tools", "buildtools", "build-aux", "buildscripts"})
SCRIPT_DIRS = frozenset({"bin", "scripts", "tools", "sbin"})


# --- content -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Marker:
    """A regex tried only when one of `needles` occurs in the text (a plain substring search)."""

    name: str
    needles: tuple[str, ...]
    pattern: re.Pattern[str]
    langs: frozenset[str] | None = None  # None: any language

    def search(self, text: str, lang: str) -> bool:
        if self.langs is not None and lang not in self.langs:
            return False
        return any(n in text for n in self.needles) and self.pattern.search(text) is not None


def _m(name: str, needles: str, pattern: str, langs: str | None = None) -> Marker:
    return Marker(name, tuple(needles.split("|")), re.compile(pattern, re.M),
                  frozenset(langs.split()) if langs else None)


_PY = "python cython"
_JS = "javascript typescript"
_CF = "c cpp cuda c-header objective-c objective-cpp"
#: (framework import, test definitions): both must occur for a test file found by content alone
TEST_MARKERS = (
    (_m("pytest/unittest import", "pytest|unittest|nose|hypothesis",
        r"^\s*(?:import|from)\s+(?:pytest|unittest|nose2?|hypothesis)\b", _PY),
     _m("def test_", "def test|TestCase", r"^\s*(?:async\s+)?def\s+test\w*\s*\(|^class\s+\w+\(.*TestCase\)", _PY)),
    (_m("js test framework", "describe(|it('|it(\"|it(`|test('|test(\"",
        r"\b(?:describe|it|test)\s*\(\s*['\"`]", _JS),
     _m("expect/assert", "expect(|assert", r"\bexpect\s*\(|\bassert\w*[.(]", _JS)),
    (_m("junit/testng import", "org.junit|org.testng", r"^\s*import\s+(?:static\s+)?org\.(?:junit|testng)\b",
        "java kotlin scala"),
     _m("@Test", "@Test", r"@Test\b", "java kotlin scala")),
    (_m("C/C++ test framework", "gtest|catch|boost/test|cmocka|unity.h|doctest|check.h",
        r"#\s*include\s*[<\"](?:gtest/|gmock/|catch2?/|catch\.hpp|boost/test/|cmocka|unity\.h|doctest|check\.h)", _CF),
     _m("TEST(...)", "TEST", r"^\s*(?:TEST(?:_F|_P|_CASE)?|SCENARIO|BOOST_AUTO_TEST_CASE)\s*\(", _CF)),
    (_m("go testing import", '"testing"', r'"testing"', "go"),
     _m("func Test", "func Test|func Benchmark", r"^func\s+(?:Test|Benchmark)\w*\s*\(", "go")),
    (_m("rust #[test]", "#[test]", r"^\s*#\[test\]", "rust"),
     _m("no #[cfg(test)]", "#[test]", r"\A(?![\s\S]*#\[cfg\(test\)\])", "rust")),
)
MAIN_MARKERS = (
    _m("__main__ guard", "__main__", r"^if\s+__name__\s*==\s*['\"]__main__['\"]\s*:", _PY),
    _m("main()", "int main|void main|auto main", r"^\s*(?:int|void|auto)\s+main\s*\(", _CF),
    _m("package main", "package main", r"^package\s+main\b", "go"),
    _m("fn main", "fn main", r"^fn\s+main\s*\(", "rust"),
    _m("static void main", "static void main", r"\bpublic\s+static\s+void\s+main\s*\(", "java kotlin scala"),
    _m("require.main", "require.main", r"\brequire\.main\s*===?\s*module\b", _JS),
    _m("pub fn main", "pub fn main", r"^pub\s+fn\s+main\s*\(", "zig"),
)
CLI_MARKER = _m("command-line parsing", "argparse|optparse|getopt|sys.argv|click|typer|docopt|fire",
                r"^\s*(?:import|from)\s+(?:argparse|optparse|getopt|click|typer|docopt|fire)\b|\bsys\.argv\b", _PY)
PY_DEFS = re.compile(r"^(?:async\s+def|def|class)\s", re.M)
#: what a `__main__` block of a library module typically does: run its own tests or demo
SELF_TEST = re.compile(r"\b(?:unittest\.main|doctest\.testmod|_?test\(|htest|main\(['\"][\w.]*test)")
#: a generator's mark, searched in the file's leading comments and docstring only (`category.header`):
#: a strong phrase anywhere on a line, "Generated by/from" or "this file was generated by" at its
#: start, or "generated from/by <file name>"; prose such as "streams generated with Python 2" does not count
GENERATED_MARKER = re.compile(
    r"(?im)^[ \t]*(?:#|//|/\*|\*|--|;|%|\"+|'+|<!--)?(?:"
    r"[^\n]*?(auto-?generated\b|automatically generated\b|do not (?:edit|modify)\b|@generated\b"
    r"|code generated by\b|generated (?:by|from) ['\"]?[\w./-]+\.(?:py|pl|sh|txt|proto|in|y)\b)"
    r"|[ \t!*-]*((?-i:Generated) (?:by|from)\b"
    r"|(?:this )?(?:file|module|code) (?:is |was |has been )?(?:automatically )?generated (?:by|from|with|using)\b))")
GENERATED_NEEDLES = ("generated", "do not edit", "do not modify")
NOTEBOOK_MARKER = re.compile(r"^# (?:%%|In\[\d*\]:)", re.M)
NOTEBOOK_NEEDLES = ("# %%", "# In[")
MINIFIABLE = frozenset({"javascript", "typescript", "css", "html"})
SCRIPT_LANGS = frozenset({"shell", "powershell", "batchfile", "fish", "awk"})
