"""The package's layout is the pipeline: one folder a stage, each importing only from the stages
before it, and no circle of imports anywhere (measured from the code's own imports, every one,
inside functions too)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "symbackprop"
STAGES = ["definitions", "engine", "marking", "sheets", "formats", "files", "cli", "api"]
DOORS = {"cli", "api"}  # the two doors: neither goes through the other


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Module -> the package's modules it imports (a name from a package counts as the package,
    a submodule named in `from package import name` as that submodule)."""
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = package.split(".")
                base = base[:len(base) - node.level + 1] if node.level else []
                target = ".".join(base + ([node.module] if node.module else [])) if \
                    node.level else node.module or ""
                for alias in node.names:
                    full = f"{target}.{alias.name}"
                    found.add(full if full in modules else target)
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def _stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in STAGES else None


def test_every_module_sits_in_a_stage():
    loose = [m for m in _imports() if m.count(".") == 1 and _stage(m) is None
             and m != "symbackprop.__main__"]  # python -m symbackprop: the command, as cli
    assert loose == [], loose  # only the package's face (symbackprop/__init__.py) is above them


def test_no_import_runs_against_the_flow():
    against = []
    for module, targets in _imports().items():
        here = _stage(module)
        for target in targets:
            there = _stage(target)
            if here is None or there is None or here == there:
                continue
            if here in DOORS and there in DOORS:
                against.append((module, target))
            elif STAGES.index(there) > STAGES.index(here) and not {here, there} <= DOORS:
                against.append((module, target))
    assert against == []


def test_no_circle_of_imports():
    """Tarjan's strongly connected components: any of more than one module is a circle."""
    graph = _imports()
    index, low, on, stack, circles, counter = {}, {}, set(), [], [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    assert circles == []


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_says_what_it_holds(stage):
    doc = ast.get_docstring(ast.parse((PACKAGE / stage / "__init__.py").read_text()))
    assert doc and len(doc.split()) >= 15, stage


def test_the_measure_sees_a_circle_and_a_backward_import(tmp_path, monkeypatch):
    """The checks above can fail: a made-up package with a circle and an engine module that
    imports a driver is caught by both."""
    fake = tmp_path / "symbackprop"
    for stage in ("engine", "formats"):
        (fake / stage).mkdir(parents=True)
        (fake / stage / "__init__.py").write_text('"""x"""\n')
    (fake / "__init__.py").write_text("")
    (fake / "engine" / "a.py").write_text("from ..formats import b\n")
    (fake / "formats" / "b.py").write_text("from ..engine import a\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    with pytest.raises(AssertionError):
        test_no_circle_of_imports()
    with pytest.raises(AssertionError):
        test_no_import_runs_against_the_flow()


LONGEST = 450  # lines: "about 400", a module one can read at once
def test_no_module_is_longer_than_one_can_read_at_once():
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > LONGEST}
    assert long == {}


def test_the_readmes_layout_names_every_module():
    """A newcomer reads the layout to find a job: every module is named there."""
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout"):]
    unnamed = [str(p.relative_to(PACKAGE)) for p in sorted(PACKAGE.rglob("*.py"))
               if p.stem not in ("__init__", "__main__") and f"`{p.stem}`" not in layout]
    assert unnamed == []
