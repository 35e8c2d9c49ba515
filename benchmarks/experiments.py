"""The lab manual's experiments, rerun around the recommended configuration with equal CPU time per run.

    python benchmarks/experiments.py [--budget SECONDS] [--tiny] [--out DIR]

Training variants: hidden size 128/512/1024, learning rate 0.01/0.005/0.0005, sequence length 50/100/200
(everything else as in the recommended configuration). Generation variants, with the centre model:
start strings, generation lengths 300/1000/3000 and temperatures 0.5/0.8/1.0/1.2.
Writes results.json, loss-curve figures and the centre model's checkpoint (checkpoint.pt) into DIR
(benchmarks/results/experiments by default). The full run takes about an hour on a 2-core CPU;
--tiny runs a few seconds per variant to keep the script working in CI.
"""

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import abcrnn  # noqa: E402
from reference import load_reference  # noqa: E402
from run import RECOMMENDED, held_out_loss, quality, train_for  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "experiments"

TRAINING_VARIANTS = {
    "hidden_size": [128, 512, 1024],
    "learning_rate": [0.01, 0.005, 0.0005],
    "seq_length": [50, 100, 200],
}
START_STRINGS = {
    "X:": "X:",
    "заголовок (K:D, M:6/8)": "X:1\nT:\nM:6/8\nL:1/8\nK:D\n",
    "перший такт «The Legacy Jig»": "X:1\nT:The Legacy Jig\nM:6/8\nL:1/8\nK:G\nGFG GAB|",
}
GENERATION_LENGTHS = [300, 1000, 3000]
TEMPERATURES = [0.5, 0.8, 1.0, 1.2]


def variants():
    """Each training variant as (parameter, value, config); the centre (recommended) configuration first."""
    yield "centre", None, RECOMMENDED
    for parameter, values in TRAINING_VARIANTS.items():
        for value in values:
            if getattr(RECOMMENDED, parameter) != value:
                name = f"{parameter}={value}"
                yield parameter, value, dataclasses.replace(RECOMMENDED, name=name, **{parameter: value})


def generation_study(ns, model, tunes_per_temperature, tiny):
    """Quality by temperature, and examples for each start string and generation length."""
    model.eval()
    by_temperature = {}
    for temperature in TEMPERATURES:
        tunes = []
        for attempt in range(2 if tiny else 20):
            abcrnn.seed_everything(1000 + attempt)
            with torch.no_grad():
                text = ns.generate_text(model, "X:", 1000 if tiny else 4000, temperature=temperature)
            tunes.extend(abcrnn.extract_song_snippet(text))
            if len(tunes) >= tunes_per_temperature:
                break
        by_temperature[str(temperature)] = {"quality": quality(tunes[:tunes_per_temperature]),
                                            "example": tunes[0] if tunes else None}
    examples = []
    for label, start in START_STRINGS.items():
        for length in GENERATION_LENGTHS[:1] if tiny else GENERATION_LENGTHS:
            abcrnn.seed_everything(7)
            with torch.no_grad():
                text = ns.generate_text(model, start, length, temperature=0.8)
            tunes = abcrnn.extract_song_snippet(text, include_unfinished=True)
            examples.append({"start": label, "length": length, "text": text,
                             "complete_tunes": len(abcrnn.extract_song_snippet(text)),
                             "valid_tunes": sum(abcrnn.check_tune(t).ok for t in tunes)})
    model.train()
    return {"temperature": by_temperature, "examples": examples}


def plot_curves(runs, out):
    """One figure per training parameter: validation loss against training time, one line per value."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for parameter in TRAINING_VARIANTS:
        fig, ax = plt.subplots(figsize=(6, 4))
        for run in runs:
            if run["parameter"] in (parameter, "centre"):
                seconds = [point[0] for point in run["val_curve"]]
                losses = [point[2] for point in run["val_curve"]]
                value = run["config"][parameter]
                ax.plot(seconds, losses, marker=".", label=f"{parameter} = {value}")
        ax.set_xlabel("час навчання, с")
        ax.set_ylabel("валідаційна втрата, нат/символ")
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / f"curves_{parameter}.png", dpi=110)
        plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Експерименти індивідуальних варіантів лабораторної роботи.")
    parser.add_argument("--budget", type=float, default=300.0, help="секунд навчання на один варіант (типово 300)")
    parser.add_argument("--tiny", action="store_true", help="кілька секунд на варіант (перевірка скрипту в CI)")
    parser.add_argument("--out", type=Path, default=OUT, help="тека для результатів")
    args = parser.parse_args(argv)
    budget = 2.0 if args.tiny else args.budget
    args.out.mkdir(parents=True, exist_ok=True)

    songs = abcrnn.load_training_data()
    train, validation = abcrnn.split_train_validation(songs)
    vocab = sorted(set("\n\n".join(songs)))
    ns = load_reference(vocab, "cpu")
    train_ids = ns.vectorize_string("\n\n".join(train))
    val_ids = ns.vectorize_string("\n\n".join(validation))

    def evaluate(model):
        return held_out_loss(ns, model, val_ids, max_windows=16 if args.tiny else 128)

    runs, centre_model = [], None
    for parameter, value, config in variants():
        model, stats = train_for(ns, config, train_ids, budget, evaluate=evaluate,
                                 evaluate_every=budget / (2 if args.tiny else 10))
        runs.append({"parameter": parameter, "value": value, "config": dataclasses.asdict(config),
                     "steps": stats["steps"], "chars_per_s": stats["chars_per_s"],
                     "val_curve": stats["val_curve"], "final_val_loss": stats["val_curve"][-1][2]})
        print(f"{config.name}: {stats['steps']} кроків, втрата {stats['val_curve'][-1][2]:.3f}", flush=True)
        if parameter == "centre":
            centre_model = model

    torch.save({"config": dataclasses.asdict(RECOMMENDED), "vocab": vocab, "state_dict": centre_model.state_dict()},
               args.out / "checkpoint.pt")
    generation = generation_study(ns, centre_model, 4 if args.tiny else 30, args.tiny)
    results = {"budget_s": budget, "tiny": args.tiny, "torch": torch.__version__, "runs": runs,
               "generation": generation}
    (args.out / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    plot_curves(runs, args.out)
    print(f"Результати записано в {args.out}")


if __name__ == "__main__":
    main()
