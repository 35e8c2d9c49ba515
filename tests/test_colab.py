"""The student edition in Google Colab as it is: Colab's own package versions (tests/colab/), its IPython 7.34
kernel, the install cell of Part 2 run for real, and "Restart session" afterwards.

`make test` builds the environment first (`make colab-env`, .venv-colab/). The notebooks run with the reference
answers, as a student's finished notebook would, with Part 2's training cut to a few steps.
"""

import json
import re
import subprocess
from pathlib import Path

import nbformat
import pytest
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

from autograder import edition, secret_lines
from autograder.course import ASSIGNMENTS, settings_cell_index, source_notebook
from conftest import REPO

COLAB = REPO / "tests" / "colab"
VENV = REPO / ".venv-colab"
PYTHON = VENV / "bin" / "python"
KERNEL = "colab-python3"
# What must stay exactly as Colab has it: a newer IPython or traitlets breaks Colab's kernel on restart.
PINNED = ("ipython", "ipykernel", "traitlets", "jupyter-client", "numpy", "matplotlib", "music21",
          "ipywidgets", "tqdm", "soundfile")
TRAINING_STEPS = 30


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def colab_versions():
    """{package: version} of Google's list (pinned lines only; torch and friends are URLs there)."""
    versions = {}
    for line in (COLAB / "pip-freeze.txt").read_text(encoding="utf-8").splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==", 1)
            versions[canonical(name)] = version.strip()
    return versions


def installed():
    listing = subprocess.run([str(PYTHON), "-m", "pip", "list", "--format=json"], capture_output=True, text=True,
                             check=True, timeout=120).stdout
    return {canonical(item["name"]): item["version"] for item in json.loads(listing)}


def pip(*args, timeout=600):
    return subprocess.run([str(PYTHON), "-m", "pip", *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def colab():
    if not (VENV / ".installed").is_file():
        pytest.fail("Немає середовища з версіями Colab: виконайте `make colab-env` (його робить `make test`).")
    pip("uninstall", "-y", "-q", "abcrnn")  # what an earlier run installed: every run starts as Colab does
    before = installed()
    versions = colab_versions()
    assert {name: before.get(name) for name in PINNED} == {name: versions[name] for name in PINNED}
    yield before
    pip("uninstall", "-y", "-q", "abcrnn")


def would_install(tree, tmp_path):
    """{package: version} that `pip install TREE` would install or change in the Colab environment."""
    report = tmp_path / "report.json"
    result = pip("install", "--dry-run", "--quiet", "--report", str(report), str(tree))
    assert result.returncode == 0, result.stderr[-2000:]
    return {canonical(item["metadata"]["name"]): item["metadata"]["version"]
            for item in json.loads(report.read_text(encoding="utf-8"))["install"]}


def test_installing_the_student_package_changes_nothing_that_colab_has(colab, edition_copy, tmp_path):
    changes = would_install(edition_copy, tmp_path)
    assert "abcrnn" in changes
    assert {name: version for name, version in changes.items() if name in colab_versions()} == {}


def test_the_check_catches_a_dependency_that_would_upgrade_ipython(colab, edition_copy, tmp_path):
    pyproject = edition_copy / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    assert '"ipython>=7.34"' in text
    pyproject.write_text(text.replace('"ipython>=7.34"', '"ipython>=8"'), encoding="utf-8")
    changes = would_install(edition_copy, tmp_path)
    assert "ipython" in changes and changes["ipython"] != colab_versions()["ipython"]


def git_release(tree):
    """Make `tree` a git repository with the release's tag, as the public repository will be."""
    tag = edition.read().tag
    git = ["git", "-C", str(tree), "-c", "user.name=Викладач", "-c", "user.email=teacher@example.org"]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", tag], ["tag", tag]):
        subprocess.run(git + command, check=True, capture_output=True, timeout=60)
    return f"git+file://{tree}@{tag}"


def prepared(notebook_path, install_spec):
    """The reference notebook as a student would run it: installing from the local release, training briefly."""
    notebook = nbformat.read(str(notebook_path), as_version=4)
    for cell in notebook.cells:
        cell.source = cell.source.replace(edition.read().install_spec, install_spec)
    settings = settings_cell_index(notebook)
    if settings is not None:
        notebook.cells.insert(settings + 1, nbformat.v4.new_code_cell(f"NUM_STEPS = {TRAINING_STEPS}"))
    notebook.cells.append(nbformat.v4.new_code_cell(
        "import IPython, ipykernel, traitlets\nprint('versions', IPython.__version__, ipykernel.__version__, "
        "traitlets.__version__)"))
    return notebook


def run(notebook, km, workdir):
    NotebookClient(notebook, km=km, timeout=120, allow_errors=True,
                   resources={"metadata": {"path": str(workdir)}}).execute()
    return notebook


def problems(notebook):
    found = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                found.append(f"{cell.source[:60]!r}: {output.ename}: {output.evalue}")
            elif output.get("name") == "stderr" and "%pip install" not in cell.source:
                found.append(f"{cell.source[:60]!r}: stderr: {output.text[:300]}")
    return found


def outputs_text(notebook):
    return "\n".join(json.dumps(output.get("data", {})) for cell in notebook.cells for output in cell.get("outputs", []))


@pytest.fixture(scope="module")
def colab_kernel(tmp_path_factory):
    kernels = tmp_path_factory.mktemp("jupyter")
    (kernels / "kernels" / KERNEL).mkdir(parents=True)
    (kernels / "kernels" / KERNEL / "kernel.json").write_text(json.dumps({
        "argv": [str(PYTHON), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (Colab versions)", "language": "python"}), encoding="utf-8")
    return kernels


def run_twice(notebook, kernels, workdir, monkeypatch):
    """Run the notebook in a kernel, end that kernel and start a new one, as Colab's "Restart session" does
    (a new kernel process on what the first left installed), and run the notebook again; both executed copies."""
    import subprocess

    monkeypatch.setenv("JUPYTER_PATH", str(kernels))
    executed = []
    for notebook_copy in (nbformat.from_dict(json.loads(json.dumps(notebook))), notebook):
        km = KernelManager(kernel_name=KERNEL)
        km.start_kernel(cwd=str(workdir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            executed.append(run(notebook_copy, km, workdir))
        finally:
            km.shutdown_kernel(now=True)
    return executed


def test_both_notebooks_run_in_colab_versions_before_and_after_a_restart(colab, edition_copy, colab_kernel,
                                                                         tmp_path, monkeypatch):
    install_spec = git_release(edition_copy)
    versions = colab_versions()
    expected_line = f"versions {versions['ipython']} {versions['ipykernel']} {versions['traitlets']}"
    for assignment in ASSIGNMENTS:
        source = source_notebook(assignment)
        workdir = tmp_path / assignment
        workdir.mkdir()
        for executed in run_twice(prepared(source, install_spec), colab_kernel, workdir, monkeypatch):
            assert problems(executed) == [], f"{assignment}: {problems(executed)}"
            # print() writes its words one by one, and the kernel may send them as separate stream outputs
            printed = "".join(output.get("text", "") for output in executed.cells[-1].outputs)
            assert expected_line in printed, "an upgraded kernel package"
        if assignment == "pt_part2_music_generation":
            text = outputs_text(executed)
            assert 'class=\\"abcrnn-score' in text, "show_score drew no score"
            assert "data:audio/mpeg;base64," in text, "play_song gave no player"
            assert "image/png" in text, "LossPlot showed no plot"
            assert "application/vnd.jupyter.widget-view+json" in text, "progress_bar showed no widget"
    after = installed()
    assert {name: version for name, version in after.items() if colab.get(name) != version} == {
        "abcrnn": edition.read().version}


def test_the_installed_package_holds_no_solution_or_hidden_test(colab, edition_copy):
    result = pip("install", "-q", "--no-deps", str(edition_copy))
    assert result.returncode == 0, result.stderr[-2000:]
    site_packages = Path(subprocess.run([str(PYTHON), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                        capture_output=True, text=True, check=True).stdout.strip())
    files = [path for path in site_packages.glob("abcrnn*")]
    assert {path.name for path in files} >= {"abcrnn", f"abcrnn-{edition.read().version}.dist-info"}
    for path in files:
        assert secret_lines.leaks_in_tree(path) == []
