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

from abcrnn.tune_check import TuneReport

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
import diversity  # noqa: E402
import validity  # noqa: E402

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


def test_quick_benchmark_gives_every_share_its_n_and_interval(quick_results):
    results, stdout = quick_results
    for side in ("generated", "real"):
        figures = results[f"quality_{side}"]
        n = figures["tunes"]
        valid = figures["checks"]["valid"]
        assert valid["n"] == n
        assert valid["share"] == results[f"valid_share_{side}"] == figures["valid"]
        failures = figures["failures"]
        assert list(failures) == list(validity.FAILURE_CATEGORIES)
        # Every failing tune is in exactly one category.
        assert sum(category["count"] for category in failures.values()) == n - valid["count"]
        for proportion in [*figures["checks"].values(), *failures.values()]:
            assert proportion["n"] == n
            if n:
                low, high = proportion["ci95"]
                assert low <= proportion["share"] <= high and proportion["count"] == round(proportion["share"] * n)
        for category in failures.values():
            assert len(category["examples"]) == min(2, category["count"])
            assert all(len(example) <= 300 for example in category["examples"])
    assert results["quality_real"]["failures"]["unparsable"]["count"] == 0
    assert "95 % інтервал Вілсона" in stdout and "довжини тактів" in stdout


def test_quick_benchmark_sets_diversity_beside_real_tunes(quick_results):
    results, stdout = quick_results
    generated, real = results["quality_generated"]["diversity"], results["diversity_real"]
    assert real["tunes"] == generated["tunes"] == results["quality_generated"]["tunes"]
    for figures in (generated, real):
        assert figures.keys() == {"tunes", "titles", "keys", "meters", "tune_types", "phrases", "nearest_similarity"}
    similarity = real["nearest_similarity"]
    assert real["phrases"]["total"] > 0 and 0 < similarity["mean"] <= similarity["max"] <= 1
    assert results["max_similarity_to_training"] == generated["nearest_similarity"]["max"]
    assert "Фрази з 4 тактів" in stdout


def test_quick_benchmark_measures_flops_ratio_in_interleaved_rounds(quick_results):
    results, stdout = quick_results
    rounds = results["flops_rounds"]
    assert rounds["rounds"] == 2 and len(rounds["matmul_gflops"]["values"]) == 2
    assert results["matmul_gflops"] == rounds["matmul_gflops"]["median"]
    for name, key in (("recommended", "train_flops_ratio"), ("mit", "mit_train_flops_ratio")):
        ratio = rounds[name]["ratio"]
        assert results[key] == ratio["median"] and ratio["min"] <= ratio["median"] <= ratio["max"]
        per_round = [g / p for g, p in zip(rounds[name]["gflops"]["values"], rounds["matmul_gflops"]["values"])]
        assert ratio["values"] == pytest.approx(per_round)
    assert "раундів" in stdout


def test_wilson_interval_known_values():
    """Newcombe (1998), Statistics in Medicine 17:857, table I, method 3; and 14/30 of chapter 9."""
    for successes, n, expected in ((81, 263, (0.2553, 0.3662)), (15, 148, (0.0624, 0.1605)),
                                   (0, 20, (0.0, 0.1611)), (1, 29, (0.0061, 0.1718)), (14, 30, (0.3023, 0.6386))):
        assert validity.wilson_interval(successes, n) == pytest.approx(expected, abs=5e-5), (successes, n)
    assert validity.wilson_interval(20, 20) == pytest.approx((1 - 0.1611, 1.0), abs=5e-5)
    assert validity.wilson_interval(20, 20)[1] == 1.0 and validity.wilson_interval(0, 20)[0] == 0.0
    assert validity.wilson_interval(0, 0) == (0.0, 1.0)
    assert validity.proportion(3, 4) == {"count": 3, "n": 4, "share": 0.75,
                                         "ci95": list(validity.wilson_interval(3, 4))}


HEADER = "X:1\nT:Test\nM:4/4\nL:1/8\nK:G\n"
GOOD_TUNE = HEADER + "GABc dedB|" * 8
FAILING_TUNES = {
    "missing_headers": "X:1\nT:Test\nK:G\n" + "GABc dedB|" * 8,
    "unparsable": GOOD_TUNE.replace("M:4/4", "M:xyz"),
    "too_few_notes": HEADER + "GABc|",
    "bar_lengths": HEADER + "GABc|" * 8,
}


def test_failure_category_is_the_first_check_failed():
    assert validity.failure_category(abcrnn_check(GOOD_TUNE)) is None
    for category, tune in FAILING_TUNES.items():
        assert validity.failure_category(abcrnn_check(tune)) == category, category
    # Missing headers come first even when the tune does not parse either.
    assert validity.failure_category(abcrnn_check("X:1\nM:xyz\nK:G\n" + "GABc|" * 8)) == "missing_headers"
    # A report that fails for none of the four reasons (music21 failed while measuring the tune).
    odd = TuneReport(fields=dict.fromkeys("XTMLK", True), parses=True, n_notes=40, n_bars=6, ok=False,
                     reasons=["Не вдалося проаналізувати мелодію: KeyError."])
    assert validity.failure_category(odd) == "other"


def abcrnn_check(tune):
    import abcrnn

    return abcrnn.check_tune(tune)


def test_quality_counts_failures_with_examples():
    tunes = [GOOD_TUNE, GOOD_TUNE, FAILING_TUNES["bar_lengths"], *["X:9\nK:D\n" + "d" * 400] * 3]
    figures = validity.quality(tunes)
    assert figures["tunes"] == 6 and figures["valid"] == pytest.approx(2 / 6)
    assert figures["checks"]["valid"]["count"] == 2 and figures["checks"]["all_headers"]["count"] == 3
    # Each check's share counts every tune that passes it; the failures count each tune once, at its first.
    assert figures["checks"]["bars_fit"]["count"] == 5
    failures = figures["failures"]
    assert {name: f["count"] for name, f in failures.items()} == {
        "missing_headers": 3, "unparsable": 0, "too_few_notes": 0, "bar_lengths": 1, "other": 0}
    assert failures["missing_headers"]["examples"] == [tunes[3][:300]] * 2
    assert failures["bar_lengths"]["examples"] == [FAILING_TUNES["bar_lengths"]]
    assert failures["bar_lengths"]["ci95"] == list(validity.wilson_interval(1, 6))


def tune(title="A", key="G", meter="4/4", rhythm=None, body="GABc dedB|"):
    rhythm_line = f"R:{rhythm}\n" if rhythm else ""
    return f"X:1\nT:{title}\n{rhythm_line}M:{meter}\nL:1/8\nK:{key}\n{body}"


def test_diversity_of_identical_tunes():
    tunes = [tune(body="GABc dedB|" * 8)] * 3
    figures = diversity.measure(tunes, training=[tunes[0], tune(title="B")])
    for field in ("titles", "keys", "meters", "tune_types"):
        assert figures[field] == {"distinct": 1, "total": 3, "share": pytest.approx(1 / 3)}, field
    assert figures["phrases"] == {"distinct": 1, "total": 15, "share": pytest.approx(1 / 15)}
    assert figures["nearest_similarity"] == {"max": 1.0, "mean": 1.0, "n": 3}


def test_diversity_normalises_header_values():
    keys = [tune(key=k) for k in ("G", "Gmaj", "G major", "Em", "E minor", "ADor", "A dorian", "Bb")]
    assert diversity.distinct(diversity.field_values(keys, "K", diversity.normal_key))["distinct"] == 4
    meters = [tune(meter=m) for m in ("C", "4/4", "C|", "2/2", "6/8")]
    assert diversity.distinct(diversity.field_values(meters, "M", diversity.normal_meter))["distinct"] == 3
    titles = [tune(title=t) for t in ("The Boys", "the  boys.", "The Girls")]
    assert diversity.distinct(diversity.field_values(titles, "T", diversity.normal_title))["distinct"] == 2
    assert diversity.distinct([None, "a", "a"]) == {"distinct": 1, "total": 2, "share": 0.5}


def test_tune_types_from_rhythm_or_meter():
    cases = {tune(rhythm="Reel"): "reel", tune(rhythm="slipjig", meter="9/8"): "slip jig",
             tune(meter="6/8"): "jig", tune(meter="9/8"): "slip jig", tune(meter="C"): "reel/hornpipe",
             tune(meter="C|"): "reel/hornpipe", tune(meter="2/4"): "polka/march", tune(meter="5/4"): "meter 5/4",
             "X:1\nT:A\nK:G\nGABc|": None}
    assert {t: diversity.tune_type(t) for t in cases} == cases


def test_bars_and_four_bar_phrases():
    text = tune(body='|:"G"GA Bc [K:D]d2|e4 f4::\\\n[CEG]8|1 g8:|[2 a8||\nP:B\n[|B8|]')
    assert diversity.bars(text) == ["GABcd2", "e4f4", "[CEG]8", "g8", "a8", "B8"]
    assert diversity.phrases(text) == ["GABcd2|e4f4|[CEG]8|g8", "e4f4|[CEG]8|g8|a8", "[CEG]8|g8|a8|B8"]
    repeated = tune(body="A8|B8|C8|D8|A8|B8|C8|D8|")
    assert diversity.distinct(diversity.phrases(repeated)) == {"distinct": 4, "total": 5, "share": 0.8}
    assert diversity.phrases(tune(body="A8|B8|C8|")) == []


def test_nearest_similarity_is_to_the_closest_training_tune():
    similarities = diversity.nearest_similarities(["abcd", "wxyz"], ["abcf", "zzzz", "wxyz"])
    assert similarities == pytest.approx([0.75, 1.0])  # "abcd" ~ "abcf": 2 edits over 8 characters
    assert diversity.similarity_summary(similarities) == pytest.approx({"max": 1.0, "mean": 0.875, "n": 2})
    assert diversity.similarity_summary([]) == {"max": None, "mean": None, "n": 0}


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


def test_benchmark_trains_the_notebooks_own_settings(tmp_path):
    """run.py reads sizes, learning rate, warm-up, clipping, weight decay and NUM_STEPS from the notebook's
    settings cell, for the device asked: a changed notebook changes what the benchmark trains."""
    import nbformat
    import reference
    import run
    from autograder.course import settings_cell_index

    cpu, cuda = reference.notebook_settings("cpu"), reference.notebook_settings("cuda")
    assert cuda["HIDDEN_SIZE"] > cpu["HIDDEN_SIZE"], "the GPU gets a bigger model than the CPU"
    nb = nbformat.read(str(reference.PART2), as_version=4)
    cell = nb.cells[settings_cell_index(nb)]
    cell.source = cell.source.replace(f"NUM_STEPS = {cpu['NUM_STEPS']}", "NUM_STEPS = 7").replace(
        f"{cpu['NUM_STEPS']}\n", "7\n").replace("WARMUP = ", "WARMUP = 0.25 or ").replace(
        "WEIGHT_DECAY = ", "WEIGHT_DECAY = 0.05 or ")
    changed = tmp_path / "part2.ipynb"
    nbformat.write(nb, str(changed))
    settings = reference.notebook_settings("cpu", path=changed)
    assert settings["NUM_STEPS"] == 7 and settings["WARMUP"] == 0.25
    config, steps = run.notebook_config("cpu", path=changed)
    assert (steps, config.warmup, config.weight_decay) == (7, 0.25, 0.05)
    assert config.hidden_size == cpu["HIDDEN_SIZE"] and config.grad_clip == cpu["GRAD_CLIP"]
    assert reference.notebook_constant("TEMPERATURE") == 0.5


def test_fraction_schedule_follows_the_notebooks_one_cycle():
    """The time-budgeted benchmark sets the rate from the share of its budget spent; at every share it
    matches the rate of the notebook's OneCycleLR after that share of its steps."""
    import dataclasses
    import warnings

    import run

    config = dataclasses.replace(run.RECOMMENDED, learning_rate=0.004, warmup=0.1)
    steps = 3000  # the order of the notebook's NUM_STEPS
    parameter = torch.zeros(1, requires_grad=True)
    notebook_optimizer = torch.optim.Adam([parameter], lr=config.learning_rate)
    notebook_scheduler = torch.optim.lr_scheduler.OneCycleLR(
        notebook_optimizer, max_lr=config.learning_rate, total_steps=steps, pct_start=config.warmup,
        cycle_momentum=False)
    benchmark_optimizer = torch.optim.Adam([parameter], lr=config.learning_rate)
    schedule = run.FractionSchedule(benchmark_optimizer, config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # stepping a scheduler with no optimizer step in between
        for step in range(steps):
            schedule.advance(step / steps)
            expected = notebook_optimizer.param_groups[0]["lr"]
            assert benchmark_optimizer.param_groups[0]["lr"] == pytest.approx(expected, rel=0.02, abs=1e-6), step
            notebook_scheduler.step()
    rates = []
    benchmark_optimizer = torch.optim.Adam([parameter], lr=config.learning_rate)
    schedule = run.FractionSchedule(benchmark_optimizer, dataclasses.replace(config, warmup=None))
    for fraction in (0.0, 0.5, 1.0):
        schedule.advance(fraction)
        rates.append(benchmark_optimizer.param_groups[0]["lr"])
    assert rates == [config.learning_rate] * 3, "without a warm-up the rate stays constant"


def test_benchmark_model_clips_its_gradient_norm():
    """With grad_clip the benchmark's optimizer clips before every step, as the notebook's hook does."""
    import dataclasses

    import abcrnn
    import run
    from reference import load_reference

    vocab = sorted(set("X:1\nT:a\nM:6/8\nK:D\n|:dB|AF:|"))
    ns = load_reference(vocab, "cpu")
    x = torch.randint(0, len(vocab), (2, 9))
    norms = {}
    for clip in (None, 1e-3):
        config = dataclasses.replace(run.RECOMMENDED, embedding_dim=4, hidden_size=8, grad_clip=clip)
        model, _ = run.fresh_model(ns, config)
        abcrnn.seed_everything(0)
        ns.train_step(x, torch.roll(x, -1, dims=1))
        norms[clip] = float(torch.nn.utils.get_total_norm([p.grad for p in model.parameters()]))
    assert norms[None] > 1e-2 and norms[1e-3] == pytest.approx(1e-3, rel=1e-3)


def test_committed_tuning_results_give_every_share_its_interval():
    """Chapter 9's table of the notebook's recipe: each variant with its label, steps, loss and the
    valid share as a count out of n with its Wilson interval; the notebook's recipe is among them."""
    import tuning

    records = [json.loads(line) for line in
               (BENCHMARKS / "results" / "tuning.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {record["name"] for record in records} <= set(tuning.VARIANTS)
    for record in records:
        assert record["label"] == tuning.LABELS[record["name"]]
        valid = record["valid"]
        assert valid["n"] >= 100 and 0 <= valid["count"] <= valid["n"]
        assert tuple(valid["ci95"]) == pytest.approx(validity.wilson_interval(valid["count"], valid["n"]))
        assert math.isfinite(record["val_loss"]) and record["steps"] > 0
    import run

    recipe = [record for record in records if record["config"]["warmup"] == run.RECOMMENDED.warmup
              and record["config"]["learning_rate"] == run.RECOMMENDED.learning_rate
              and record["config"]["hidden_size"] == run.RECOMMENDED.hidden_size
              and record["config"].get("weight_decay", 0.0) == run.RECOMMENDED.weight_decay
              and record["steps"] == run.QUALITY_STEPS and not record["name"].startswith("stream")]
    assert recipe, "the notebook's own recipe (its settings and NUM_STEPS) is measured in the table"
