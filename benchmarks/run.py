"""Benchmarks of the reference Part 2 model: throughput, loss at equal time, generation speed, music quality.

    python benchmarks/run.py [--device cpu|cuda] [--quick] [--budget SECONDS]

The recommended configuration is the notebook's own for the device (its settings cell, read by
reference.notebook_settings): sizes, AdamW's weight decay, the peak learning rate with its warm-up and
cosine decay (OneCycleLR), gradient clipping, and NUM_STEPS. MIT's runs as MIT's lab runs it: Adam at a
constant rate, no clipping. Each configuration trains for the budget (300 s), the schedule laid over the budget's seconds.
The music-quality figures judge a separate model of the recommended configuration trained for the
notebook's NUM_STEPS, exactly as a student trains it: bar lengths are what a model learns last, and a
step count, unlike a time budget, gives the same model, and so the same figures, on every run.

That model generates N_TUNES tunes at the recommended temperature (SWEEP_TUNES at the other
temperatures of the sweep); as many real tunes, drawn from the validation tunes with a fixed seed, are
judged the same way. Every share comes with its count, n and a 95 % Wilson interval (validity.py);
failing tunes are sorted by the first check they fail, and the variety of titles, keys, meters, tune
types and 4-bar phrases, and the similarity to the training tunes, are set beside the real tunes'
(diversity.py).

The share of the machine's matrix-multiply rate that training reaches (train_flops_ratio) is measured
in FLOPS_ROUNDS rounds, each a matrix-multiply peak over MATMUL_SIZES followed at once by FLOPS_STEPS
training steps of each configuration, so both rates of a ratio come from the same moment of a busy
machine; the medians and the range over the rounds are reported.

Prints a table and writes benchmarks/results/latest.json. The model code is the reference solution,
taken from the nbgrader source notebook (benchmarks/reference.py), never from the student package.
"""

import argparse
import json
import platform
import random
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import abcrnn  # noqa: E402
import diversity  # noqa: E402
from reference import PART2, load_with_corpus, notebook_constant, notebook_settings  # noqa: E402
from validity import FAILURE_CATEGORIES, quality  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Config:
    name: str
    embedding_dim: int
    hidden_size: int
    batch_size: int
    seq_length: int
    learning_rate: float
    grad_clip: float | None = None  # the gradient norm is clipped to this before every step (None: not clipped)
    warmup: float | None = None  # None: a constant learning rate; a share: OneCycleLR, warm-up then cosine decay
    betas: tuple = (0.9, 0.999)  # Adam's (torch's default, as in the notebook)
    weight_decay: float = 0.0  # AdamW's decoupled weight decay (0: plain Adam)


def notebook_config(device, path=PART2):
    """The training configuration of the notebook at `path` on `device` and its number of steps (NUM_STEPS)."""
    s = notebook_settings(device, path)
    config = Config("recommended", embedding_dim=s["EMBEDDING_DIM"], hidden_size=s["HIDDEN_SIZE"],
                    batch_size=s["BATCH_SIZE"], seq_length=s["SEQ_LENGTH"], learning_rate=s["LEARNING_RATE"],
                    grad_clip=s["GRAD_CLIP"], warmup=s["WARMUP"], weight_decay=s["WEIGHT_DECAY"])
    return config, s["NUM_STEPS"]


# MIT 6.S191's defaults against the configuration the notebook sets on a CPU.
MIT = Config("mit", embedding_dim=256, hidden_size=1024, batch_size=8, seq_length=100, learning_rate=5e-3)
RECOMMENDED, QUALITY_STEPS = notebook_config("cpu")
RECOMMENDED_TEMPERATURE = notebook_constant("TEMPERATURE")
# The --quick run (CI) trains each configuration at least this many steps, however slow the machine is
# that moment, so that its models always learn something (its budget alone gave MIT's 3 steps under load).
QUICK_MIN_STEPS = 15
# Quality is also measured at these temperatures, to show what the recommendation trades away.
SWEEP_TEMPERATURES = (0.4, 0.5, 0.6, 0.8, 1.0)
N_TUNES = 200  # generated tunes at the recommended temperature, and real tunes beside them
SWEEP_TUNES = 100  # generated tunes at each other temperature of the sweep
REAL_SAMPLE_SEED = 0
# The FLOPs ratio: rounds of (matrix-multiply peak, then training steps of each configuration).
FLOPS_ROUNDS = 5
FLOPS_STEPS = 10
MATMUL_SIZES = (1024, 1536, 2048)
MATMUL_SECONDS = 1.0  # per round, shared among the sizes


def matmul_gflops(device, size=2048, seconds=3.0):
    """The machine's dense float32 matrix-multiply rate: the ceiling for an LSTM's own matmuls."""
    a = torch.randn(size, size, device=device)
    b = torch.randn(size, size, device=device)
    a @ b
    synchronize(device)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        a @ b
        count += 1
    synchronize(device)
    elapsed = time.perf_counter() - start
    return 2 * size**3 * count / elapsed / 1e9


def matmul_peak(device, sizes=MATMUL_SIZES, seconds=MATMUL_SECONDS):
    """The best matrix-multiply rate (GFLOP/s) over square matrices of `sizes`, `seconds` in all."""
    return max(matmul_gflops(device, size, seconds / len(sizes)) for size in sizes)


def training_flops_per_char(config, vocab_size):
    """FLOPs to train on one character: forward of the LSTM cell and the output layer, times 3 for backward."""
    lstm = 2 * 4 * config.hidden_size * (config.embedding_dim + config.hidden_size)
    output = 2 * config.hidden_size * vocab_size
    return 3 * (lstm + output)


def synchronize(device):
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def fresh_model(ns, config, seed=0):
    """Set ns.model and ns.optimizer to a new model of `config` and its optimizer: AdamW, as in the notebook
    (with weight_decay 0 it is plain Adam, as in MIT's lab).

    With config.grad_clip the optimizer clips the gradient norm before every step, as the notebook does.
    """
    abcrnn.seed_everything(seed)
    model = ns.LSTMModel(len(ns.vocab), config.embedding_dim, config.hidden_size).to(ns.device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, betas=config.betas,
                                  weight_decay=config.weight_decay)
    if config.grad_clip is not None:
        def clip_gradients(optimizer, args, kwargs):
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)

        optimizer.register_step_pre_hook(clip_gradients)
    ns.model, ns.optimizer = model, optimizer
    return model, optimizer


class FractionSchedule:
    """config's learning-rate schedule, driven by the share of training done (of steps or of seconds).

    The shape is torch's OneCycleLR, as in the notebook, laid over TICKS ticks: a time-budgeted
    run cannot know its number of steps in advance, but it knows what share of its budget has passed.
    """

    TICKS = 10_000

    def __init__(self, optimizer, config):
        self.scheduler = None
        if config.warmup is not None:
            self.scheduler = torch.optim.lr_scheduler.OneCycleLR(
                optimizer, max_lr=config.learning_rate, total_steps=self.TICKS + 1, pct_start=config.warmup,
                cycle_momentum=False)

    def advance(self, fraction):
        """Set the learning rate for the point `fraction` (0 to 1) of training."""
        if self.scheduler is None:
            return
        tick = min(self.TICKS, int(fraction * self.TICKS))
        while self.scheduler.last_epoch < tick:
            self.scheduler.step()


def training_gflops(ns, config, train_ids, steps):
    """GFLOP/s of `steps` training steps of ns.model with ns.optimizer (see training_flops_per_char)."""
    synchronize(ns.device)
    start = time.perf_counter()
    for _ in range(steps):
        x, y = ns.get_batch(train_ids, config.seq_length, config.batch_size)
        ns.train_step(x.to(ns.device), y.to(ns.device))
    synchronize(ns.device)
    chars = steps * config.batch_size * config.seq_length
    return chars * training_flops_per_char(config, len(ns.vocab)) / (time.perf_counter() - start) / 1e9


def spread(values):
    """{"median", "min", "max", "values"} of a list of measurements."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "values": values}


def flops_rounds(ns, configs, train_ids, rounds=FLOPS_ROUNDS, steps=FLOPS_STEPS, sizes=MATMUL_SIZES,
                 seconds=MATMUL_SECONDS):
    """Training rates as a share of the matrix-multiply peak, both measured in the same rounds.

    Each round measures the peak (matmul_peak), then `steps` steps of each configuration (models made
    and warmed up by one untimed step beforehand); a round's ratio divides its training rate by its own
    peak. Returns the spread (median, min, max) of the peak and, per configuration, of the rate and ratio.
    """
    models = {}
    for config in configs:
        models[config.name] = fresh_model(ns, config)
        training_gflops(ns, config, train_ids, 1)
    peaks, rates = [], {config.name: [] for config in configs}
    for _ in range(rounds):
        peaks.append(matmul_peak(ns.device, sizes, seconds))
        for config in configs:
            ns.model, ns.optimizer = models[config.name]
            rates[config.name].append(training_gflops(ns, config, train_ids, steps))
    result = {"rounds": rounds, "steps_per_round": steps, "matmul_sizes": list(sizes),
              "matmul_gflops": spread(peaks)}
    for name, gflops in rates.items():
        result[name] = {"gflops": spread(gflops), "ratio": spread([g / p for g, p in zip(gflops, peaks)])}
    return result


def train_for(ns, config, train_ids, seconds, seed=0, evaluate=None, evaluate_every=None, max_steps=None,
              callback=None, min_steps=0):
    """Train a fresh reference model for `seconds` of wall time; return the model and what it processed.

    With `evaluate` (a function of the model) and `evaluate_every` seconds, it also records a validation
    curve; the time spent evaluating is not counted against the training budget. With `max_steps`, it
    trains for exactly that many steps instead (`seconds` is then ignored); with `min_steps`, it goes on past
    `seconds` until it has made that many steps (a loaded machine still trains something). `callback(steps)`, if given,
    runs before the first step and after every step (ns.model and ns.optimizer are set by then); its
    time is not counted either.
    """
    _, optimizer = fresh_model(ns, config, seed)
    schedule = FractionSchedule(optimizer, config)
    steps, losses, curve = 0, [], []
    trained, next_evaluation = 0.0, 0.0
    if callback is not None:
        callback(steps)
    while (steps < max_steps) if max_steps is not None else (trained < seconds or steps < min_steps):
        if evaluate is not None and trained >= next_evaluation:
            curve.append((trained, steps, evaluate(ns.model)))
            next_evaluation += evaluate_every
        schedule.advance(steps / max_steps if max_steps is not None else trained / seconds)
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
    n_tunes, sweep_tunes = (10, 10) if args.quick else (N_TUNES, SWEEP_TUNES)
    ns, corpus = load_with_corpus(args.device)
    train, validation, train_ids, val_ids = corpus.train, corpus.validation, corpus.train_ids, corpus.val_ids

    recommended, quality_steps = notebook_config(args.device)
    runs = {}
    for config in (MIT, recommended):
        model, stats = train_for(ns, config, train_ids, budget, min_steps=QUICK_MIN_STEPS if args.quick else 0)
        stats["val_loss"] = held_out_loss(ns, model, val_ids, max_windows=32 if args.quick else 256)
        runs[config.name] = (model, stats)
        print(f"{config.name}: {stats['steps']} кроків, {stats['chars_per_s']:.0f} симв./с, "
              f"валідаційна втрата {stats['val_loss']:.3f}", flush=True)
    flops = flops_rounds(ns, (MIT, recommended), train_ids,
                         **(dict(rounds=2, steps=2, sizes=(1024, 2048), seconds=0.3) if args.quick else {}))
    print(f"частка від matmul (рекомендована): {spread_text(flops['recommended']['ratio'])}, "
          f"раундів {flops['rounds']}", flush=True)

    model, stats = runs["recommended"]
    gen_speed = generation_speed(ns, model, 300 if args.quick else 2000)
    model, quality_stats = train_for(ns, recommended, train_ids, None, max_steps=10 if args.quick else quality_steps)
    quality_loss = held_out_loss(ns, model, val_ids, max_windows=32 if args.quick else 256)
    print(f"модель для якості: {quality_stats['steps']} кроків за {quality_stats['seconds']:.0f} с, "
          f"валідаційна втрата {quality_loss:.3f}", flush=True)
    sweep = {}
    for temperature in (RECOMMENDED_TEMPERATURE,) if args.quick else SWEEP_TEMPERATURES:
        count = n_tunes if temperature == RECOMMENDED_TEMPERATURE else sweep_tunes
        tunes = generate_tunes(ns, model, count, temperature, chunk=2000 if args.quick else 4000,
                               max_chunks=3 if args.quick else 60)
        judged = quality(tunes)
        # Cooler sampling repeats itself more: novelty is checked at every temperature, not only the chosen one.
        judged["diversity"] = diversity.measure(tunes, train)
        judged["max_similarity_to_training"] = judged["diversity"]["nearest_similarity"]["max"]
        sweep[temperature] = (tunes, judged)
        print(f"τ = {temperature}: придатних {percent_text(judged['checks']['valid'])}", flush=True)
    generated, generated_quality = sweep[RECOMMENDED_TEMPERATURE]
    # A seeded sample: the validation tunes follow the corpus, collection by collection.
    real = random.Random(REAL_SAMPLE_SEED).sample(validation, min(n_tunes, len(validation)))
    real_quality = quality(real)
    results = {
        "device": str(args.device) + ("" if args.device == "cpu" else f" ({torch.cuda.get_device_name()})"),
        "machine": platform.processor() or platform.machine(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "quick": args.quick,
        "budget_s": budget,
        "matmul_gflops": flops["matmul_gflops"]["median"],
        "train_chars_per_s": stats["chars_per_s"],
        "train_gflops": flops["recommended"]["gflops"]["median"],
        "train_flops_ratio": flops["recommended"]["ratio"]["median"],
        "mit_train_flops_ratio": flops["mit"]["ratio"]["median"],
        "flops_rounds": flops,
        "loss_5min_mit": runs["mit"][1]["val_loss"],
        "loss_5min_recommended": stats["val_loss"],
        "gen_chars_per_s": gen_speed,
        "quality_model_steps": quality_stats["steps"],
        "quality_model_train_s": quality_stats["seconds"],
        "quality_model_loss": quality_loss,
        "temperature": RECOMMENDED_TEMPERATURE,
        "quality_generated": generated_quality,
        "quality_by_temperature": {str(t): q for t, (_, q) in sweep.items()},
        "quality_real": real_quality,
        "real_sample_seed": REAL_SAMPLE_SEED,
        "diversity_real": diversity.measure(real[:len(generated)], train),
        "max_similarity_to_training": generated_quality["max_similarity_to_training"],
        "configs": {c.name: asdict(c) for c in (MIT, recommended)},
        "valid_share_generated": generated_quality["valid"],
        "valid_share_real": real_quality["valid"],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print_table(results)
    print(f"Записано {args.out}")


def percent_text(p):
    """A proportion as "80% [74%–85%] (160/200)": the share, its 95 % Wilson interval, count / n."""
    if not p["n"]:
        return "— (0/0)"
    low, high = p["ci95"]
    return f"{p['share']:.0%} [{low:.0%}–{high:.0%}] ({p['count']}/{p['n']})"


def spread_text(s):
    return f"{s['median']:.2f} ({s['min']:.2f}–{s['max']:.2f})"


def decimal_text(value):
    return "—" if value is None else f"{value:.2f}"


def distinct_text(d):
    return "—" if not d["total"] else f"{d['distinct']} різних з {d['total']} ({d['share']:.2f})"


def print_rows(title, rows):
    """A title line, then the rows (tuples of strings) in columns padded to their widest cell."""
    print(title)
    widths = [max(len(row[i]) for row in rows if i < len(row)) for i in range(max(map(len, rows)))]
    for row in rows:
        print("  " + "  ".join(f"{cell:<{width}}" for cell, width in zip(row, widths)).rstrip())


def print_table(r):
    f = r["flops_rounds"]
    print_rows("Швидкість і втрата", [
        ("Пристрій", r["device"]),
        ("Навчання, символів/с (рекомендована)", f"{r['train_chars_per_s']:.0f}"),
        (f"Множення матриць {'–'.join(map(str, f['matmul_sizes']))}, GFLOP/s: медіана (мін–макс)",
         spread_text(f["matmul_gflops"])),
        ("Частка від швидкості matmul, рекомендована", spread_text(f["recommended"]["ratio"])),
        ("Частка від швидкості matmul, MIT", spread_text(f["mit"]["ratio"])),
        ("  раундів / кроків навчання в раунді", f"{f['rounds']} / {f['steps_per_round']}"),
        (f"Валідаційна втрата за {r['budget_s']:.0f} с: MIT", f"{r['loss_5min_mit']:.3f}"),
        (f"Валідаційна втрата за {r['budget_s']:.0f} с: рекомендована", f"{r['loss_5min_recommended']:.3f}"),
        ("Генерація, символів/с", f"{r['gen_chars_per_s']:.0f}"),
        ("Модель для якості: кроків / секунд / валідаційна втрата",
         f"{r['quality_model_steps']} / {r['quality_model_train_s']:.0f} / {r['quality_model_loss']:.3f}"),
        ("Температура (рекомендована)", f"{r['temperature']}"),
    ])
    g, real = r["quality_generated"], r["quality_real"]
    print_rows("Якість: частка [95 % інтервал Вілсона] (кількість/n)", [
        ("", "згенеровані", "справжні"),
        ("Усі заголовки X T M L K", *(percent_text(q["checks"]["all_headers"]) for q in (g, real))),
        ("Розбирається, ≥ 8 нот", *(percent_text(q["checks"]["parses_8_notes"]) for q in (g, real))),
        ("Такти відповідають M: (≤ 10% хибних)", *(percent_text(q["checks"]["bars_fit"]) for q in (g, real))),
        ("Проходять усі перевірки", *(percent_text(q["checks"]["valid"]) for q in (g, real))),
        ("Відхилені за першою невдалою перевіркою:",),
        *((f"  {label}", *(percent_text(q["failures"][name]) for q in (g, real)))
          for name, label in FAILURE_CATEGORIES.items()),
    ])
    dg, dr = g["diversity"], r["diversity_real"]
    print_rows("Різноманітність (однакова кількість мелодій)", [
        ("", "згенеровані", "справжні"),
        ("Мелодій", str(dg["tunes"]), str(dr["tunes"])),
        *((label, distinct_text(dg[key]), distinct_text(dr[key])) for key, label in (
            ("titles", "Назви T:"), ("keys", "Тональності K:"), ("meters", "Розміри M:"),
            ("tune_types", "Типи (R: або за розміром)"), ("phrases", "Фрази з 4 тактів"))),
        ("Найбільша схожість на навчальну мелодію",
         *(decimal_text(d["nearest_similarity"]["max"]) for d in (dg, dr))),
        ("Середня схожість на найближчу навчальну",
         *(decimal_text(d["nearest_similarity"]["mean"]) for d in (dg, dr))),
    ])
    print_rows("Температури", [("", "придатні", "найбільша схожість")] + [
        (f"τ = {t}", percent_text(q["checks"]["valid"]), decimal_text(q["max_similarity_to_training"]))
        for t, q in r["quality_by_temperature"].items()])


if __name__ == "__main__":
    main()
