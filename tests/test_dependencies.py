"""Sources, package dependencies and git state, on real files, real imports and real git repos."""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import json
import logging
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import sacred
import sacred.packages as packages
import sacred.vcs as vcs
from sacred.dependencies import (
    DiscoveryModeError,
    PackageDependency,
    Source,
    collect_repositories,
    gather_sources_and_dependencies,
    get_commit_if_possible,
    get_digest,
    normalize_distribution_name,
    parse_porcelain_v2_status,
)
from sacred.settings import SETTINGS
from tests.fixtures.git_repos import git

HAVE_GIT = shutil.which("git") is not None
needs_git = pytest.mark.skipif(not HAVE_GIT, reason="needs the git executable")


@pytest.fixture(autouse=True)
def default_discovery_settings():
    saved = (SETTINGS.DISCOVER_SOURCES, SETTINGS.DISCOVER_DEPENDENCIES)
    SETTINGS.DISCOVER_SOURCES = "imported"
    SETTINGS.DISCOVER_DEPENDENCIES = "imported"
    yield
    SETTINGS.DISCOVER_SOURCES, SETTINGS.DISCOVER_DEPENDENCIES = saved


@pytest.fixture
def import_sandbox():
    """Import modules from tmp dirs; afterwards forget them and restore sys.path."""
    saved_path = list(sys.path)
    saved_modules = set(sys.modules)
    directories: list[str] = []

    def load(directory: Path, module_name: str):
        directories.append(os.path.realpath(directory))
        sys.path.insert(0, str(directory))
        importlib.invalidate_caches()
        return importlib.import_module(module_name)

    yield load
    sys.path[:] = saved_path
    # Forget only the modules loaded from the sandbox: third-party modules first
    # imported during the test (numpy...) must stay, they cannot be loaded twice.
    for name in set(sys.modules) - saved_modules:
        filename = getattr(sys.modules[name], "__file__", None) or ""
        if any(os.path.realpath(filename).startswith(d + os.sep) for d in directories):
            del sys.modules[name]
    importlib.invalidate_caches()


def write(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def relative_sources(sources, base_dir) -> list[str]:
    return sorted(s.to_json(str(base_dir))[0].replace(os.sep, "/") for s in sources)


def dependency_names(dependencies) -> set[str]:
    return {d.name for d in dependencies}


# ----------------------------------------------------------------------------- digest / Source


@given(st.binary(max_size=3 * 1024 * 1024 // 2))
def test_get_digest_is_the_md5_of_the_content(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("digest") / "f.bin"
    path.write_bytes(content)
    assert get_digest(path) == hashlib.md5(content).hexdigest()


def test_source_create_records_absolute_path_and_digest(tmp_path, monkeypatch):
    write(tmp_path / "exp.py", "x = 1\n")
    monkeypatch.chdir(tmp_path)
    source = Source.create("exp.py", save_git_info=False)
    assert source.filename == str(tmp_path / "exp.py")
    assert source.digest == hashlib.md5(b"x = 1\n").hexdigest()
    assert (source.repo, source.commit, source.is_dirty, source.isdirty) == (None,) * 4
    assert source.to_json(str(tmp_path)) == ("exp.py", source.digest)
    assert source.to_json() == (str(tmp_path / "exp.py"), source.digest)
    assert source.to_json(str(tmp_path / "sub")) == (os.path.join("..", "exp.py"), source.digest)


def test_source_create_names_a_missing_file(tmp_path):
    missing = tmp_path / "nope.py"
    with pytest.raises(ValueError, match="nope.py"):
        Source.create(missing)
    with pytest.raises(ValueError, match="existing file"):
        Source.create(tmp_path)  # a directory is not a source


def test_sources_are_equal_and_ordered_by_filename():
    a1 = Source("/x/a.py", "1", None, None, None)
    a2 = Source("/x/a.py", "2", "repo", "c", True)
    b = Source("/x/b.py", "1", None, None, None)
    assert a1 == a2 and hash(a1) == hash(a2)
    assert a1 != b and a1 < b
    assert len({a1, a2, b}) == 2
    assert repr(a1) == "<Source: /x/a.py>"


def test_package_dependency_json_equality_and_unknown_version():
    assert PackageDependency("numpy", "1.2.3").to_json() == "numpy==1.2.3"
    assert PackageDependency("foo", None).to_json() == "foo==<unknown>"
    assert PackageDependency("a", "1") == PackageDependency("a", "2")
    assert len({PackageDependency("a", "1"), PackageDependency("a", "2")}) == 1
    assert sorted([PackageDependency("b", "1"), PackageDependency("a", "1")])[0].name == "a"


def test_package_dependency_create_names_the_distribution():
    import yaml

    dependency = PackageDependency.create(yaml)
    assert dependency.to_json() == f"pyyaml=={importlib.metadata.version('PyYAML')}"
    import pytest as pytest_module

    assert PackageDependency.create(pytest_module).version == importlib.metadata.version("pytest")


def test_package_dependency_create_for_an_uninstalled_module_uses_its_version(
    tmp_path, import_sandbox
):
    write(tmp_path / "lonely_mod_with_version.py", "__version__ = '3.1.4'\n")
    module = import_sandbox(tmp_path, "lonely_mod_with_version")
    assert PackageDependency.create(module).to_json() == "lonely_mod_with_version==3.1.4"
    write(tmp_path / "lonely_mod_plain.py", "")
    module = import_sandbox(tmp_path, "lonely_mod_plain")
    assert PackageDependency.create(module).to_json() == "lonely_mod_plain==<unknown>"


@given(st.text(max_size=40))
def test_normalize_distribution_name_is_idempotent_lowercase_and_safe(name):
    normalized = normalize_distribution_name(name)
    assert normalized == normalized.lower()
    assert normalize_distribution_name(normalized) == normalized
    assert all(c.isascii() and (c.isalnum() or c in ".-") for c in normalized)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("PyYAML", "pyyaml"),
        ("typing_extensions", "typing-extensions"),
        ("zope.interface", "zope.interface"),
    ],
)
def test_normalize_distribution_name_matches_sacred_087(name, expected):
    assert normalize_distribution_name(name) == expected


# ----------------------------------------------------------------------------- distribution index


def make_site(tmp_path: Path) -> Path:
    """A site directory with three hand-made distributions of different metadata styles."""
    site = tmp_path / "site"
    # wheel style, module list only in RECORD, name needing normalisation
    write(site / "foo_mod" / "__init__.py", "")
    write(
        site / "Foo_Bar-1.2.dist-info" / "METADATA",
        "Metadata-Version: 2.1\nName: Foo_Bar\nVersion: 1.2\n\nbody\n",
    )
    write(
        site / "Foo_Bar-1.2.dist-info" / "RECORD",
        "foo_mod/__init__.py,sha256=x,0\nfoo_single.py,,\nFoo_Bar-1.2.dist-info/METADATA,,\n../../bin/tool,,\n",
    )
    write(site / "foo_single.py", "")
    # top_level.txt style
    write(site / "bazpkg" / "__init__.py", "")
    write(site / "baz-0.3.dist-info" / "METADATA", "Name: Baz\nVersion: 0.3rc1\n")
    write(site / "baz-0.3.dist-info" / "top_level.txt", "bazpkg\n")
    # egg-info style
    write(site / "qux" / "__init__.py", "")
    write(site / "Qux-9.egg-info" / "PKG-INFO", "Metadata-Version: 1.0\nName: Qux\nVersion: 9.0\n")
    write(site / "Qux-9.egg-info" / "top_level.txt", "qux\n")
    return site


def test_modules_map_to_their_distribution_from_the_metadata_folders(tmp_path, import_sandbox):
    site = make_site(tmp_path)
    found = {
        name: PackageDependency.create(import_sandbox(site, name)).to_json()
        for name in ("foo_mod", "foo_single", "bazpkg", "qux")
    }
    assert found == {
        "foo_mod": "foo-bar==1.2",
        "foo_single": "foo-bar==1.2",
        "bazpkg": "baz==0.3rc1",
        "qux": "qux==9.0",
    }


def test_pkg_mode_lists_every_installed_distribution(tmp_path, import_sandbox):
    site = make_site(tmp_path)
    import_sandbox(site, "foo_mod")
    SETTINGS.DISCOVER_DEPENDENCIES = "pkg"
    main = write(tmp_path / "proj" / "main.py")
    _, _, found = gather_sources_and_dependencies({"__file__": str(main)}, False)
    as_json = {d.to_json() for d in found}
    assert {"foo-bar==1.2", "baz==0.3rc1", "qux==9.0"} <= as_json
    assert f"pytest=={importlib.metadata.version('pytest')}" in as_json
    assert f"hypothesis=={importlib.metadata.version('hypothesis')}" in as_json


def test_discovery_does_not_use_the_slow_packages_distributions(monkeypatch, tmp_path):
    def slow():
        raise AssertionError("packages_distributions() costs ~150 ms; use the index")

    monkeypatch.setattr(importlib.metadata, "packages_distributions", slow)
    monkeypatch.setattr(packages, "_DISTRIBUTIONS", packages._DistributionIndex())
    main = write(tmp_path / "main.py")
    import yaml

    _, _, found = gather_sources_and_dependencies({"__file__": str(main), "yaml": yaml}, False)
    assert "pyyaml" in dependency_names(found)


# ----------------------------------------------------------------------------- discovery


PROJECT = {
    "main.py": """
        import json
        import helper
        from pkg import sub
        import yaml
        from jsonpickle import encode

        def late_import():
            import lazy_local
    """,
    "helper.py": "import pluggy\nimport pkg.deep\n",
    "pkg/__init__.py": "",
    "pkg/sub.py": "VALUE = 1\n",
    "pkg/deep.py": "",
    "lazy_local.py": "",
    "unused.py": "",
    "data/other.py": "",
    "data/notes.txt": "not python",
    ".venv/pyvenv.cfg": "home = /usr\n",
    ".venv/lib/site-packages/vendored.py": "",
    "node_modules/n.py": "",
    "env/pyvenv.cfg": "",
    "env/lib/x.py": "",
    "__pycache__/stale.py": "",
}


@pytest.fixture
def project(tmp_path, import_sandbox):
    """The PROJECT tree imported as a real module: returns (base_dir, main module)."""
    base = tmp_path / "proj"
    for name, text in PROJECT.items():
        write(base / name, text)
    main = import_sandbox(base, "main")
    import_sandbox(base, "lazy_local")  # imported, but not referenced from main's globals
    return base, main


IMPORTED_SOURCES = ["helper.py", "main.py", "pkg/__init__.py", "pkg/deep.py", "pkg/sub.py"]


def test_imported_sources_follow_local_imports_transitively(project):
    base, main = project
    main_source, sources, _ = gather_sources_and_dependencies(vars(main), False)
    assert main_source == Source.create(base / "main.py", save_git_info=False)
    assert main_source in sources
    assert relative_sources(sources, base) == IMPORTED_SOURCES


def test_imported_dependencies_are_third_party_packages_of_the_local_code(project):
    _, main = project
    _, _, found = gather_sources_and_dependencies(vars(main), False)
    as_json = {d.to_json() for d in found}
    assert as_json == {
        f"pyyaml=={importlib.metadata.version('PyYAML')}",
        f"jsonpickle=={importlib.metadata.version('jsonpickle')}",
        f"pluggy=={importlib.metadata.version('pluggy')}",  # through helper.py
        f"numpy=={importlib.metadata.version('numpy')}",  # always, when installed
        f"sacred=={sacred.__version__}",  # always
    }


def test_sys_sources_are_all_local_modules_loaded(project):
    base, main = project
    SETTINGS.DISCOVER_SOURCES = "sys"
    _, sources, _ = gather_sources_and_dependencies(vars(main), False)
    assert relative_sources(sources, base) == sorted([*IMPORTED_SOURCES, "lazy_local.py"])


def test_dir_sources_are_all_python_files_outside_hidden_cache_and_virtualenv_dirs(project):
    base, main = project
    SETTINGS.DISCOVER_SOURCES = "dir"
    _, sources, _ = gather_sources_and_dependencies(vars(main), False)
    assert relative_sources(sources, base) == sorted(
        [*IMPORTED_SOURCES, "lazy_local.py", "unused.py", "data/other.py"]
    )


def test_none_sources_is_only_the_main_file(project):
    base, main = project
    SETTINGS.DISCOVER_SOURCES = "none"
    _, sources, found = gather_sources_and_dependencies(vars(main), False)
    assert relative_sources(sources, base) == ["main.py"]
    assert "pluggy" not in dependency_names(found)  # helper.py's imports are not looked at


def test_none_dependencies_still_has_numpy_and_sacred(project):
    _, main = project
    SETTINGS.DISCOVER_DEPENDENCIES = "none"
    _, _, found = gather_sources_and_dependencies(vars(main), False)
    assert dependency_names(found) == {"numpy", "sacred"}


def test_sys_dependencies_cover_every_loaded_third_party_package(project):
    _, main = project
    SETTINGS.DISCOVER_DEPENDENCIES = "sys"
    _, _, found = gather_sources_and_dependencies(vars(main), False)
    names = dependency_names(found)
    assert {"pyyaml", "jsonpickle", "pluggy", "pytest", "hypothesis", "sacred", "numpy"} <= names
    assert not names & {"json", "os", "sys", "main", "helper", "pkg", "lazy_local"}


@pytest.mark.parametrize("setting", ["DISCOVER_SOURCES", "DISCOVER_DEPENDENCIES"])
def test_unknown_discovery_mode_is_named_with_the_accepted_ones(project, setting):
    _, main = project
    SETTINGS[setting] = "everything"
    with pytest.raises(DiscoveryModeError) as caught:
        gather_sources_and_dependencies(vars(main), False)
    message = str(caught.value)
    assert setting in message and "'everything'" in message and "'imported'" in message
    assert isinstance(caught.value, KeyError)  # sacred 0.8.7 raised a KeyError


def test_base_dir_can_be_a_parent_directory(tmp_path, import_sandbox):
    write(tmp_path / "top" / "experiments" / "__init__.py")
    write(tmp_path / "top" / "experiments" / "helper.py", "def f(): pass\n")
    write(tmp_path / "top" / "experiments" / "exp.py", "from experiments.helper import f\n")
    exp = import_sandbox(tmp_path / "top", "experiments.exp")
    _, sources, _ = gather_sources_and_dependencies(vars(exp), False, base_dir=tmp_path / "top")
    assert relative_sources(sources, tmp_path / "top") == [
        "experiments/__init__.py",
        "experiments/exp.py",
        "experiments/helper.py",
    ]
    # default base_dir is the main file's directory: the package is matched by the name's tail
    _, sources, _ = gather_sources_and_dependencies(vars(exp), False)
    assert relative_sources(sources, tmp_path / "top" / "experiments") == [
        "__init__.py",
        "exp.py",
        "helper.py",
    ]


def test_packages_installed_inside_base_dir_are_dependencies_not_sources(tmp_path, import_sandbox):
    base = tmp_path / "proj"
    site = base / "venv" / "lib" / "site-packages"
    write(site / "inner_pkg" / "__init__.py", "__version__ = '0.0.7'\n")
    write(base / "main.py", "import inner_pkg\n")
    import_sandbox(site, "inner_pkg")
    main = import_sandbox(base, "main")
    _, sources, found = gather_sources_and_dependencies(vars(main), False)
    assert relative_sources(sources, base) == ["main.py"]
    assert PackageDependency("inner_pkg", "0.0.7") in found
    assert next(d for d in found if d.name == "inner_pkg").version == "0.0.7"


def test_without_file_there_is_no_main_and_base_dir_is_the_cwd(
    tmp_path, import_sandbox, monkeypatch
):
    write(tmp_path / "cwd_helper.py", "")
    helper = import_sandbox(tmp_path, "cwd_helper")
    monkeypatch.chdir(tmp_path)
    main, sources, _ = gather_sources_and_dependencies({"h": helper, "__name__": "__main__"}, False)
    assert main is None
    assert relative_sources(sources, tmp_path) == ["cwd_helper.py"]


def test_a_compiled_main_file_is_recorded_as_its_source(tmp_path):
    source = write(tmp_path / "main.py", "x = 1\n")
    main, _, _ = gather_sources_and_dependencies({"__file__": str(tmp_path / "main.pyc")}, False)
    assert main.filename == str(source)


def test_a_missing_main_file_is_named(tmp_path):
    with pytest.raises(ValueError, match="ghost.py"):
        gather_sources_and_dependencies({"__file__": str(tmp_path / "ghost.py")}, False)


def test_objects_whose_attributes_raise_do_not_break_discovery(tmp_path):
    class Hostile:
        def __getattribute__(self, name):
            raise RuntimeError("do not touch")

    main = write(tmp_path / "main.py")
    _, sources, _ = gather_sources_and_dependencies({"__file__": str(main), "h": Hostile()}, False)
    assert len(sources) == 1


# ----------------------------------------------------------------------------- git


@pytest.fixture
def repo(tmp_path):
    """A git repository with one commit holding exp.py and sub/tool.py."""
    root = tmp_path / "repo"
    write(root / "exp.py", "x = 1\n")
    write(root / "sub" / "tool.py", "y = 2\n")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "first")
    return root


def head(root: Path) -> str:
    return git(root, "rev-parse", "HEAD")


@needs_git
def test_clean_repository_without_origin(repo):
    assert get_commit_if_possible(repo / "exp.py", True) == ("git:/" + str(repo), head(repo), False)
    assert get_commit_if_possible(repo / "sub" / "tool.py", True)[1:] == (head(repo), False)


@needs_git
def test_untracked_files_do_not_make_a_repository_dirty(repo):
    write(repo / "new_untracked.py", "z = 3\n")
    assert get_commit_if_possible(repo / "exp.py", True)[2] is False


@needs_git
def test_modified_tracked_file_makes_it_dirty(repo):
    write(repo / "sub" / "tool.py", "y = 3\n")
    assert get_commit_if_possible(repo / "exp.py", True) == ("git:/" + str(repo), head(repo), True)


@needs_git
def test_staged_change_makes_it_dirty(repo):
    write(repo / "exp.py", "x = 2\n")
    git(repo, "add", "exp.py")
    assert get_commit_if_possible(repo / "exp.py", True)[2] is True
    git(repo, "commit", "-q", "-m", "second")
    assert get_commit_if_possible(repo / "exp.py", True)[1:] == (head(repo), False)


@needs_git
def test_url_comes_from_origin_with_the_password_masked(repo):
    git(repo, "remote", "add", "origin", "https://alice:s3cret@git.example.invalid/lab/exp.git")
    url, _, _ = get_commit_if_possible(repo / "exp.py", True)
    assert url == "https://alice:***@git.example.invalid/lab/exp.git"
    git(repo, "remote", "set-url", "origin", "git@github.com:IDSIA/sacred.git")
    assert get_commit_if_possible(repo / "exp.py", True)[0] == "git@github.com:IDSIA/sacred.git"


@needs_git
@pytest.mark.parametrize(("remote", "stored"), [
    ("https://ghp_TOKEN123@github.com/o/r.git", "https://***@github.com/o/r.git"),
    ("https://oauth2:glpat-TOKEN123@gitlab.example/o/r.git", "https://oauth2:***@gitlab.example/o/r.git"),
    ("https://u:pa/ssTOKEN123@git.example/o/r.git", "https://u:***@git.example/o/r.git"),
    ("https://git.example/o/r.git?access_token=TOKEN123", "https://git.example/o/r.git?access_token=***"),
])
def test_a_token_in_the_remote_url_is_never_recorded(repo, remote, stored):
    git(repo, "remote", "add", "origin", remote)
    url, _, _ = get_commit_if_possible(repo / "exp.py", True)
    assert url == stored and "TOKEN123" not in url


@needs_git
def test_detached_head_reports_the_checked_out_commit(repo):
    first = head(repo)
    write(repo / "exp.py", "x = 5\n")
    git(repo, "commit", "-q", "-am", "second")
    git(repo, "checkout", "-q", first)
    assert get_commit_if_possible(repo / "exp.py", True)[1:] == (first, False)


@needs_git
def test_repository_without_commits_has_no_commit(tmp_path):
    root = tmp_path / "fresh"
    write(root / "exp.py")
    git(root, "init", "-q")
    url, commit, dirty = get_commit_if_possible(root / "exp.py", True)
    assert (url, commit, dirty) == ("git:/" + str(root), None, False)
    git(root, "add", "exp.py")
    assert get_commit_if_possible(root / "exp.py", True)[1:] == (None, True)


def test_not_a_repository(tmp_path):
    assert not any((p / ".git").exists() for p in [tmp_path, *tmp_path.parents])
    write(tmp_path / "lonely.py")
    assert get_commit_if_possible(tmp_path / "lonely.py", True) == (None, None, None)


def test_save_git_info_false_does_no_git_work(repo, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("git must not run when save_git_info is False")

    monkeypatch.setattr(vcs, "_start_git", forbidden)
    monkeypatch.setattr(vcs, "_find_repository_root", forbidden)
    assert get_commit_if_possible(repo / "exp.py", False) == (None, None, None)
    assert Source.create(repo / "exp.py", save_git_info=False).repo is None
    _, sources, _ = gather_sources_and_dependencies({"__file__": str(repo / "exp.py")}, False)
    assert [s.commit for s in sources] == [None]


@needs_git
def test_discovery_asks_git_once_per_repository_and_fills_every_source(
    repo, import_sandbox, monkeypatch
):
    write(repo / "sub" / "__init__.py")
    write(repo / "exp.py", "import sub.tool\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "package")
    exp = import_sandbox(repo, "exp")
    calls = []
    real_start_git = vcs._start_git
    monkeypatch.setattr(vcs, "_start_git", lambda *a: calls.append(a[1]) or real_start_git(*a))
    _, sources, _ = gather_sources_and_dependencies(vars(exp), True)
    assert relative_sources(sources, repo) == ["exp.py", "sub/__init__.py", "sub/tool.py"]
    assert {(s.repo, s.commit, s.is_dirty) for s in sources} == {
        ("git:/" + str(repo), head(repo), False)
    }
    assert calls == ["status", "config"]
    assert collect_repositories(sources) == [
        {"url": "git:/" + str(repo), "commit": head(repo), "dirty": False}
    ]


def test_collect_repositories_deduplicates_and_skips_sources_outside_git():
    sources = {
        Source("/a/x.py", "1", "u1", "c1", False),
        Source("/a/y.py", "1", "u1", "c1", False),
        Source("/b/z.py", "1", "u2", "c2", True),
        Source("/c/w.py", "1", None, None, None),
    }
    assert collect_repositories(sources) == [
        {"url": "u1", "commit": "c1", "dirty": False},
        {"url": "u2", "commit": "c2", "dirty": True},
    ]


def test_missing_git_executable_gives_no_repository_info_and_one_warning(repo, monkeypatch, caplog):
    monkeypatch.delenv("GIT_PYTHON_GIT_EXECUTABLE", raising=False)
    monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)
    monkeypatch.setattr(vcs, "_warned_no_git", False)
    with caplog.at_level(logging.WARNING, logger="sacred.vcs"):
        assert get_commit_if_possible(repo / "exp.py", True) == (None, None, None)
        assert get_commit_if_possible(repo / "exp.py", True) == (None, None, None)
    assert sum("git executable" in r.getMessage() for r in caplog.records) == 1


@needs_git
def test_broken_git_directory_is_reported_not_raised(tmp_path, caplog):
    root = tmp_path / "broken"
    write(root / ".git" / "garbage", "")
    write(root / "exp.py")
    with caplog.at_level(logging.WARNING, logger="sacred.vcs"):
        assert get_commit_if_possible(root / "exp.py", True) == (None, None, None)
    assert str(root) in caplog.text


OID = st.text(alphabet="0123456789abcdef", min_size=40, max_size=40)


@given(
    OID,
    st.lists(
        st.sampled_from(["1 .M N... 100644 100644 100644 a b f.py", "2 R. N... x", "u UU x"]),
        max_size=3,
    ),
)
def test_parse_porcelain_v2_status(oid, changes):
    text = "\n".join([f"# branch.oid {oid}", "# branch.head main", *changes, ""])
    assert parse_porcelain_v2_status(text) == (oid, bool(changes))


def test_parse_porcelain_v2_status_before_the_first_commit():
    assert parse_porcelain_v2_status("# branch.oid (initial)\n# branch.head main\n") == (
        None,
        False,
    )


# ----------------------------------------------------------------------------- imports, end to end


def test_importing_dependencies_does_not_import_git_or_subprocess():
    script = "import sys, json, sacred.dependencies; print(json.dumps([m in sys.modules for m in ('git', 'subprocess', 'cpuinfo')]))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == [False, False, False]


@needs_git
def test_experiment_info_through_experiment(repo, import_sandbox):
    write(
        repo / "exp.py",
        """
        import yaml
        from sacred import Experiment
        import sub.tool

        ex = Experiment("e2e")

        @ex.main
        def main():
            return 1
        """,
    )
    write(repo / "sub" / "__init__.py")
    exp = import_sandbox(repo, "exp")
    info = exp.ex.get_experiment_info()
    assert info["base_dir"] == str(repo)
    assert info["mainfile"] == "exp.py"
    assert [path for path, _ in info["sources"]] == ["exp.py", "sub/__init__.py", "sub/tool.py"]
    assert f"pyyaml=={importlib.metadata.version('PyYAML')}" in info["dependencies"]
    assert f"sacred=={sacred.__version__}" in info["dependencies"]
    assert info["repositories"] == [
        {"url": "git:/" + str(repo), "commit": head(repo), "dirty": True}
    ]


# --- helpers Sacred 0.8.7 exposes here ---------------------------------------------------


@pytest.mark.parametrize(
    "version, ok",
    [("1.0", True), ("1.2.3a1", True), ("v1.0", False), ("1.0.post1.dev2", True), ("1!2.0", True), ("abc", False)],
)
def test_pep440_version_pattern(version, ok):
    from sacred.dependencies import PEP440_VERSION_PATTERN

    assert bool(PEP440_VERSION_PATTERN.match(version)) is ok


def test_get_py_file_if_possible_and_is_local_source(tmp_path):
    from sacred.dependencies import get_py_file_if_possible, is_local_source

    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.py").write_text("y = 2\n")
    assert get_py_file_if_possible(str(tmp_path / "a.pyc")) == str(tmp_path / "a.py")
    assert get_py_file_if_possible(str(tmp_path / "x.so")) == str(tmp_path / "x.so")
    assert get_py_file_if_possible(str(tmp_path / "zz.pyc")) == str(tmp_path / "zz.pyc")
    assert is_local_source(str(tmp_path / "a.py"), "a", str(tmp_path))
    assert is_local_source(str(tmp_path / "sub" / "b.py"), "sub.b", str(tmp_path))
    assert not is_local_source(str(tmp_path / "sub" / "b.py"), "b", str(tmp_path))
    assert not is_local_source("/usr/lib/x.py", "x", str(tmp_path))


def test_fill_missing_version_as_087():
    import numpy

    dep = PackageDependency("numpy", None)
    dep.fill_missing_version()
    assert dep.to_json() == f"numpy=={numpy.__version__}"
    fixed = PackageDependency("numpy", "1.0")
    fixed.fill_missing_version()
    assert fixed.to_json() == "numpy==1.0"
    unknown = PackageDependency("sacred_no_such_package", None)
    unknown.fill_missing_version()
    assert unknown.to_json() == "sacred_no_such_package==<unknown>"
def test_get_digest_is_the_md5_of_the_file_content(tmp_path):
    import hashlib

    from sacred.dependencies import get_digest

    path = tmp_path / "data.bin"
    content = bytes(range(256)) * 5000  # more than one read block
    path.write_bytes(content)
    assert get_digest(path) == hashlib.md5(content).hexdigest()
    (tmp_path / "empty").write_bytes(b"")
    assert get_digest(tmp_path / "empty") == hashlib.md5(b"").hexdigest()
