"""Building worksheets and keys: numbers from the engine, no answers on the student sheet,
hostile text printed literally, same seed same bytes, templates shipped in the wheel."""

import json
import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from symbackprop.cli import main
from symbackprop.definitions.definition import load, parse
from symbackprop.engine.sample import NoGoodDraw, instance
from symbackprop.engine.verify import run
from symbackprop.files import classset
from symbackprop.formats import pdf
from symbackprop.formats.tex import number
from symbackprop.sheets.worksheet import chain_lines

from .conftest import ROOT, WORKSHEETS

needs_tex = pytest.mark.skipif(not pdf.available() or not shutil.which("pdftotext"),
                               reason="needs pdflatex and pdftotext")

RANDOM = """title: Class set
network: {layers: [2, 2, 2], activation: sigmoid, loss: half_sse, bias: shared}
decimals: 4
"""


def pdf_text(path, layout: bool = True) -> str:
    """The PDF's text as pdftotext reads it (with -layout: lines as on the page)."""
    out = subprocess.run(["pdftotext", *(["-layout"] if layout else []), str(path), "-"],
                         capture_output=True, text=True, check=True)
    return out.stdout


def test_key_numbers_agree_with_the_verified_engine():
    d = load(WORKSHEETS / "blog-2-2-2.yaml")
    (version,) = classset.make(d, "blog")
    result = run(d, instance(d))
    answers = {a["name"]: a for a in version.key["answers"]}
    for name, a in answers.items():
        if name.startswith("new "):
            exact = result.updated[name[4:]]
        elif name[4:] in result.grads:
            exact = result.grads[name[4:]]
        else:
            exact = result.values.get(name, result.steps.get(name))
        assert a["exact"] == pytest.approx(exact, rel=1e-12), name
        # as printed: from rounded intermediates, within rounding of the exact value
        assert abs(a["value"] - exact) <= 1e-8 + 1e-6 * abs(exact), name
    assert answers["J"]["value"] == 0.298371109
    assert answers["dJ/dW[1][1][1]"]["value"] == 0.000438568
    assert version.key["definition"]["values"]["weights"][1] == [[0.4, 0.45], [0.5, 0.55]]
    assert [a["label"] for a in version.key["answers"][:3]] == ["a", "b", "c"]


def test_rounded_intermediates_drive_the_printed_answer():
    """With 2 decimals the printed gradient is the product of rounded factors, not the exact."""
    d = parse(RANDOM.replace("decimals: 4", "decimals: 2") + "seed: 3\n")
    (version,) = classset.make(d, "r")
    answers = {a["name"]: a for a in version.key["answers"]}
    product = round(answers["dJ/dout[2][1]"]["value"] * answers["dout[2][1]/dnet[2][1]"]["value"]
                    * answers["dnet[2][1]/dW[2][1][1]"]["value"], 2)
    assert answers["dJ/dW[2][1][1]"]["value"] == product


def test_versions_differ_and_are_reproducible():
    d = parse(RANDOM)
    a = classset.make(d, "cs", count=4, seed=11)
    b = classset.make(d, "cs", count=4, seed=11)
    assert [v.key for v in a] == [v.key for v in b]
    values = [json.dumps(v.key["definition"]["values"]) for v in a]
    assert len(set(values)) == 4
    for v in a:  # no rejected draw got through
        answers = [x for x in v.key["answers"] if x["name"].startswith(("net", "out", "dJ/dW"))]
        assert all(round(x["value"], 4) != 0 for x in answers if x["name"].startswith("dJ"))
        assert len({x["value"] for x in answers}) == len(answers)
        assert all(abs(x["exact"]) <= 4 for x in answers if x["name"].startswith("net"))


@needs_tex
def test_student_sheet_has_no_answers_and_key_has_them_all(tmp_path, capsys):
    path = tmp_path / "cs.yaml"
    path.write_text(RANDOM + "seed: 5\n")
    assert main(["build", str(path), "--out", str(tmp_path / "out")]) == 0
    sheet = pdf_text(tmp_path / "out" / "cs-worksheet.pdf")
    key = pdf_text(tmp_path / "out" / "cs-key.pdf")
    answers = json.loads((tmp_path / "out" / "cs-key.json").read_text())["answers"]
    printed = {number(a["value"], 4) for a in answers}
    given = {f"{v}" for v in (0.0,)}
    for text in printed - given:
        assert text not in sheet, text
        assert text.replace("-", "−") in key or text in key, text


@needs_tex
def test_hostile_title_and_roster_print_literally_and_read_nothing(tmp_path):
    hostile = r"\input{/etc/passwd} \write18{touch pwned} #$%&~_^{}\ "
    (tmp_path / "h.yaml").write_text(
        "title: " + json.dumps(hostile) + "\n" + RANDOM.split("\n", 1)[1] + "seed: 1\n")
    roster = tmp_path / "roster.txt"
    roster.write_text("Zoë Ångström\nNguyễn Thị Minh\n\\input{/etc/hostname}\n")
    out = tmp_path / "out"
    assert main(["build", str(tmp_path / "h.yaml"), "--roster", str(roster),
                 "--out", str(out)]) == 0
    text = unicodedata.normalize("NFC", pdf_text(out / "h-v01-worksheet.pdf"))
    assert "\\input{/etc/passwd}" in text and "#$%&~_^{}\\" in text
    assert "root:" not in text and not (out / "pwned").exists()
    assert "Zoë Ångström" in text
    second = unicodedata.normalize("NFC", pdf_text(out / "h-v02-worksheet.pdf"))
    assert "Nguyễn" in second and "Minh" in second  # pdftotext splits ị into i and its dot
    # Vietnamese letters in their own font encoding (T5), as TeX Live's vntex sets them
    assert r"Nguy{\fontencoding{T5}\selectfont ễ}n Th{\fontencoding{T5}\selectfont ị} Minh" \
        in (out / "h-v02-worksheet.tex").read_text()
    third = pdf_text(out / "h-v03-key.pdf")
    assert "\\input{/etc/hostname}" in third
    hostname = Path("/etc/hostname").read_text().strip()
    assert hostname not in third.replace("\\input{/etc/hostname}", "")
    assert (out / "h-class-set.pdf").exists()


def test_unprintable_roster_name_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "r.yaml").write_text(RANDOM)
    roster = tmp_path / "roster.txt"
    roster.write_text("Ada\n李小龍\n")
    assert main(["build", str(tmp_path / "r.yaml"), "--roster", str(roster), "--format", "tex",
                 "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "roster.txt: line 2" in err and "cannot be printed" in err
    assert not (tmp_path / "o").exists()


def test_a_roster_name_longer_than_its_line_is_refused(tmp_path, capsys):
    (tmp_path / "r.yaml").write_text(RANDOM)
    roster = tmp_path / "roster.txt"
    longest = "Ana " + "de la Fuente " * 7  # 95 characters: prints
    roster.write_text(f"Ada\n{longest}\n{'x' * 15_000}\n")
    out = ["--format", "tex", "--out", str(tmp_path / "o")]
    assert main(["build", str(tmp_path / "r.yaml"), "--roster", str(roster), *out]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "roster.txt: line 3: a name of 15,000 characters" in err
    roster.write_text(f"Ada\n{longest}\n")
    assert main(["build", str(tmp_path / "r.yaml"), "--roster", str(roster), *out]) == 0
    assert longest.strip() in (tmp_path / "o" / "r-v02-worksheet.tex").read_text()


@needs_tex
def test_same_seed_gives_the_same_bytes(tmp_path):
    (tmp_path / "s.yaml").write_text(RANDOM)
    for out in ("a", "b"):
        assert main(["build", str(tmp_path / "s.yaml"), "--versions", "2", "--seed", "9",
                     "--out", str(tmp_path / out)]) == 0
    for name in ("s-v01-worksheet.pdf", "s-v02-key.pdf", "s-class-set.pdf", "s-v01-key.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (tmp_path / "a" / "s-v01-key.pdf").read_bytes() != \
        (tmp_path / "a" / "s-v02-key.pdf").read_bytes()


def test_tex_format_without_latex_and_missing_latex_message(tmp_path, capsys, monkeypatch):
    (tmp_path / "t.yaml").write_text(RANDOM)
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    assert main(["build", str(tmp_path / "t.yaml"), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "pdflatex not found" in err and "apt-get install" in err
    assert (tmp_path / "o" / "t-worksheet.tex").exists()
    assert not (tmp_path / "o" / "t-worksheet.pdf").exists()


@needs_tex
def test_latex_failure_reports_first_error_and_leaves_no_pdf(tmp_path):
    with pytest.raises(pdf.LatexError) as err:
        pdf.compile_tex("\\documentclass{article}\\begin{document}\\oops\\end{document}",
                        tmp_path / "bad.pdf")
    assert "Undefined control sequence" in str(err.value)
    assert err.value.log and err.value.log.exists()
    assert not (tmp_path / "bad.pdf").exists()


def test_fully_given_definition_refuses_versions(capsys, tmp_path):
    assert main(["build", str(WORKSHEETS / "blog-2-2-2.yaml"), "--versions", "3",
                 "--format", "tex", "--out", str(tmp_path)]) == 2
    assert "every number is given" in capsys.readouterr().err


@needs_tex
def test_pdf_from_an_installed_wheel(tmp_path):
    """templates/ ships inside the package: build a PDF from the wheel, not the source tree."""
    wheel_dir, site, source = tmp_path / "wheel", tmp_path / "site", tmp_path / "source"
    # build from a clean copy: setuptools' build/ in the checkout could hold stale modules
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", "build", "*.egg-info", ".git", "__pycache__", ".*_cache", ".hypothesis"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(wheel_dir), str(source)], check=True)
    (wheel,) = wheel_dir.glob("symbackprop-*.whl")
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(site), str(wheel)], check=True)
    assert (site / "symbackprop" / "templates" / "worksheet.tex.j2").exists()
    env = dict(os.environ, PYTHONPATH=str(site))
    code = ("import sys, symbackprop; assert symbackprop.__file__.startswith(sys.argv[1]), "
            "symbackprop.__file__; from symbackprop.cli import main; "
            "sys.exit(main(['build', sys.argv[2], '--out', sys.argv[3]]))")
    subprocess.run([sys.executable, "-c", code, str(site), str(WORKSHEETS / "blog-2-2-2.yaml"),
                    str(tmp_path / "out")], check=True, cwd=tmp_path, env=env)
    assert (tmp_path / "out" / "blog-2-2-2-key.pdf").read_bytes().startswith(b"%PDF")


# --- the file side under failure (in-process; tests/test_hostile_build.py runs processes) ---

def test_read_only_folder_simulated(tmp_path, capsys, monkeypatch):
    """The OSError a read-only file system gives, without mounting one (no privileges needed)."""
    import errno
    import tempfile

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    (tmp_path / "r.yaml").write_text(RANDOM)
    monkeypatch.setattr(tempfile, "mkdtemp", read_only)
    assert main(["build", str(tmp_path / "r.yaml"), "--format", "tex",
                 "--out", str(tmp_path / "o" / "p")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"symbackprop: {tmp_path}/o/p: cannot write the build there "
                   "(Read-only file system)"]
    assert list(tmp_path.iterdir()) == [tmp_path / "r.yaml"]  # the folders it made are gone


@needs_tex
def test_failed_class_set_log_replaces_a_planted_link(tmp_path, capsys, monkeypatch):
    """The log of a failed run is moved in by a rename: a link there is replaced, its target
    untouched; and no PDF of the failed build is left."""
    (tmp_path / "r.yaml").write_text(RANDOM)
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (out / "r-class-set.log").symlink_to(victim)
    monkeypatch.setattr(classset, "class_set_tex",
                        lambda sheets, keys, duplex=True:
                        "\\documentclass{article}\\begin{document}\\oops")
    assert main(["build", str(tmp_path / "r.yaml"), "--versions", "2", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "LaTeX failed on r-class-set.pdf" in err and f"log: {out}/r-class-set.log" in err
    assert victim.read_text() == "precious"
    log = out / "r-class-set.log"
    assert not log.is_symlink() and "oops" in log.read_text()
    assert sorted(p.name for p in out.iterdir()) == ["r-class-set.log"]


SIGMOID, TANH = RANDOM, RANDOM.replace("sigmoid", "tanh").replace("[2, 2, 2]", "[3, 3, 2]")


RELU = RANDOM.replace("sigmoid", "relu").replace("[2, 2, 2]", "[3, 3, 2]")


@pytest.mark.parametrize("text", [SIGMOID, TANH, RELU], ids=["sigmoid", "tanh", "relu"])
def test_numpy_judge_draws_what_the_full_judge_draws(text, monkeypatch):
    """The cheap forward-pass judge only saves work: with it and without it, the same seed gives
    the same versions, and it sends fewer draws through the whole verification."""
    d = parse(text)
    calls = []
    real_run = classset.run

    def counted(defn, inst):
        calls.append(inst)
        return real_run(defn, inst)

    monkeypatch.setattr(classset, "run", counted)
    with_numpy = [v.key for v in classset.make(d, "j", count=6, seed=4)]
    verified = len(calls)
    monkeypatch.setattr(classset, "_forward_problem", lambda inst, asked: None)
    calls.clear()
    assert [v.key for v in classset.make(d, "j", count=6, seed=4)] == with_numpy
    assert verified <= len(calls)


def test_relu_class_set_builds():
    """out = net for an active ReLU is its definition, not a repeated answer to redraw (every
    ReLU draw was rejected for it); a dead ReLU's zero gradient still is."""
    d = parse(RELU)
    for v in classset.make(d, "relu", count=3, seed=2):
        answers = {a["name"]: a["value"] for a in v.key["answers"]}
        grads = [x for n, x in answers.items() if n.startswith("dJ/dW") and " via " not in n]
        assert grads and all(round(g, 4) != 0 for g in grads)
        weights = v.key["definition"]["values"]
        net = np.array(weights["weights"][0]) @ np.array(weights["inputs"]) + \
            weights["biases"][0][0]
        assert answers["net[1][1]"] == pytest.approx(net[0], abs=1e-4)
        assert answers["out[1][1]"] == pytest.approx(max(net[0], 0), abs=1e-4)


def test_saturated_draws_never_reach_the_verification(monkeypatch):
    d = parse(RANDOM.replace("[2, 2, 2]", "[16, 16, 4]"))
    monkeypatch.setattr(classset, "run", lambda defn, inst: pytest.fail("verified a draw"))
    judge = classset.Judge(d)
    hot = instance(parse(RANDOM.replace("[2, 2, 2]", "[16, 16, 4]")
                         + "values: {inputs: [" + ", ".join(["9"] * 16) + "]}\n"))
    # independently: NumPy says some hidden net is beyond sigmoid's 4.0
    nets = np.array(hot.values.weights[0]) @ np.array(hot.values.inputs) + hot.values.biases[0]
    assert np.abs(nets).max() > 4.0
    assert judge(hot) is False and judge.verified == 0


def test_verified_draws_are_bounded(monkeypatch):
    """0 decimals: every gradient rounds to 0; the judge gives up after 25 full verifications."""
    d = parse(RANDOM.replace("decimals: 4", "decimals: 0"))
    calls = []
    real_run = classset.run
    monkeypatch.setattr(classset, "run", lambda defn, inst: calls.append(1) or real_run(defn, inst))
    with pytest.raises(NoGoodDraw, match="after verifying 25 draws in full"):
        classset.make(d, "b")
    assert len(calls) == classset.VERIFIED_DRAWS == 25


@pytest.mark.parametrize("layers, bias, printable", [
    ([16, 16, 4], "shared", True),  # 256 + 64 weights, 2 biases
    ([17, 2, 1], "none", False),  # a layer wider than a page's column
    ([12, 16, 16, 12], "per_neuron", False),  # 192 + 256 + 192 weights alone pass 600
    ([10, 16, 16, 2], "none", True),  # 160 + 256 + 32 = 448
])
def test_printable_bound(layers, bias, printable):
    d = parse(f"network: {{layers: {layers}, activation: sigmoid, loss: half_sse, "
              f"bias: {bias}}}\n", source="n.yaml")
    weights = sum(a * b for a, b in zip(layers, layers[1:]))
    biases = {"none": 0, "shared": len(layers) - 1, "per_neuron": sum(layers[1:])}[bias]
    assert classset.parameters(d) == weights + biases
    if printable:
        classset.check_printable(d)
    else:
        with pytest.raises(ValueError, match=f"n.yaml: network.layers: .* {weights + biases:,}"):
            classset.check_printable(d)


def _chain_lines_built(d) -> int:
    """The lines of a built sheet's chain sections (gradients and δ's, of every example)."""
    from symbackprop.formats.plaintext import PlainText

    ws = classset.draw(d, 1, None)[1]
    chains = ("Gradient of", "The error term")
    return sum(len(s.lines) for s in ws.sections
               if PlainText().prose(s.title).split(": ")[-1].startswith(chains))


@pytest.mark.parametrize("layers, bias, more", [
    ([2, 2, 2], "shared", ""),
    ([2, 2, 2, 2, 2, 2], "per_neuron", ""),
    ([3, 3, 3, 3], "none", 'ask: ["dJ/dnet[1][1]", "W[1][2][1]", "dJ/dnet[2][2]"]'),
    ([4, 3, 2, 2], "shared", 'ask: ["b[1]", "W[2][1][3]"]'),
    # a batch: each example's gradient chains, and a δ asked of one example only
    ([2, 3, 2], "shared", 'values: {examples: 3}\nask: ["W[1][1][1]", "dJ@2/dnet[1][1]@2"]'),
    ([2, 2, 2], "none", "values: {examples: 2}\nbatch_loss: mean"),
])
def test_chain_lines_are_the_lines_the_sheet_prints(layers, bias, more):
    d = parse(f"network: {{layers: {layers}, activation: sigmoid, loss: half_sse, "
              f"bias: {bias}}}\nseed: 1\n{more}\n")
    assert chain_lines(d) == _chain_lines_built(d) > 0


DEEP = ("network: {layers: [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2], activation: sigmoid, "
        "loss: half_sse, bias: shared}\nseed: 1\n")


def test_a_network_whose_chains_fill_a_book_is_refused_before_any_draw(tmp_path, capsys,
                                                                        monkeypatch):
    """12 layers of 2: w1's chain has 2^11 paths, each written out; the sheet is refused at
    once (it took minutes and would print hundreds of pages), naming the key and the count."""
    (d := tmp_path / "deep.yaml").write_text(DEEP)
    monkeypatch.setattr(classset, "run", lambda *a: pytest.fail("a draw was verified"))
    assert main(["build", str(d), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    lines = chain_lines(load(d))  # held to the printed sheet above, at smaller depths
    assert lines > classset.PRINTED_CHAIN_LINES * 10
    assert "deep.yaml: network.layers:" in err and f"take {lines:,} lines" in err, err
    assert err.count("\n") == 1 and not (tmp_path / "out").exists()
    nearer = parse(DEEP + "ask: [\"W[12][1][1]\", \"W[11][2][1]\"]\n")
    classset.check_printable(nearer)  # the last layers' chains are short
    with pytest.raises(ValueError, match=r"ask: the asked chains .* take [\d,]{6} lines"):
        classset.check_printable(parse(DEEP + "ask: [\"W[1][1][1]\"]\n"))


def test_a_batch_whose_chains_fill_a_book_is_refused(tmp_path, capsys):
    """Each example writes its chains out: 100 examples of a network whose one example takes
    a few hundred lines made a 2,000-page sheet (minutes, 2.4 GB); refused at once."""
    one = ("network: {layers: [2, 2, 2, 2, 2, 2], activation: sigmoid, loss: half_sse}\n"
           'seed: 5\nask: ["W[1][1][1]", "W[1][2][2]", "W[2][1][1]"]\n')
    (d := tmp_path / "big.yaml").write_text(one + "values: {examples: 100}\n")
    lines = chain_lines(load(d))
    assert lines == 100 * chain_lines(parse(one)) > classset.PRINTED_CHAIN_LINES
    assert main(["build", str(d), "--format", "tex", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert f"take {lines:,} lines on a worksheet, over its 100 examples" in err, err
    assert "fewer examples or layers" in err and not (tmp_path / "o").exists()


def test_derive_shows_the_first_draw_of_a_definition_no_sheet_prints(tmp_path, capsys):
    """Too deep for a sheet, or no draw a teacher would accept: derive still works, on the
    definition's own first draw (it used to judge draws for minutes, then fail)."""
    for text, note in ((DEEP, False), (RANDOM.replace("decimals: 4", "decimals: 0")
                                      + "seed: 3\n", True)):
        (path := tmp_path / "d.yaml").write_text(text)
        assert main(["derive", str(path), "--json"]) == 0
        out, err = capsys.readouterr()
        d = load(path)
        want = run(d, instance(d, d.seed))
        assert json.loads(out)["loss"] == pytest.approx(want.values["J"], rel=1e-12)
        assert ("No worksheet prints this definition" in err) == note, err
