"""get_device, seed_everything, LossPlot and progress_bar: what a student's training loop relies on."""

import os
import random
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
from nbclient import NotebookClient

import abcrnn
from abcrnn import LossPlot, get_device, progress_bar, seed_everything

PACKAGE_PARENT = str(Path(abcrnn.__file__).resolve().parents[1])


# --- get_device ---


def test_get_device_is_cuda_exactly_when_cuda_is_available():
    device = get_device()
    assert isinstance(device, torch.device)
    assert device.type == ("cuda" if torch.cuda.is_available() else "cpu")
    torch.zeros(2, device=device)  # usable as it is


@pytest.mark.parametrize("cuda", [False, True])
def test_get_device_says_which_device_in_ukrainian_only_when_asked(capsys, monkeypatch, cuda):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index=None: "Тестова H200")
    assert get_device().type == ("cuda" if cuda else "cpu")
    assert capsys.readouterr().out == ""
    get_device(verbose=True)
    out = capsys.readouterr().out
    if cuda:  # names the GPU, and nothing about the CPU or how to get a GPU
        assert out == "Обчислення на GPU: Тестова H200.\n"
    else:  # the CPU, and how to switch a GPU on in Colab
        assert "обчислення на CPU" in out and "Тестова H200" not in out
        assert "У Colab увімкніть GPU" in out and "«Змінити тип середовища виконання»" in out


# --- seed_everything ---


def draws(generator=None):
    return (
        random.random(),
        float(np.random.rand()),
        torch.rand(3).tolist(),
        torch.nn.Linear(4, 2).weight.detach().tolist(),  # weight initialisation uses torch's global generator
        torch.randint(0, 100, (5,), generator=generator).tolist() if generator is not None else None,
    )


def test_same_seed_gives_the_same_random_numbers_everywhere():
    first = draws(seed_everything(1234))
    second = draws(seed_everything(1234))
    other = draws(seed_everything(1235))
    assert first == second
    for a, b in zip(first, other):
        assert a != b


def test_seed_everything_returns_a_seeded_cpu_generator_and_asks_cudnn_and_cublas_for_determinism(monkeypatch):
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    generator = seed_everything(7)
    assert isinstance(generator, torch.Generator) and generator.device.type == "cpu"
    assert generator.initial_seed() == 7
    assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
    assert os.environ["CUBLAS_WORKSPACE_CONFIG"] in (":4096:8", ":16:8")  # PyTorch's deterministic settings


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_seed_everything_seeds_the_gpu_too():
    seed_everything(3)
    first = torch.rand(4, device="cuda").tolist()
    seed_everything(3)
    assert torch.rand(4, device="cuda").tolist() == first


@pytest.mark.parametrize("bad, error", [(-1, ValueError), (2**32, ValueError), (1.5, TypeError), ("1", TypeError), (True, TypeError), (None, TypeError)])
def test_bad_seed_is_a_clear_error(bad, error):
    with pytest.raises(error, match="Зерно"):
        seed_everything(bad)


# --- LossPlot ---


def test_loss_plot_keeps_the_history_of_train_and_validation_losses():
    plot = LossPlot(min_interval=0)
    plot.update(0, 4.5)
    plot.update(1, torch.tensor(3.25, requires_grad=True) * 1)  # a loss straight from the model
    plot.update(2, np.float32(2.5), val_loss=torch.tensor([2.75]))
    assert plot.steps == [0, 1, 2] and plot.losses == [4.5, 3.25, 2.5]
    assert plot.val_steps == [2] and plot.val_losses == [2.75]


def count_draws(monkeypatch, plot):
    calls = []
    original = plot._draw
    monkeypatch.setattr(plot, "_draw", lambda figure: (calls.append(1), original(figure)))
    return calls


def test_redraws_are_throttled_and_close_draws_the_rest(monkeypatch):
    plot = LossPlot(min_interval=3600)
    draws_made = count_draws(monkeypatch, plot)
    for step in range(200):
        plot.update(step, 1.0 / (step + 1))
    assert len(draws_made) == 1  # only the first point, then nothing for an hour
    plot.close()
    assert len(draws_made) == 2
    line = plot.figure.axes[0].lines[0]
    assert len(line.get_xdata()) == 200  # the final picture has every point
    plot.close()
    assert len(draws_made) == 2  # nothing new, nothing redrawn


def test_savefig_writes_an_image_with_every_point(tmp_path):
    plot = LossPlot(min_interval=3600, log_scale=True)
    for step in range(50):
        plot.update(step, 2.0 - step / 50, val_loss=2.1 - step / 50 if step % 10 == 0 else None)
    path = plot.savefig(tmp_path / "loss.png")
    assert Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    axes = plot.figure.axes[0]
    assert axes.get_yscale() == "log"
    assert [len(line.get_xdata()) for line in axes.lines] == [50, 5]
    assert axes.get_xlabel() and axes.get_legend() is not None


def test_loss_plot_writes_nothing_to_stderr_even_for_odd_values(capsys, tmp_path):
    with LossPlot(min_interval=0, log_scale=True) as plot:
        for step, loss in enumerate([1.0, 0.0, -1.0, float("nan"), float("inf"), 0.5]):
            plot.update(step, loss)
        plot.savefig(tmp_path / "odd.png")
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""  # nothing printed outside a notebook either


@pytest.mark.parametrize("step, loss", [(0, "abc"), (0, torch.ones(3)), (0, None), ("x", 1.0), (True, 1.0), (float("nan"), 1.0)])
def test_bad_update_values_are_clear_errors(step, loss):
    with pytest.raises(ValueError, match="має бути|не може"):
        LossPlot().update(step, loss)


def test_a_rejected_update_leaves_the_history_as_it_was():
    plot = LossPlot(min_interval=3600)
    plot.update(0, 1.0, val_loss=1.5)
    with pytest.raises(ValueError, match="val_loss"):
        plot.update(1, 0.9, val_loss="висока")
    assert (plot.steps, plot.losses, plot.val_steps, plot.val_losses) == ([0], [1.0], [0], [1.5])


@pytest.mark.parametrize("bad", [-1, "fast", None])
def test_bad_min_interval_is_a_clear_error(bad):
    with pytest.raises(ValueError, match="min_interval"):
        LossPlot(min_interval=bad)


# --- progress_bar ---


def test_progress_bar_iterates_everything_with_a_ukrainian_description(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    bar = progress_bar(range(5), file=sys.stdout)
    assert list(bar) == [0, 1, 2, 3, 4]
    assert bar.desc == "Навчання"
    counter = progress_bar(total=3, desc="Генерація", file=sys.stdout)
    counter.update(3)
    assert counter.n == 3 and counter.desc == "Генерація"
    counter.close()


def test_progress_bar_is_silent_under_nbgrader(monkeypatch, capsys):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    bar = progress_bar(range(100))
    assert list(bar) == list(range(100))
    bar.close()
    assert bar.disable
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("bad", [-1, "10", True])
def test_bad_total_is_a_clear_error(bad):
    with pytest.raises(ValueError, match="total"):
        progress_bar(total=bad)


# --- in a real Jupyter kernel, as in Colab or under nbgrader ---

NOTEBOOK_CELLS = [
    f"import sys; sys.path.insert(0, {PACKAGE_PARENT!r})\nimport abcrnn",
    "for _ in abcrnn.progress_bar(range(3)):\n    pass",
    "plot = abcrnn.LossPlot(min_interval=0)\nfor step in range(3):\n    plot.update(step, 1.0 / (step + 1), val_loss=1.2)\nplot.close()",
    "abcrnn.play_song('X:1\\nK:C\\n')",
    "device = abcrnn.get_device(verbose=True)",
    "abcrnn.show_score('X:1\\nT:T\\nM:2/4\\nL:1/8\\nK:C\\nCDEF|GABc|\\n')",
    "abcrnn.play_song('X:1\\nT:T\\nM:2/4\\nL:1/8\\nK:C\\nCDEF|GABc|\\n')",
]


def run_notebook(monkeypatch, nbgrader_execution):
    if nbgrader_execution:
        monkeypatch.setenv("NBGRADER_EXECUTION", nbgrader_execution)  # the kernel inherits the environment
    else:
        monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in NOTEBOOK_CELLS])
    NotebookClient(notebook, kernel_name="python3", timeout=120).execute()
    return notebook.cells


def stderr_of(cells):
    return [
        output.get("text", output.get("evalue"))
        for cell in cells
        for output in cell.outputs
        if output.output_type == "error" or (output.output_type == "stream" and output.name == "stderr")
    ]


@pytest.mark.parametrize("nbgrader_execution", [None, "autograde"])
def test_helpers_in_a_kernel_write_no_stderr_and_show_their_output(monkeypatch, nbgrader_execution):
    cells = run_notebook(monkeypatch, nbgrader_execution)
    assert stderr_of(cells) == []  # nbgrader would give a cell with stderr output 0 points
    progress_outputs = cells[1].outputs
    if nbgrader_execution:
        assert progress_outputs == []  # switched off under nbgrader
    else:
        assert any("application/vnd.jupyter.widget-view+json" in output.get("data", {}) for output in progress_outputs)
    plot_outputs = cells[2].outputs
    assert len(plot_outputs) == 1 and "image/png" in plot_outputs[0]["data"]  # one image, updated in place
    assert cells[3].outputs[0]["text"].startswith("Не вдалося відтворити мелодію:")
    assert "обчислення на" in cells[4].outputs[0]["text"].lower()
    assert "abcrnn-score" in cells[5].outputs[0]["data"]["text/html"]  # sheet music
    assert "<audio" in cells[6].outputs[0]["data"]["text/html"]  # the player


# --- code_fingerprint: a checkpoint resumes only with the code that made it ---

FINGERPRINT_PROGRAM = '''
import importlib.util, sys
spec = importlib.util.spec_from_file_location("fingerprint", sys.argv[1])  # alone: no torch to import
fingerprint = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fingerprint)
code_fingerprint = fingerprint.code_fingerprint

class Model:
    def __init__(self, size=4):
        self.weights = [[0.5] * size for _ in range(size)]

    def forward(self, x):
        return [max(0.0, sum(w * v for w, v in zip(row, x))) for row in self.weights]

def loss(labels, logits, scale=1.0):
    reduction = "mean" if "mean" in {"mean", "none"} else "sum"
    return scale * sum(logits) / (len(labels) if reduction == "mean" else 1)

print(code_fingerprint(Model, loss))
'''


def _fingerprint_in_new_process(program, hash_seed):
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONHASHSEED": str(hash_seed)}
    module = Path(abcrnn.__file__).with_name("fingerprint.py")
    done = subprocess.run([sys.executable, "-c", program, str(module)], capture_output=True, text=True, env=env, check=True)
    return done.stdout.strip()


def test_code_fingerprint_is_the_same_in_every_session():
    # A new session (new process, other string hashing) must resume the checkpoint of the same code.
    first, second = (_fingerprint_in_new_process(FINGERPRINT_PROGRAM, seed) for seed in (1, 2))
    assert first == second and len(first) == 16


@pytest.mark.parametrize("edit", [
    ("max(0.0, ", "min(0.0, "),                # a fixed bug in a method
    ("size=4", "size=8"),                      # a default argument
    ("scale * ", "scale * 2 * "),              # a constant in the loss
    ('{"mean", "none"}', '{"sum", "none"}'),   # a constant inside a frozenset
])
def test_code_fingerprint_changes_when_the_code_changes(edit):
    changed = FINGERPRINT_PROGRAM.replace(*edit)
    assert changed != FINGERPRINT_PROGRAM
    assert _fingerprint_in_new_process(changed, 0) != _fingerprint_in_new_process(FINGERPRINT_PROGRAM, 0)


def test_code_fingerprint_accepts_any_callable_a_student_may_write():
    import functools

    class Batches:
        def __call__(self, data, length):
            return data[:length]

    def scaled(x, factor):
        return x * factor

    # A callable object, a partial or a lambda must not break the training cell that fingerprints them.
    def shifted(x, factor):
        return x + factor

    values = {abcrnn.code_fingerprint(Batches()), abcrnn.code_fingerprint(functools.partial(scaled, factor=2)),
              abcrnn.code_fingerprint(functools.partial(scaled, factor=3)),
              abcrnn.code_fingerprint(functools.partial(shifted, factor=2)), abcrnn.code_fingerprint(lambda x: x)}
    assert len(values) == 5  # a partial counts by its function and the arguments it fixes
