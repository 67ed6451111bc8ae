"""A whole faculty's class set built in parts (cluster/): by GNU parallel, whose parts are the
bytes one build gives; by a Slurm array job, whose options Slurm's own sbatch reads and whose
task builds its part; by a Kubernetes indexed Job, valid by Kubernetes' own schema."""

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from .conftest import ROOT, WORKSHEETS

CLUSTER = ROOT / "cluster"
SYMBACKPROP = str(Path(sys.executable).with_name("symbackprop"))
SIZE, PART = 5, 2  # three parts, the last of one version


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is missing: make test installs it (apt-get install " \
        f"{'parallel' if name == 'parallel' else 'slurm-client'})"
    return path


@pytest.fixture(scope="module")
def small_set(tmp_path_factory) -> Path:
    """The bundled class set, 5 versions in the whole set."""
    folder = tmp_path_factory.mktemp("set")
    text = (WORKSHEETS / "class-set-2-2-2.yaml").read_text(encoding="utf-8")
    path = folder / "small-set.yaml"
    path.write_text(text.replace("versions: 30", f"versions: {SIZE}"), encoding="utf-8")
    return path


def _env(**extra) -> dict:
    return os.environ | {"SYMBACKPROP": SYMBACKPROP} | extra


FORMATS = ["--format", "pdf", "--format", "html", "--format", "moodle"]


def test_gnu_parallel_builds_the_parts_with_the_bytes_of_one_build(small_set, tmp_path):
    _tool("parallel")
    one = tmp_path / "one"
    subprocess.run([SYMBACKPROP, "build", str(small_set), *FORMATS, "--out", str(one)],
                   check=True, capture_output=True)
    out = tmp_path / "faculty"
    run = subprocess.run([str(CLUSTER / "build-with-parallel.sh"), str(small_set), str(SIZE),
                          str(PART), str(out), *FORMATS], env=_env(PARALLEL_JOBS="2"),
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    joblog = (out / "logs" / "joblog").read_text().splitlines()
    assert len(joblog) == 1 + 3 and all(line.split("\t")[6] == "0" for line in joblog[1:])
    assert not list(out.glob("part-*"))  # every part's files moved into the set's folder
    gathered = {p.name: p for p in (out / "set").iterdir()}
    whole = {p.name: p for p in one.iterdir()}
    per_version = {n for n in whole if re.search(r"-v\d+-", n)}
    assert len(per_version) == SIZE * 6  # .tex, .pdf of the worksheet and key, key.json, page
    for name in per_version:
        assert gathered[name].read_bytes() == whole[name].read_bytes(), name
    # the set's own files: a class-set PDF a part, and Moodle's questions split by part
    assert sorted(set(gathered) - per_version) == sorted(
        ["small-set-class-set-v01-v02.pdf", "small-set-class-set-v03-v04.pdf",
         "small-set-class-set-v05-v05.pdf", "small-set-class-set-keys-v01-v02.pdf",
         "small-set-class-set-keys-v03-v04.pdf", "small-set-class-set-keys-v05-v05.pdf",
         "small-set-moodle.xml",
         "small-set-moodle-v03-v04.xml", "small-set-moodle-v05-v05.xml"]
        + [n for n in gathered if n.endswith(".log")])

    def text(q):
        q.tail = None  # the space after a file's last question is the file's, not its
        return ET.tostring(q)

    questions = [text(q) for name in ("small-set-moodle.xml",
                                             "small-set-moodle-v03-v04.xml",
                                             "small-set-moodle-v05-v05.xml")
                 for q in ET.parse(out / "set" / name).getroot()[1:]]
    assert questions == [text(q) for q in ET.parse(one / "small-set-moodle.xml").getroot()[1:]]


def test_a_part_that_fails_stops_the_build_and_says_why(small_set, tmp_path):
    """A set said to be bigger than its definition's: the part past its end fails in one line,
    and parallel stops with it."""
    _tool("parallel")
    run = subprocess.run([str(CLUSTER / "build-with-parallel.sh"), str(small_set), "7",
                          str(PART), str(tmp_path), "--format", "tex"],
                         env=_env(PARALLEL_JOBS="1"), capture_output=True, text=True)
    assert run.returncode != 0
    said = (tmp_path / "logs" / "2.err").read_text().splitlines()  # part 2's, parallel kept
    assert len(said) == 1 and "versions 5 to 6: the set has versions 1 to 5" in said[0]
    assert "This job failed" in run.stderr
    alone = subprocess.run([str(CLUSTER / "build-part.sh"), "9", str(small_set), str(SIZE),
                            str(PART), str(tmp_path)], env=_env(), capture_output=True, text=True)
    assert alone.returncode == 2 and len(alone.stderr.splitlines()) == 1
    assert "starts at version 19, past the set's 5" in alone.stderr


# --- Slurm ---------------------------------------------------------------------------------

SLURM_CONF = """ClusterName=test
SlurmctldHost=localhost
SlurmctldPort=1
AuthType=auth/none
NodeName=localhost CPUs=2 State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES
MessageTimeout=1
"""
UNREACHABLE = "allocation failure: Unable to contact slurm controller (connect failure)"


def _sbatch_reads(script: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    """sbatch --test-only: Slurm's own reading of the script's #SBATCH options (names, memory,
    time), which stops only where it would ask a controller; none runs here (port 1)."""
    conf = tmp_path / "slurm.conf"
    conf.write_text(SLURM_CONF, encoding="utf-8")
    return subprocess.run([_tool("sbatch"), "--test-only", str(script)], cwd=ROOT,
                          env=os.environ | {"SLURM_CONF": str(conf)}, capture_output=True,
                          text=True, timeout=60)


def test_slurm_reads_the_array_jobs_options(tmp_path):
    script = CLUSTER / "slurm-array.sbatch"
    run = _sbatch_reads(script, tmp_path)
    assert run.stderr.strip() == UNREACHABLE, run.stderr
    bad = tmp_path / "bad.sbatch"
    bad.write_text(script.read_text().replace("--mem=2G", "--mem=2Q"), encoding="utf-8")
    assert "Invalid --mem specification" in _sbatch_reads(bad, tmp_path).stderr
    bad.write_text(script.read_text().replace("--cpus-per-task", "--cpus-per-tsk"))
    assert "unrecognized option '--cpus-per-tsk=2'" in _sbatch_reads(bad, tmp_path).stderr


def test_the_array_covers_the_faculty_set_once(tmp_path):
    """The array's task indices times the part's size are the set's versions, each once; the
    definition it builds says that size."""
    text = (CLUSTER / "slurm-array.sbatch").read_text()
    low, high, at_once = map(int, re.search(r"#SBATCH --array=(\d+)-(\d+)%(\d+)", text).groups())
    versions = int(re.search(r"VERSIONS=\$\{VERSIONS:-(\d+)\}", text).group(1))
    part = int(re.search(r"PART=\$\{PART:-(\d+)\}", text).group(1))
    assert (low, (high + 1) * part, at_once > 0) == (0, versions, True)
    definition = re.search(r"DEFINITION=\$\{DEFINITION:-(\S+)\}", text).group(1)
    assert yaml.safe_load((ROOT / definition).read_text())["versions"] == versions


def test_a_slurm_task_builds_its_part(small_set, tmp_path):
    """The script as Slurm runs it for one task (its index and cores in the environment),
    on the small set: task 2 is version 5, built into its part's folder."""
    out = tmp_path / "faculty"
    run = subprocess.run(["bash", str(CLUSTER / "slurm-array.sbatch")], cwd=ROOT,
                         env=_env(SLURM_ARRAY_TASK_ID="2", SLURM_CPUS_PER_TASK="1",
                                  DEFINITION=str(small_set), VERSIONS=str(SIZE),
                                  PART=str(PART), OUT=str(out)),
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in (out / "part-00002").iterdir()) == sorted(
        ["small-set-v05-worksheet.tex", "small-set-v05-worksheet.pdf", "small-set-v05-key.tex",
         "small-set-v05-key.pdf", "small-set-v05-key.json", "small-set-v05-practice.html",
         "small-set-class-set-v05-v05.pdf", "small-set-class-set-keys-v05-v05.pdf"])


# --- Kubernetes ----------------------------------------------------------------------------


def _job() -> dict:
    return yaml.safe_load((CLUSTER / "kubernetes-indexed-job.yaml").read_text())


@pytest.mark.parametrize("version", ["1.29.0", "1.33.0", "1.37.0"])
def test_the_indexed_job_is_valid_by_kubernetes_own_schema(version):
    """kubernetes-validate: the API's OpenAPI schema of each version, strict (no field it
    does not know)."""
    assert kubernetes_validate.validate(_job(), version, strict=True)
    bad = _job()
    bad["spec"]["completionMod"] = bad["spec"].pop("completionMode")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, version, strict=True)


def test_the_indexed_job_covers_the_faculty_set_once():
    spec = _job()["spec"]
    assert spec["completionMode"] == "Indexed" and spec["template"]["spec"]["restartPolicy"] \
        == "Never"
    (container,) = spec["template"]["spec"]["containers"]
    command = " ".join(container["args"])
    found = re.search(r'build-part\.sh "\$JOB_COMPLETION_INDEX" (\S+)\s+(\d+) (\d+) (/\S+)',
                      command)
    assert found, command
    definition, versions, part, out = found.groups()
    assert spec["completions"] * int(part) == int(versions)
    assert yaml.safe_load((ROOT / definition).read_text())["versions"] == int(versions)
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert out in mounts and spec["parallelism"] <= spec["completions"]
