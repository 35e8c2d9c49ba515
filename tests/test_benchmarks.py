"""The benchmark and experiment scripts keep working: their short CI versions run end to end.

The full runs take an hour and are not tests; these check that the scripts still produce every figure
the book and the course notes rely on, in the documented format, and that the committed results are the
kind the book can show.
"""

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"
COMMITTED = BENCHMARKS / "results" / "experiments"
REQUIRED_KEYS = {"train_chars_per_s", "train_flops_ratio", "loss_5min_mit", "loss_5min_recommended",
                 "gen_chars_per_s", "valid_share_generated", "valid_share_real", "max_similarity_to_training",
                 "device"}


def run_script(*args):
    result = subprocess.run([sys.executable, *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                            timeout=900)
    assert result.returncode == 0, f"{args[0]} завершився з кодом {result.returncode}:\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.fixture(scope="module")
def quick_results(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "latest.json"
    stdout = run_script(BENCHMARKS / "run.py", "--quick", "--budget", "4", "--out", out)
    return json.loads(out.read_text(encoding="utf-8")), stdout


def test_quick_benchmark_reports_every_figure(quick_results):
    results, stdout = quick_results
    assert REQUIRED_KEYS <= results.keys(), f"бракує ключів: {REQUIRED_KEYS - results.keys()}"
    assert results["device"] == "cpu"
    assert results["train_chars_per_s"] > 0 and results["gen_chars_per_s"] > 0
    # An LSTM step cannot run faster than the machine multiplies matrices: a ratio far above 1 means the
    # FLOP count or the timing is wrong.
    assert 0 < results["train_flops_ratio"] < 1.5
    for share in ("valid_share_generated", "valid_share_real"):
        assert 0.0 <= results[share] <= 1.0
    assert "Записано" in stdout and "Проходять усі перевірки" in stdout


def test_quick_benchmark_models_learn(quick_results):
    results, _ = quick_results
    uniform = math.log(94)  # the corpus has 94 distinct characters: loss of a model that knows nothing
    for key in ("loss_5min_mit", "loss_5min_recommended"):
        assert math.isfinite(results[key]) and results[key] < uniform, f"{key} = {results[key]}"


def test_quick_benchmark_judges_music_of_a_model_trained_for_fixed_steps(quick_results):
    """Music quality comes from a model of the recommended configuration trained for a fixed number of
    steps, at the recommended temperature; the committed full run trained it within the 10 minutes the
    course's targets allow and shows the figures for every temperature it tried."""
    results, _ = quick_results
    assert results["quality_model_steps"] == 10
    assert results["quality_model_loss"] < math.log(94)
    assert results["quality_by_temperature"][str(results["temperature"])] == results["quality_generated"]
    committed = json.loads((BENCHMARKS / "results" / "latest.json").read_text(encoding="utf-8"))
    assert not committed["quick"] and committed["budget_s"] == 300
    assert committed["quality_model_train_s"] <= 600
    assert str(committed["temperature"]) in committed["quality_by_temperature"]
    assert len(committed["quality_by_temperature"]) >= 3


def test_quick_benchmark_real_tunes_pass_the_checks(quick_results):
    """The quality checks are calibrated on real tunes: most held-out tunes must pass them."""
    results, _ = quick_results
    assert results["quality_real"]["tunes"] == 10
    assert results["valid_share_real"] >= 0.8


@pytest.fixture(scope="module")
def tiny_experiments(tmp_path_factory):
    out = tmp_path_factory.mktemp("experiments")
    run_script(BENCHMARKS / "experiments.py", "--tiny", "--out", out)
    return out


def test_tiny_experiments_cover_every_variant(tiny_experiments):
    results = json.loads((tiny_experiments / "results.json").read_text(encoding="utf-8"))
    seen = {(run["parameter"], run["value"]) for run in results["runs"]}
    assert ("centre", None) in seen
    expected = {"hidden_size": [128, 1024], "learning_rate": [0.01, 0.005, 0.0005], "seq_length": [50, 200]}
    for parameter, values in expected.items():
        for value in values:
            assert (parameter, value) in seen, f"немає варіанта {parameter}={value}"
    for run in results["runs"]:
        assert len(run["val_curve"]) >= 2 and run["train_curve"], run["config"]["name"]
        assert 0.0 <= run["quality"]["valid"] <= 1.0
    temperatures = results["generation"]["temperature"]
    assert set(temperatures) == {"0.5", "0.8", "1.0", "1.2"}
    for parameter in expected:
        assert (tiny_experiments / f"curves_{parameter}.png").stat().st_size > 1000


def test_generation_from_checkpoint_is_reproducible(tiny_experiments):
    """The book's examples must come out the same from the saved checkpoint, without training."""
    before = json.loads((tiny_experiments / "results.json").read_text(encoding="utf-8"))["generation"]
    run_script(BENCHMARKS / "experiments.py", "--tiny", "--generation-only", "--out", tiny_experiments)
    after = json.loads((tiny_experiments / "results.json").read_text(encoding="utf-8"))["generation"]
    assert after == before


def test_generation_only_without_a_checkpoint_explains_in_ukrainian(tmp_path):
    result = subprocess.run([sys.executable, str(BENCHMARKS / "experiments.py"), "--generation-only",
                             "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert "спершу виконайте повний запуск" in result.stderr


def test_committed_checkpoint_is_small_and_loads():
    checkpoint = COMMITTED / "checkpoint.pt"
    assert checkpoint.stat().st_size <= 10 * 1024 * 1024
    state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    assert len(state["vocab"]) == 94
    results = json.loads((COMMITTED / "results.json").read_text(encoding="utf-8"))
    assert not results["tiny"], "закомічено результати крихітного запуску замість повного"
    assert state["config"] == next(run["config"] for run in results["runs"] if run["parameter"] == "centre")


def test_tiny_learned_run_writes_what_the_book_reads(tmp_path):
    """benchmarks/learned.py --tiny: the same structure as the committed results of chapter 8, in seconds."""
    run_script(BENCHMARKS / "learned.py", "--tiny", "--out", tmp_path)
    results = json.loads((tmp_path / "learned.json").read_text(encoding="utf-8"))
    assert results["tiny"] and results["seed"] == 42
    assert [s["step"] for s in results["snapshots"]][0] == 0
    for snapshot in results["snapshots"]:
        assert snapshot["sample"].startswith("X:") and len(snapshot["tune_losses"]) == len(results["tune"])
    assert results["snapshots"][-1]["val_loss"] < results["snapshots"][0]["val_loss"]
    assert set(results["units"]) == {"bar_position", "line_position", "in_header", "in_quotes"}
    assert results["shown_unit"]["feature"] in results["units"]
    assert len(results["shown_unit"]["tune_activations"]) == len(results["tune"])


def test_text_features_of_an_abc_text():
    sys.path.insert(0, str(BENCHMARKS))
    import learned

    text = 'X:1\nK:G\nGA|"Am"B|\n\nX:2\n'
    features = learned.text_features(text)
    body = text.index("GA")
    assert [features["in_header"][i] for i in range(body)] == [1.0] * body
    assert list(features["bar_position"][body:body + 7]) == [1, 2, 0, 1, 2, 3, 4]  # G A | " A m "
    assert list(features["in_quotes"][body + 3:body + 7]) == [1, 1, 1, 0]
    assert math.isnan(features["bar_position"][text.index("\n\n") + 1])  # the blank line between tunes
