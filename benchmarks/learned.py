"""What the course's model learns: the data behind the section «Що навчилася мережа» of chapter 8.

    python benchmarks/learned.py [--steps 1000] [--out DIR] [--tiny]

Trains the reference solution (benchmarks/reference.py) in the notebook's CPU sizes with a constant
learning rate (STUDY: E = 64, H = 512, B = 32, T = 100, Adam 0.003, gradient norm clipped at 1) on CPU,
with the notebook's split (seed 42) and a fixed seed. The committed results were made before the
notebook got its warm-up and cosine schedule and its 3000 steps (chapter 9, «Рецепт навчання зошита»);
STUDY keeps the configuration they were made with, so the script still reproduces them. It records:

- samples generated from "X:" at τ = 0.5 (the notebook's temperature) after 0, 100, 300 and 1000
  steps, with the held-out validation loss at each of those steps;
- the training loss of every step;
- the loss of every character of one validation tune, at each of those steps;
- which LSTM unit best tracks each of a few interpretable quantities of the text (position within the
  bar, position within the line, header or body, inside a quoted chord name). A unit is chosen on one
  half of the validation text and its correlation is reported on the other half, so the number is
  not inflated by the choice; the same is measured on the untrained model, the level reached by
  chance. The activation of the chosen unit over the shown tune is kept.

Writes DIR/learned.json (benchmarks/results/learned by default), a few dozen kilobytes; the book
reads it at build time and trains nothing. The full run takes 10 to 20 minutes on a 2-core CPU (17 for
the committed results, on a machine shared with other work);
--tiny (a few steps, small text) keeps the script working in CI.
"""

import argparse
import json
import platform
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
import abcrnn  # noqa: E402
from reference import load_with_corpus  # noqa: E402
from run import Config, held_out_loss, train_for  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "learned"
SEED = 42  # the notebook's SEED: the same train/validation split and the same initial weights
SNAPSHOTS = (0, 100, 300, 1000)
TEMPERATURE = 0.5
SAMPLE_LENGTH = 600
SAMPLE_SEED = 1
STUDY = Config("learned", embedding_dim=64, hidden_size=512, batch_size=32, seq_length=100, learning_rate=3e-3,
               grad_clip=1.0)
FEATURES = {
    "bar_position": "символів від останньої тактової риски (у тілі мелодії)",
    "line_position": "символів від початку рядка",
    "in_header": "чи символ у заголовку (1) чи в тілі мелодії (0)",
    "in_quotes": "чи символ усередині лапок (назва акорду чи напис)",
}


def text_features(text):
    """Per-character quantities of an ABC text (tunes joined by blank lines); NaN where undefined.

    A tune's header runs from its X: line to its K: line; the body follows. Blank lines between tunes
    have no header/body or bar position. Each value describes the text up to and including its character
    (what the LSTM has read by then): the bar position counts characters read since the last `|` (or
    since the start of the body), 0 on the `|` itself.
    """
    values = {name: np.full(len(text), np.nan) for name in FEATURES}
    in_header, since_bar, offset = False, None, 0
    for line in text.split("\n"):
        blank = line.strip() == ""
        if line.startswith("X:"):
            in_header, since_bar = True, None
        in_quotes = False
        for column, ch in enumerate(line + "\n"):
            i = offset + column
            if i >= len(text):
                break
            # Each value describes the text *after* the character has been read, as the LSTM state does.
            if ch == '"':
                in_quotes = not in_quotes
            values["line_position"][i] = column
            if not blank:
                values["in_header"][i] = 1.0 if in_header else 0.0
                values["in_quotes"][i] = 1.0 if in_quotes else 0.0
                if not in_header and since_bar is not None:
                    since_bar = 0 if ch == "|" else since_bar + 1
                    values["bar_position"][i] = since_bar
        if in_header and line.startswith("K:"):
            in_header, since_bar = False, 0
        offset += len(line) + 1
    return values


def correlations(activations, feature):
    """Pearson correlation of every unit's activation with a feature, over the positions where it is defined."""
    mask = ~np.isnan(feature)
    a, f = activations[mask], feature[mask]
    a = a - a.mean(axis=0)
    f = f - f.mean()
    denominator = np.sqrt((a ** 2).sum(axis=0) * (f ** 2).sum()) + 1e-12
    return (a * f[:, None]).sum(axis=0) / denominator


@torch.no_grad()
def lstm_outputs(ns, model, text):
    """Hidden state h_t of every unit after every character, reading `text` from a zero state."""
    model.eval()
    ids = torch.tensor(ns.vectorize_string(text), dtype=torch.long, device=ns.device)[None]
    output, _ = model.lstm(model.embedding(ids))
    return output[0].cpu().numpy()


@torch.no_grad()
def character_losses(ns, model, tune):
    """Cross-entropy (nats) of each character of `tune`, read after the blank line that precedes a tune."""
    model.eval()
    context = "\n\n" + tune
    ids = torch.tensor(ns.vectorize_string(context), dtype=torch.long, device=ns.device)[None]
    logits = model(ids[:, :-1])[0]
    losses = F.cross_entropy(logits, ids[0, 1:], reduction="none")
    return [round(float(value), 3) for value in losses[1:]]  # from the tune's first character on


def unit_report(ns, model, probe_text):
    """For each feature: the unit most correlated with it on the first half of `probe_text`, and that
    unit's correlation on the second half (held out, so the choice does not inflate it)."""
    half = len(probe_text) // 2
    activations = lstm_outputs(ns, model, probe_text)
    features = text_features(probe_text)
    report = {}
    for name, description in FEATURES.items():
        chosen = correlations(activations[:half], features[name][:half])
        unit = int(np.nanargmax(np.abs(chosen)))
        held_out = correlations(activations[half:], features[name][half:])
        report[name] = {
            "description": description,
            "unit": unit,
            "r_selection": round(float(chosen[unit]), 3),
            "r_held_out": round(float(held_out[unit]), 3),
        }
    return report


def sample(ns, model, length, seed):
    """Text generated from "X:" at the notebook's temperature, without disturbing the training's random state."""
    states = random.getstate(), np.random.get_state(), torch.random.get_rng_state()
    abcrnn.seed_everything(seed)
    text = ns.generate_text(model, "X:", length, temperature=TEMPERATURE)
    random.setstate(states[0])
    np.random.set_state(states[1])
    torch.random.set_rng_state(states[2])
    return text


def pick_tune(validation):
    """The first validation tune of moderate length that check_tune accepts: the one the chapter shades."""
    for tune in validation:
        if 220 <= len(tune) <= 380 and '"' not in tune and abcrnn.check_tune(tune).ok:
            return tune
    return validation[0]


def main(argv=None):
    parser = argparse.ArgumentParser(description="Що навчилася модель курсу: дані для розділу 8.")
    parser.add_argument("--steps", type=int, default=SNAPSHOTS[-1], help="кроків навчання (типово 1000)")
    parser.add_argument("--out", type=Path, default=OUT, help="тека для learned.json")
    parser.add_argument("--tiny", action="store_true", help="кілька кроків і короткий текст (для CI)")
    args = parser.parse_args(argv)
    steps = 6 if args.tiny else args.steps
    snapshots = sorted({s for s in SNAPSHOTS if s <= steps} | ({0, 2, steps} if args.tiny else set()))

    torch.set_num_threads(max(1, torch.get_num_threads()))
    ns, corpus = load_with_corpus("cpu", seed=SEED)
    train_ids, val_ids, validation = corpus.train_ids, corpus.val_ids, corpus.validation
    val_text = "\n\n".join(validation)
    tune = pick_tune(validation)

    records = {}
    probe_text = val_text[: 4000 if args.tiny else 60000]
    untrained = {}
    started = time.perf_counter()

    def on_step(step):
        if step == 0:
            # The same measurement on the untrained model: what a unit "tracks" by chance.
            untrained.update(unit_report(ns, ns.model, probe_text))
        if step in snapshots:
            records[step] = {
                "step": step,
                "val_loss": round(held_out_loss(ns, ns.model, val_ids, max_windows=32 if args.tiny else 256), 4),
                "sample": sample(ns, ns.model, 80 if args.tiny else SAMPLE_LENGTH, SAMPLE_SEED),
                "tune_losses": character_losses(ns, ns.model, tune),
            }
            ns.model.train()
            print(f"крок {step}: валідаційна втрата {records[step]['val_loss']:.3f}", flush=True)

    model, stats = train_for(ns, STUDY, train_ids, None, seed=SEED, max_steps=steps, callback=on_step)
    elapsed = time.perf_counter() - started

    units = unit_report(ns, model, probe_text)
    for name in units:
        units[name]["r_held_out_untrained"] = untrained[name]["r_held_out"]
    half = len(probe_text) // 2
    # The unit shown is the one whose quantity training made it track best: the largest gain in |r| on
    # the held-out half over the untrained model's best unit for the same quantity.
    for figures in units.values():
        figures["gain"] = round(abs(figures["r_held_out"]) - abs(figures["r_held_out_untrained"]), 3)
    shown = max(units, key=lambda name: units[name]["gain"])
    unit = units[shown]["unit"]
    activations = lstm_outputs(ns, model, probe_text)
    features = text_features(probe_text)
    tune_activations = lstm_outputs(ns, model, "\n\n" + tune)[2:, unit]
    held_feature = features[shown][half:]
    held_activation = activations[half:, unit]
    mask = ~np.isnan(held_feature)
    profile = {}
    for value in sorted(set(held_feature[mask].astype(int).tolist())):
        chosen = held_feature[mask] == value
        if chosen.sum() >= 20:
            profile[str(value)] = [round(float(held_activation[mask][chosen].mean()), 4), int(chosen.sum())]

    generated = sample(ns, model, 300 if args.tiny else 3000, SAMPLE_SEED + 1)
    tunes = abcrnn.extract_song_snippet(generated)
    results = {
        "description": "What the course's model learns (benchmarks/learned.py); chapter 8 of the book reads this file.",
        "tiny": args.tiny,
        "device": "cpu",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "machine": platform.processor() or platform.machine(),
        "seed": SEED,
        "config": {"embedding_dim": STUDY.embedding_dim, "hidden_size": STUDY.hidden_size,
                   "batch_size": STUDY.batch_size, "seq_length": STUDY.seq_length,
                   "learning_rate": STUDY.learning_rate, "grad_clip": STUDY.grad_clip},
        "steps": stats["steps"],
        "train_seconds": round(stats["seconds"], 1),
        "elapsed_seconds": round(elapsed, 1),
        "temperature": TEMPERATURE,
        "vocab_size": len(ns.vocab),
        "train_losses": [round(value, 4) for value in stats["train_losses"]],
        "snapshots": [records[step] for step in snapshots],
        "tune": tune,
        "units": units,
        "shown_feature": shown,
        "shown_unit": {
            "feature": shown,
            "unit": unit,
            "tune_activations": [round(float(value), 3) for value in tune_activations],
            "tune_feature": [None if np.isnan(value) else float(value) for value in text_features("\n\n" + tune)[shown][2:]],
            "profile_held_out": profile,
        },
        "final_generation": {
            "length": len(generated) - 2,
            "tunes": len(tunes),
            "valid": sum(abcrnn.check_tune(t).ok for t in tunes),
        },
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "learned.json"
    path.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    for name, figures in units.items():
        print(f"{name}: нейрон {figures['unit']}, r = {figures['r_selection']} (вибір) / {figures['r_held_out']} "
              f"(перевірка); ненавчена модель: {figures['r_held_out_untrained']}")
    print(f"Записано {path} за {elapsed:.0f} с")


if __name__ == "__main__":
    main()
