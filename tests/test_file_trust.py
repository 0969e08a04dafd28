"""sacred.file_trust: files owned by others, or links to them, are judged without following links."""

from __future__ import annotations

import os

import pytest

from sacred.file_trust import foreign_file_problem

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")
OTHER = 65534


def test_my_own_file_my_own_link_and_a_missing_file_are_fine(tmp_path):
    mine = tmp_path / "mine.ini"
    mine.write_text("")
    link = tmp_path / "link.ini"
    link.symlink_to(mine)
    assert foreign_file_problem(mine) is None
    assert foreign_file_problem(link) is None
    assert foreign_file_problem(tmp_path / "missing") is None


def test_a_dangling_link_is_a_problem(tmp_path):
    link = tmp_path / "dangling"
    link.symlink_to(tmp_path / "gone")
    assert foreign_file_problem(link) == "it is a symbolic link to a missing file"


@needs_root
def test_a_file_of_another_user_is_a_problem_unless_allowed(tmp_path, monkeypatch):
    theirs = tmp_path / "theirs.py"
    theirs.write_text("")
    os.chown(theirs, OTHER, OTHER)
    assert foreign_file_problem(theirs) == f"it is owned by uid {OTHER}, not by you (uid 0) or root"
    monkeypatch.setenv("SACRED_ALLOW_FOREIGN_FILES", "1")
    assert foreign_file_problem(theirs) is None


@needs_root
def test_the_link_is_judged_by_lstat_before_its_target(tmp_path):
    mine = tmp_path / "mine.html"
    mine.write_text("")
    link = tmp_path / "template.html"
    link.symlink_to(mine)
    os.lchown(link, OTHER, OTHER)
    assert foreign_file_problem(link) == f"the symbolic link is owned by uid {OTHER}, not by you (uid 0) or root"
    theirs = tmp_path / "theirs.html"
    theirs.write_text("")
    os.chown(theirs, OTHER, OTHER)
    my_link = tmp_path / "my_link.html"
    my_link.symlink_to(theirs)
    assert f"its target {theirs} is owned by uid {OTHER}" in foreign_file_problem(my_link)
