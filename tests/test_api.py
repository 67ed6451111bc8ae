"""The Python API: the same numbers as the command line and as plain SymPy, and display methods
whose output parses (SVG, MathML) and carries every value."""

import base64
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from html import unescape
from pathlib import Path

import pytest
import sympy as sp

import symbackprop
from symbackprop.cli import main

from .conftest import WORKSHEETS

ROOT = Path(__file__).resolve().parent.parent
BLOG = WORKSHEETS / "blog-2-2-2.yaml"
MATHML = "{http://www.w3.org/1998/Math/MathML}"


@pytest.mark.parametrize("name, version", [("blog-2-2-2", None), ("pixel-four-4-2-1", None),
                                           ("class-set-2-2-2", 3)])
def test_to_json_is_what_derive_json_prints(name, version, capsys):
    extra = [] if version is None else ["--version", str(version)]
    assert main(["derive", str(WORKSHEETS / f"{name}.yaml"), "--json", *extra]) == 0
    printed = capsys.readouterr().out
    defn = symbackprop.load(WORKSHEETS / f"{name}.yaml")
    assert symbackprop.derive(defn, version=version).to_json() + "\n" == printed
    if version is not None:  # a set's numbers are per version, as on the command line
        with pytest.raises(symbackprop.DefinitionError, match="version: .*give version"):
            symbackprop.derive(defn)


def test_numbers_equal_plain_sympy_diff_of_the_loss():
    """Seed 003's network, differentiated by sympy.diff of J written out here by hand."""
    result = symbackprop.derive(BLOG)
    w = sp.symbols("w1:9")
    x1, x2, t1, t2, b1, b2 = 0.05, 0.1, 0.01, 0.99, 0.35, 0.6
    s = lambda z: 1 / (1 + sp.exp(-z))  # noqa: E731
    h1, h2 = s(w[0] * x1 + w[1] * x2 + b1), s(w[2] * x1 + w[3] * x2 + b1)
    o1, o2 = s(w[4] * h1 + w[5] * h2 + b2), s(w[6] * h1 + w[7] * h2 + b2)
    J = ((t1 - o1) ** 2 + (t2 - o2) ** 2) / 2
    at = dict(zip(w, (0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55)))
    assert result.loss == pytest.approx(float(J.subs(at)), rel=1e-12)
    assert result.outputs == pytest.approx([float(o1.subs(at)), float(o2.subs(at))], rel=1e-12)
    for i, name in enumerate(["W[1][1][1]", "W[1][1][2]", "W[1][2][1]", "W[1][2][2]",
                              "W[2][1][1]", "W[2][1][2]", "W[2][2][1]", "W[2][2][2]"]):
        assert result.grad[name] == pytest.approx(float(sp.diff(J, w[i]).subs(at)), rel=1e-10)
    assert round(result.grad["W[2][1][1]"], 9) == 0.082167041  # the blog's published ∂J/∂w5


def test_a_derivation_is_its_chain_of_factors():
    result = symbackprop.derive(BLOG)
    chain = result.derivation("w1")
    assert chain.param == "W[1][1][1]" and not chain.paths
    names = [n for n, _ in chain.factors]
    assert names == ["dJ/dout[1][1]", "dout[1][1]/dnet[1][1]", "dnet[1][1]/dW[1][1][1]"]
    product = 1.0
    for _, v in chain.factors:
        product *= v
    assert product == pytest.approx(result.grad["W[1][1][1]"], rel=1e-12)
    assert dict(chain.factors)["dnet[1][1]/dW[1][1][1]"] == 0.05  # its input, x1
    bias = result.derivation("b2")  # shared: a sum over the layer's neurons
    assert bias.paths and sum(v for _, v in bias.factors) == pytest.approx(
        result.grad["b[2]"], rel=1e-12)
    with pytest.raises(KeyError, match="not a weight or bias"):
        result.derivation("W[9][1][1]")


def test_derivation_text_is_what_derive_param_prints(capsys):
    assert main(["derive", str(BLOG), "--param", "W[2][1][1]"]) == 0
    printed = capsys.readouterr().out
    text = symbackprop.derive(BLOG).derivation("W[2][1][1]").text
    for line in text.splitlines():
        assert line in printed


def test_from_dict_reads_as_yaml_does_and_says_the_same(tmp_path):
    import yaml

    data = yaml.safe_load(BLOG.read_text(encoding="utf-8"))
    defn = symbackprop.Definition.from_dict(data)
    assert symbackprop.derive(defn).grad == symbackprop.derive(BLOG).grad
    data["network"]["activation"] = "swish"
    with pytest.raises(symbackprop.DefinitionError) as from_dict:
        symbackprop.Definition.from_dict(data, source="mine.yaml")
    (tmp_path / "mine.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(symbackprop.DefinitionError) as from_yaml:
        symbackprop.load(tmp_path / "mine.yaml")
    assert str(from_dict.value) == str(from_yaml.value).replace(str(tmp_path / "mine.yaml"),
                                                                "mine.yaml")
    assert from_dict.value.key == "network.activation" and "swish" in from_dict.value.problem


def test_train_is_what_train_json_prints(capsys):
    assert main(["train", str(BLOG), "--steps", "7", "--json"]) == 0
    assert symbackprop.train(BLOG, steps=7).to_json() + "\n" == capsys.readouterr().out
    history = symbackprop.train(BLOG, steps=7).loss_history
    assert len(history) == 8 and history[0] == pytest.approx(0.298371109, abs=1e-9)
    assert all(a > b for a, b in zip(history, history[1:]))


def test_a_lesson_is_refused_for_derive():
    with pytest.raises(symbackprop.DefinitionError, match="no network to derive"):
        symbackprop.derive(WORKSHEETS / "gradient-descent.yaml")


def test_result_shows_its_diagram_gradients_and_checks():
    result = symbackprop.derive(BLOG)
    assert repr(result) == ("<Result 2-2-2 sigmoid half_sse: J = 0.298371109, 10 gradients "
                            "verified>")
    page = result._repr_html_()
    svg = re.search(r'src="data:image/svg\+xml;base64,([^"]+)" alt="([^"]+)"', page)
    tree = ET.fromstring(base64.b64decode(svg.group(1)))
    circles = [c.get("class") for c in tree.findall(".//{http://www.w3.org/2000/svg}circle")]
    assert circles.count("neuron") + circles.count("neuron input") == 6
    assert circles.count("neuron bias") == 2  # the blog's two biases, each with its arrows
    for p, g in result.grad.items():
        assert f"<td>{g:.9g}</td>" in page, p
    for m in re.findall(r"<math.*?</math>", page, re.S):
        ET.fromstring(m)  # every formula is well-formed MathML
    assert "finite differences" in page


def test_a_derivation_shows_its_equation_in_mathml_and_latex():
    chain = symbackprop.derive(BLOG).derivation("w5")
    html = chain._repr_html_()
    equation = ET.fromstring(re.search(r"<math.*?</math>", html, re.S).group(0))
    numbers = [float(n.text) for n in equation.iter(f"{MATHML}mn") if "." in (n.text or "")]
    for _, v in chain.factors:
        assert any(abs(n - v) <= 1e-8 * max(1, abs(v)) for n in numbers)
    assert chain._repr_latex_().startswith("$$\\frac{\\partial J}{\\partial w_{5}}")


def test_a_proof_shows_each_step_with_its_reason():
    from symbackprop.engine import proofs

    shown = symbackprop.proof("sigmoid")
    p = proofs.get("sigmoid")
    html = shown._repr_html_()
    # each step's reason, read as the notebook shows it (its formulas set as MathML)
    words = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))
    assert "&lt;" not in html and html.count("<math") >= len(p.steps)
    for step in p.steps:
        for word in re.findall(r"[^\W\d_]{2,}", step.reason):
            assert word in words, (word, step.reason)
    assert shown._repr_latex_().count("&=") == len(p.steps)
    with pytest.raises(KeyError, match="no proof called"):
        symbackprop.proof("nonsense")


def test_a_worksheet_writes_its_page_and_pdf(tmp_path):
    sheet = symbackprop.worksheet(WORKSHEETS / "class-set-2-2-2.yaml", version=2, seed=5)
    assert main(["build", str(WORKSHEETS / "class-set-2-2-2.yaml"), "--versions", "2",
                 "--seed", "5", "--format", "html", "--out", str(tmp_path / "cli")]) == 0
    cli_key = json.loads((tmp_path / "cli" / "class-set-2-2-2-v02-key.json").read_text())
    assert sheet.key == cli_key
    page = sheet.html(tmp_path / "page.html").read_text(encoding="utf-8")
    assert page == (tmp_path / "cli" / "class-set-2-2-2-v02-practice.html").read_text(
        encoding="utf-8")
    assert 'srcdoc="' in sheet._repr_html_()
    pdf = sheet.pdf(tmp_path / "sheet.pdf", key=True)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    value = f"{abs(cli_key['answers'][0]['value']):.4f}"  # a PDF's minus is U+2212
    assert value in text


def test_importing_the_package_loads_no_engine():
    code = ("import sys, symbackprop; symbackprop.DefinitionError; "
            "print(sorted(m for m in ('sympy', 'numpy', 'torch', 'yaml') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "[]", out.stderr


def test_the_readme_example_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Use it from Python", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "0.082167041" in out.stdout


def test_parse_reads_text_as_load_reads_the_file():
    text = BLOG.read_text(encoding="utf-8")
    assert symbackprop.parse(text, source=str(BLOG)) == symbackprop.load(BLOG)
    with pytest.raises(symbackprop.DefinitionError) as bad:
        symbackprop.parse(text.replace("learning_rate: 0.5", "learning_rate: -1"), "mine")
    assert bad.value.source == "mine" and bad.value.key == "learning_rate"
