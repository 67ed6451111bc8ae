"""The names a marking scheme's trees refer to, found by one walk (marking/scheme.refs) for the
scheme's writer (which keeps the key's value of each) and for the keys' readers (which check
that every name a blank refers to is one of the sheet's), compared with a plain recursive
search written here, on every bundled sheet's scheme."""

from __future__ import annotations

import json

import pytest

from symbackprop.cli import main
from symbackprop.marking import scheme

from .conftest import WORKSHEETS

SHEETS = ["blog-2-2-2", "batch-of-two-2-2-2", "matrix-form-3-4-2", "convolution-4x4-3x3-maxpool",
          "adam-two-steps-2-1", "gradient-descent"]


def _named(tree) -> set[str]:
    if isinstance(tree, dict):
        return set().union(*map(_named, tree.values()))
    if isinstance(tree, list):
        if tree[:1] == ["ref"]:
            return {tree[1]}
        return set().union(*map(_named, tree))
    return set()


@pytest.fixture(scope="module")
def schemes(tmp_path_factory) -> dict[str, dict]:
    out = tmp_path_factory.mktemp("schemes")
    for stem in SHEETS:
        assert main(["build", str(WORKSHEETS / f"{stem}.yaml"), "--format", "html", "--out",
                     str(out)]) == 0, stem
    return {stem: json.loads((out / f"{stem}-key.json").read_text())["scheme"]
            for stem in SHEETS}


@pytest.mark.parametrize("stem", SHEETS)
def test_refs_finds_every_name_a_schemes_blanks_refer_to(stem, schemes):
    blanks = schemes[stem]["blanks"]
    found = set(scheme.refs(blanks))
    assert found == _named(blanks)
    if stem != "gradient-descent":  # a lesson is marked by value alone: no trees
        assert found
        # each of them a blank's name or a value the scheme keeps
        assert found <= {b["name"] for b in blanks} | set(schemes[stem]["values"])
    for blank in blanks:  # a blank's own trees, walked alone, as the readers walk them
        assert set(scheme.refs(blank)) == _named(blank)


def test_refs_of_a_tree_are_in_it_whatever_its_shape():
    tree = ["add", ["ref", "a"], ["mul", 0.5, ["ref", "b"]], [["ref", "c"]], {"x": ["ref", "d"]}]
    assert sorted(scheme.refs(tree)) == ["a", "b", "c", "d"]
    assert scheme.refs(["ref", "a"]) == ["a"]
    assert scheme.refs(["sub", 1, 2]) == [] and scheme.refs(3.5) == []
