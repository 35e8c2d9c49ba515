"""Benchmarks of the reference Part 2 model: throughput, loss at equal time, generation speed, music quality.

    python benchmarks/run.py [--device cpu|cuda] [--quick] [--budget SECONDS]

Each configuration trains for the budget (300 s). The music-quality figures judge a separate model of
the recommended configuration trained for a fixed number of steps (QUALITY_STEPS, under the 10 minutes
the course's targets allow): bar lengths are what a model learns last, and a step count, unlike a time
budget, gives the same model, and so the same figures, on every run.

Prints a table and writes benchmarks/results/latest.json. The model code is the reference solution,
taken from the nbgrader source notebook (benchmarks/reference.py), never from the student package.
"""

import argparse
import json
import platform
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import abcrnn  # noqa: E402
from reference import load_reference  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Config:
    name: str
    embedding_dim: int
    hidden_size: int
    batch_size: int
    seq_length: int
    learning_rate: float


# MIT 6.S191's defaults against the configuration the course recommends for a CPU.
MIT = Config("mit", embedding_dim=256, hidden_size=1024, batch_size=8, seq_length=100, learning_rate=5e-3)
RECOMMENDED = Config("recommended", embedding_dim=64, hidden_size=512, batch_size=32, seq_length=100, learning_rate=3e-3)
RECOMMENDED_TEMPERATURE = 0.5
# About 9 minutes on the 2-core machine of the course's notes (3,200 characters a step).
QUALITY_STEPS = 2400
# Quality is also measured at these temperatures, to show what the recommendation trades away.
SWEEP_TEMPERATURES = (0.5, 0.6, 0.8, 1.0)


def matmul_gflops(device, size=2048, seconds=3.0):
    """The machine's dense float32 matrix-multiply rate: the ceiling for an LSTM's own matmuls."""
    a = torch.randn(size, size, device=device)
    b = torch.randn(size, size, device=device)
    for _ in range(3):
        a @ b
    synchronize(device)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        a @ b
        count += 1
    synchronize(device)
    elapsed = time.perf_counter() - start
    return 2 * size**3 * count / elapsed / 1e9


def training_flops_per_char(config, vocab_size):
    """FLOPs to train on one character: forward of the LSTM cell and the output layer, times 3 for backward."""
    lstm = 2 * 4 * config.hidden_size * (config.embedding_dim + config.hidden_size)
    output = 2 * config.hidden_size * vocab_size
    return 3 * (lstm + output)


def synchronize(device):
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def train_for(ns, config, train_ids, seconds, seed=0, evaluate=None, evaluate_every=None, max_steps=None,
              callback=None):
    """Train a fresh reference model for `seconds` of wall time; return the model and what it processed.

    With `evaluate` (a function of the model) and `evaluate_every` seconds, it also records a validation
    curve; the time spent evaluating is not counted against the training budget. With `max_steps`, it
    trains for exactly that many steps instead (`seconds` is then ignored). `callback(steps)`, if given,
    runs before the first step and after every step (ns.model and ns.optimizer are set by then); its
    time is not counted either.
    """
    abcrnn.seed_everything(seed)
    ns.model = ns.LSTMModel(len(ns.vocab), config.embedding_dim, config.hidden_size).to(ns.device)
    ns.optimizer = torch.optim.Adam(ns.model.parameters(), lr=config.learning_rate)
    steps, losses, curve = 0, [], []
    trained, next_evaluation = 0.0, 0.0
    if callback is not None:
        callback(steps)
    while (steps < max_steps) if max_steps is not None else (trained < seconds):
        if evaluate is not None and trained >= next_evaluation:
            curve.append((trained, steps, evaluate(ns.model)))
            next_evaluation += evaluate_every
        synchronize(ns.device)
        start = time.perf_counter()
        x, y = ns.get_batch(train_ids, config.seq_length, config.batch_size)
        loss = ns.train_step(x.to(ns.device), y.to(ns.device))
        losses.append(float(loss))
        synchronize(ns.device)
        trained += time.perf_counter() - start
        steps += 1
        if callback is not None:
            callback(steps)
    if evaluate is not None:
        curve.append((trained, steps, evaluate(ns.model)))
    chars = steps * config.batch_size * config.seq_length
    stats = {"steps": steps, "seconds": trained, "chars_per_s": chars / trained, "train_losses": losses}
    if evaluate is not None:
        stats["val_curve"] = curve
    return ns.model, stats


@torch.no_grad()
def held_out_loss(ns, model, val_ids, window=256, max_windows=256):
    """Mean cross-entropy in nats per character over fixed, evenly spaced windows of the validation text.

    Every configuration is scored on the same windows, each read from a zero state, so the figures compare.
    """
    model.eval()
    starts = np.linspace(0, len(val_ids) - window - 2, num=min(max_windows, len(val_ids) // window)).astype(int)
    total, count = 0.0, 0
    for chunk in np.array_split(starts, max(1, len(starts) // 32)):
        x = torch.tensor(np.stack([val_ids[s : s + window] for s in chunk]), dtype=torch.long, device=ns.device)
        y = torch.tensor(np.stack([val_ids[s + 1 : s + window + 1] for s in chunk]), dtype=torch.long, device=ns.device)
        loss = ns.compute_loss(y, model(x))
        total += float(loss) * len(chunk)
        count += len(chunk)
    model.train()
    return total / count


def generation_speed(ns, model, length):
    abcrnn.seed_everything(1)
    model.eval()
    start = time.perf_counter()
    with torch.no_grad():
        ns.generate_text(model, "X:", length)
    elapsed = time.perf_counter() - start
    model.train()
    return length / elapsed


def generate_tunes(ns, model, count, temperature, chunk=4000, max_chunks=60, seed=100):
    """Sample text from "X:" until `count` complete tunes are found (or the chunk limit is reached).

    Chunk i is sampled after seed_everything(seed + i), so the same model always gives the same tunes.
    """
    model.eval()
    tunes = []
    with torch.no_grad():
        for index in range(max_chunks):
            abcrnn.seed_everything(seed + index)
            text = ns.generate_text(model, "X:", chunk, temperature=temperature)
            tunes.extend(abcrnn.extract_song_snippet(text))
            if len(tunes) >= count:
                break
    model.train()
    return tunes[:count]


def quality(tunes, reports=None):
    """Shares of tunes passing each check of abcrnn.check_tune (`reports`: their reports, if already made)."""
    if reports is None:
        reports = [abcrnn.check_tune(tune) for tune in tunes]
    n = max(1, len(reports))
    return {
        "tunes": len(reports),
        "all_headers": sum(all(r.fields.values()) for r in reports) / n,
        "parses_8_notes": sum(r.parses and r.n_notes >= 8 for r in reports) / n,
        "bars_fit": sum(r.parses and r.wrong_bar_fraction <= 0.10 for r in reports) / n,
        "valid": sum(r.ok for r in reports) / n,
    }


def max_similarity(generated, training):
    """Highest normalised similarity (0..1) of any generated tune to its nearest training tune."""
    from rapidfuzz import fuzz, process

    best = 0.0
    for tune in generated:
        match = process.extractOne(tune, training, scorer=fuzz.ratio)
        if match is not None:
            best = max(best, match[1] / 100)
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description="Вимірювання еталонної моделі частини 2.")
    parser.add_argument("--device", default="cpu", help="cpu або cuda (типово cpu)")
    parser.add_argument("--quick", action="store_true", help="хвилинна версія для CI")
    parser.add_argument("--budget", type=float, default=None, help="секунд навчання на одну конфігурацію (типово 300)")
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json", help="куди записати JSON")
    args = parser.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("CUDA недоступна на цій машині.")

    budget = args.budget if args.budget is not None else (8.0 if args.quick else 300.0)
    n_tunes = 10 if args.quick else 100
    songs = abcrnn.load_training_data()
    train, validation = abcrnn.split_train_validation(songs)
    vocab = sorted(set("\n\n".join(songs)))
    ns = load_reference(vocab, args.device)
    train_ids = ns.vectorize_string("\n\n".join(train))
    val_ids = ns.vectorize_string("\n\n".join(validation))

    matmul = matmul_gflops(args.device, seconds=1.0 if args.quick else 3.0)
    runs = {}
    for config in (MIT, RECOMMENDED):
        model, stats = train_for(ns, config, train_ids, budget)
        stats["val_loss"] = held_out_loss(ns, model, val_ids, max_windows=32 if args.quick else 256)
        stats["gflops"] = stats["chars_per_s"] * training_flops_per_char(config, len(vocab)) / 1e9
        runs[config.name] = (model, stats)
        print(f"{config.name}: {stats['steps']} кроків, {stats['chars_per_s']:.0f} симв./с, "
              f"валідаційна втрата {stats['val_loss']:.3f}", flush=True)

    model, stats = runs["recommended"]
    gen_speed = generation_speed(ns, model, 300 if args.quick else 2000)
    model, quality_stats = train_for(ns, RECOMMENDED, train_ids, None, max_steps=10 if args.quick else QUALITY_STEPS)
    quality_loss = held_out_loss(ns, model, val_ids, max_windows=32 if args.quick else 256)
    print(f"модель для якості: {quality_stats['steps']} кроків за {quality_stats['seconds']:.0f} с, "
          f"валідаційна втрата {quality_loss:.3f}", flush=True)
    sweep = {}
    for temperature in (RECOMMENDED_TEMPERATURE,) if args.quick else SWEEP_TEMPERATURES:
        tunes = generate_tunes(ns, model, n_tunes, temperature, chunk=2000 if args.quick else 4000,
                               max_chunks=3 if args.quick else 60)
        judged = quality(tunes)
        # Cooler sampling repeats itself more: novelty is checked at every temperature, not only the chosen one.
        judged["max_similarity_to_training"] = max_similarity(tunes, train) if tunes else None
        sweep[temperature] = (tunes, judged)
        print(f"T = {temperature}: придатних {judged['valid']:.0%} з {len(tunes)}", flush=True)
    real = validation[:n_tunes]
    results = {
        "device": str(args.device) + ("" if args.device == "cpu" else f" ({torch.cuda.get_device_name()})"),
        "machine": platform.processor() or platform.machine(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "quick": args.quick,
        "budget_s": budget,
        "matmul_gflops": matmul,
        "train_chars_per_s": stats["chars_per_s"],
        "train_gflops": stats["gflops"],
        "train_flops_ratio": stats["gflops"] / matmul,
        "mit_train_flops_ratio": runs["mit"][1]["gflops"] / matmul,
        "loss_5min_mit": runs["mit"][1]["val_loss"],
        "loss_5min_recommended": stats["val_loss"],
        "gen_chars_per_s": gen_speed,
        "quality_model_steps": quality_stats["steps"],
        "quality_model_train_s": quality_stats["seconds"],
        "quality_model_loss": quality_loss,
        "temperature": RECOMMENDED_TEMPERATURE,
        "quality_generated": sweep[RECOMMENDED_TEMPERATURE][1],
        "quality_by_temperature": {str(t): q for t, (_, q) in sweep.items()},
        "quality_real": quality(real),
        "max_similarity_to_training": sweep[RECOMMENDED_TEMPERATURE][1]["max_similarity_to_training"],
        "configs": {c.name: asdict(c) for c in (MIT, RECOMMENDED)},
    }
    results["valid_share_generated"] = results["quality_generated"]["valid"]
    results["valid_share_real"] = results["quality_real"]["valid"]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print_table(results)
    print(f"Записано {args.out}")


def similarity(figures):
    value = figures["max_similarity_to_training"]
    return "—" if value is None else f"{value:.2f}"


def print_table(r):
    g, real = r["quality_generated"], r["quality_real"]
    rows = [
        ("Пристрій", r["device"]),
        ("Множення матриць 2048², GFLOP/s", f"{r['matmul_gflops']:.1f}"),
        ("Навчання, символів/с (рекомендована)", f"{r['train_chars_per_s']:.0f}"),
        ("Частка від швидкості matmul (рекоменд. / MIT)", f"{r['train_flops_ratio']:.2f} / {r['mit_train_flops_ratio']:.2f}"),
        (f"Валідаційна втрата за {r['budget_s']:.0f} с: MIT", f"{r['loss_5min_mit']:.3f}"),
        (f"Валідаційна втрата за {r['budget_s']:.0f} с: рекомендована", f"{r['loss_5min_recommended']:.3f}"),
        ("Генерація, символів/с", f"{r['gen_chars_per_s']:.0f}"),
        ("Модель для якості: кроків / секунд / валідаційна втрата",
         f"{r['quality_model_steps']} / {r['quality_model_train_s']:.0f} / {r['quality_model_loss']:.3f}"),
        ("Температура (рекомендована)", f"{r['temperature']}"),
        ("Мелодій (згенеровані / справжні)", f"{g['tunes']} / {real['tunes']}"),
        ("Усі заголовки X T M L K", f"{g['all_headers']:.0%} / {real['all_headers']:.0%}"),
        ("Розбирається, ≥ 8 нот", f"{g['parses_8_notes']:.0%} / {real['parses_8_notes']:.0%}"),
        ("Такти відповідають M: (≤ 10% хибних)", f"{g['bars_fit']:.0%} / {real['bars_fit']:.0%}"),
        ("Проходять усі перевірки", f"{g['valid']:.0%} / {real['valid']:.0%}"),
        ("Найбільша схожість на навчальну мелодію", similarity(r)),
    ]
    rows += [(f"  T = {t}: придатні / найбільша схожість", f"{q['valid']:.0%} / {similarity(q)}")
             for t, q in r["quality_by_temperature"].items()]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
