"""The lab manual's experiments, rerun around the recommended configuration with equal CPU time per run.

    python benchmarks/experiments.py [--budget SECONDS] [--tiny] [--out DIR]
    python benchmarks/experiments.py --generation-only    # from the committed checkpoint, no training

Training variants: hidden size 128/512/1024, learning rate 0.01/0.005/0.0005, sequence length 50/100/200
(everything else as in CENTRE: the notebook's CPU sizes with a constant learning rate and no gradient
clipping, the recipe the committed results were made with, before the notebook got its schedule; see
chapter 9, «Рецепт навчання зошита»); each records train and validation loss curves and
the quality of tunes it generates. Generation variants, with the centre model: start strings, generation
lengths 300/1000/3000 and temperatures 0.5/0.8/1.0/1.2.
Writes results.json, loss-curve figures and the centre model's checkpoint (checkpoint.pt) into DIR
(benchmarks/results/experiments by default). The full run takes about an hour on a 2-core CPU;
--tiny runs a few seconds per variant to keep the script working in CI. --generation-only reloads
checkpoint.pt and redoes the generation study alone, so the book's examples are reproducible without
training.
"""

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import abcrnn  # noqa: E402
from reference import load_reference, load_with_corpus  # noqa: E402
from run import Config, generate_tunes, held_out_loss, train_for  # noqa: E402
from validity import quality  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "experiments"

CENTRE = Config("recommended", embedding_dim=64, hidden_size=512, batch_size=32, seq_length=100, learning_rate=3e-3)
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
VARIANT_TEMPERATURE = 0.8


def variants():
    """Each training variant as (parameter, value, config); the centre (recommended) configuration first."""
    yield "centre", None, CENTRE
    for parameter, values in TRAINING_VARIANTS.items():
        for value in values:
            if getattr(CENTRE, parameter) != value:
                name = f"{parameter}={value}"
                yield parameter, value, dataclasses.replace(CENTRE, name=name, **{parameter: value})


def train_curve(train_losses, val_curve):
    """Mean training loss over each interval between validation points, aligned with those points."""
    points, previous = [], 0
    for seconds, steps, _ in val_curve[1:]:
        window = train_losses[previous:steps]
        if window:
            points.append((seconds, steps, sum(window) / len(window)))
        previous = steps
    return points


def save_checkpoint(model, vocab, path):
    torch.save({"config": dataclasses.asdict(CENTRE), "vocab": vocab, "state_dict": model.state_dict()}, path)


def load_checkpoint(path):
    """The centre model saved by a full run, with the reference namespace built around its vocabulary."""
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    ns = load_reference(checkpoint["vocab"], "cpu")
    config = checkpoint["config"]
    model = ns.LSTMModel(len(checkpoint["vocab"]), config["embedding_dim"], config["hidden_size"])
    model.load_state_dict(checkpoint["state_dict"])
    return ns, model


def generation_study(ns, model, tunes_per_temperature, tiny):
    """Quality by temperature, and examples for each start string and generation length."""
    by_temperature = {}
    for temperature in TEMPERATURES:
        tunes = generate_tunes(ns, model, tunes_per_temperature, temperature, chunk=400 if tiny else 4000,
                               max_chunks=1 if tiny else 20, seed=1000)
        reports = [abcrnn.check_tune(tune) for tune in tunes]
        valid = [tune for tune, report in zip(tunes, reports) if report.ok]
        rejected = [(tune, report.reasons) for tune, report in zip(tunes, reports) if not report.ok]
        by_temperature[str(temperature)] = {
            "quality": quality(tunes, reports),
            "example": valid[0] if valid else None,
            "rejected_example": {"tune": rejected[0][0], "reasons": rejected[0][1]} if rejected else None,
        }
    examples = []
    model.eval()
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


def write_example_tunes(generation, out):
    """One valid generated tune per temperature as example_T<t>.abc, for the book's {abc} directive."""
    for old in out.glob("example_T*.abc"):
        old.unlink()
    for temperature, study in generation["temperature"].items():
        if study["example"]:
            (out / f"example_T{temperature}.abc").write_text(study["example"] + "\n", encoding="utf-8")


def plot_curves(runs, out):
    """One figure per training parameter: loss against training time, one colour per value
    (solid: validation, dashed: mean training loss since the previous point)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for parameter in TRAINING_VARIANTS:
        fig, ax = plt.subplots(figsize=(6.4, 4))
        for run in sorted((r for r in runs if r["parameter"] in (parameter, "centre")),
                          key=lambda r: r["config"][parameter]):
            value = run["config"][parameter]
            line, = ax.plot([p[0] for p in run["val_curve"]], [p[2] for p in run["val_curve"]],
                            marker=".", label=f"{parameter} = {value}")
            ax.plot([p[0] for p in run["train_curve"]], [p[2] for p in run["train_curve"]],
                    linestyle="--", color=line.get_color(), alpha=0.6)
        ax.set_xlabel("час навчання, с")
        ax.set_ylabel("втрата, нат/символ")
        ax.set_title("суцільна — валідаційна, штрихова — навчальна", fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / f"curves_{parameter}.png", dpi=100)
        plt.close(fig)


def train_variants(ns, train_ids, val_ids, budget, tiny):
    """Train every variant for the same budget; return their records and the centre model."""
    def evaluate(model):
        return held_out_loss(ns, model, val_ids, max_windows=8 if tiny else 128)

    runs, centre_model = [], None
    for parameter, value, config in variants():
        model, stats = train_for(ns, config, train_ids, budget, evaluate=evaluate,
                                 evaluate_every=budget / (2 if tiny else 10))
        tunes = generate_tunes(ns, model, 4 if tiny else 30, VARIANT_TEMPERATURE,
                               chunk=400 if tiny else 4000, max_chunks=1 if tiny else 15)
        runs.append({"parameter": parameter, "value": value, "config": dataclasses.asdict(config),
                     "parameters": sum(p.numel() for p in model.parameters()),
                     "steps": stats["steps"], "chars_per_s": stats["chars_per_s"],
                     "val_curve": stats["val_curve"], "train_curve": train_curve(stats["train_losses"],
                                                                                 stats["val_curve"]),
                     "final_val_loss": stats["val_curve"][-1][2],
                     "best_val_loss": min(point[2] for point in stats["val_curve"]),
                     "quality": quality(tunes)})
        print(f"{config.name}: {stats['steps']} кроків, втрата {stats['val_curve'][-1][2]:.3f}, "
              f"придатних мелодій {runs[-1]['quality']['valid']:.0%}", flush=True)
        if parameter == "centre":
            centre_model = model
    return runs, centre_model


def main(argv=None):
    parser = argparse.ArgumentParser(description="Експерименти індивідуальних варіантів лабораторної роботи.")
    parser.add_argument("--budget", type=float, default=300.0, help="секунд навчання на один варіант (типово 300)")
    parser.add_argument("--tiny", action="store_true", help="кілька секунд на варіант (перевірка скрипту в CI)")
    parser.add_argument("--generation-only", action="store_true",
                        help="без навчання: узяти checkpoint.pt з теки результатів і повторити лише генерацію")
    parser.add_argument("--out", type=Path, default=OUT, help="тека для результатів")
    args = parser.parse_args(argv)
    budget = 2.0 if args.tiny else args.budget
    args.out.mkdir(parents=True, exist_ok=True)
    results_path, checkpoint_path = args.out / "results.json", args.out / "checkpoint.pt"

    if args.generation_only:
        if not (results_path.exists() and checkpoint_path.exists()):
            parser.error(f"У {args.out} немає results.json і checkpoint.pt: спершу виконайте повний запуск.")
        results = json.loads(results_path.read_text(encoding="utf-8"))
        ns, centre_model = load_checkpoint(checkpoint_path)
    else:
        ns, corpus = load_with_corpus("cpu")
        runs, centre_model = train_variants(ns, corpus.train_ids, corpus.val_ids, budget, args.tiny)
        save_checkpoint(centre_model, ns.vocab, checkpoint_path)
        results = {"budget_s": budget, "tiny": args.tiny, "torch": torch.__version__,
                   "threads": torch.get_num_threads(), "runs": runs}
        plot_curves(runs, args.out)

    results["generation"] = generation_study(ns, centre_model, 4 if args.tiny else 30, args.tiny)
    results_path.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    write_example_tunes(results["generation"], args.out)
    print(f"Результати записано в {args.out}")


if __name__ == "__main__":
    main()
