"""The path to the notebook's training recipe: one change at a time, same seed, equal steps.

    python benchmarks/tuning.py [--steps N] [--tunes N] [--only NAME ...] [--out FILE]

Each variant trains a fresh reference model (seed 0) for the same number of steps, then reports its
held-out loss (run.held_out_loss) and the share of N generated tunes at the recommended temperature
that pass check_tune, with its 95 % Wilson interval. Steps rather than seconds: the 2-core machines this
runs on change speed by a quarter from minute to minute, which would blur differences of a few hundredths
of a nat. A variant that changes the cost of a step (sizes) is given, with --steps, the steps that its
speed relative to the base buys in the same time; --speed measures those speeds in interleaved rounds
(run.flops_rounds).

Results are appended, one JSON object per line, to benchmarks/results/tuning.jsonl (or --out).
"""

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference import load_with_corpus  # noqa: E402
from run import RECOMMENDED, RECOMMENDED_TEMPERATURE, flops_rounds, generate_tunes, held_out_loss  # noqa: E402
from run import FractionSchedule, fresh_model, train_for, training_flops_per_char  # noqa: E402
from validity import quality  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "tuning.jsonl"
BASE = dataclasses.replace(RECOMMENDED, name="base", grad_clip=None, warmup=None)

VARIANTS = {
    "base": BASE,
    "clip": dataclasses.replace(BASE, name="clip", grad_clip=1.0),
    "clip+cos3e-3": dataclasses.replace(BASE, name="clip+cos3e-3", grad_clip=1.0, warmup=0.1),
    "clip+cos6e-3": dataclasses.replace(BASE, name="clip+cos6e-3", grad_clip=1.0, warmup=0.1, learning_rate=6e-3),
    "clip+cos1e-2": dataclasses.replace(BASE, name="clip+cos1e-2", grad_clip=1.0, warmup=0.1, learning_rate=1e-2),
}
COSINE = VARIANTS["clip+cos3e-3"]
VARIANTS.update({
    "stream+clip+cos3e-3": dataclasses.replace(COSINE, name="stream+clip+cos3e-3"),
    "H384+clip+cos3e-3": dataclasses.replace(COSINE, name="H384+clip+cos3e-3", hidden_size=384),
    "H256+clip+cos3e-3": dataclasses.replace(COSINE, name="H256+clip+cos3e-3", hidden_size=256),
    "T200B16+clip+cos3e-3": dataclasses.replace(COSINE, name="T200B16+clip+cos3e-3", seq_length=200, batch_size=16),
    "T50B64+clip+cos3e-3": dataclasses.replace(COSINE, name="T50B64+clip+cos3e-3", seq_length=50, batch_size=64),
    "E128+clip+cos3e-3": dataclasses.replace(COSINE, name="E128+clip+cos3e-3", embedding_dim=128),
    "beta2+clip+cos3e-3": dataclasses.replace(COSINE, name="beta2+clip+cos3e-3", betas=(0.9, 0.99)),
    "wd+clip+cos3e-3": dataclasses.replace(COSINE, name="wd+clip+cos3e-3", weight_decay=0.1),
    "wd0.3+clip+cos3e-3": dataclasses.replace(COSINE, name="wd0.3+clip+cos3e-3", weight_decay=0.3),
})

# What each variant changes, for the book's table (chapter 9, «Рецепт навчання зошита»).
LABELS = {
    "base": "стала η = 0,003, без обрізання градієнта",
    "clip": "+ обрізання норми градієнта до 1",
    "clip+cos3e-3": "+ розігрів 10 % кроків і косинусний спад, η_max = 0,003",
    "clip+cos6e-3": "те саме, η_max = 0,006",
    "clip+cos1e-2": "те саме, η_max = 0,01",
    "stream+clip+cos3e-3": "те саме, η_max = 0,003, і стан LSTM переходить між сусідніми вікнами",
    "H384+clip+cos3e-3": "те саме, H = 384",
    "H256+clip+cos3e-3": "те саме, H = 256",
    "T200B16+clip+cos3e-3": "те саме, T = 200, B = 16",
    "T50B64+clip+cos3e-3": "те саме, T = 50, B = 64",
    "E128+clip+cos3e-3": "те саме, вкладення розміру 128 замість 64",
    "beta2+clip+cos3e-3": "те саме, β₂ = 0,99 в Adam замість 0,999",
    "wd+clip+cos3e-3": "те саме, AdamW зі згасанням ваг 0,1 замість Adam",
    "wd0.3+clip+cos3e-3": "те саме, AdamW зі згасанням ваг 0,3",
}


def train_streams(ns, config, train_ids, steps, seed=0):
    """Truncated backpropagation through time over a stream, as char-rnn trains: a measured alternative.

    The text is cut into batch_size equal streams; step i reads the i-th window of each and starts from
    the state the previous window left (detached, so gradients stay within one window). The graded
    train_step(x, y) always starts from a zero state, so this loop is written here, not taken from it.
    """
    model, optimizer = fresh_model(ns, config, seed)
    schedule = FractionSchedule(optimizer, config)
    length = (len(train_ids) - 1) // config.batch_size
    offsets = torch.arange(config.batch_size) * length
    ids = torch.as_tensor(train_ids, dtype=torch.long)
    state, position, start = None, 0, time.perf_counter()
    for step in range(steps):
        if position + config.seq_length > length:
            state, position = None, 0
        schedule.advance(step / steps)
        index = offsets[:, None] + position + torch.arange(config.seq_length)
        x, y = ids[index], ids[index + 1]
        model.train()
        optimizer.zero_grad()
        logits, state = model(x, state, return_state=True)
        loss = ns.compute_loss(y, logits)
        loss.backward()
        optimizer.step()
        state = tuple(part.detach() for part in state)
        position += config.seq_length
    seconds = time.perf_counter() - start
    return model, {"steps": steps, "seconds": seconds,
                   "chars_per_s": steps * config.batch_size * config.seq_length / seconds}


def speed(ns, configs, train_ids):
    """Median steps per second of each config, from run.flops_rounds (its interleaved rounds)."""
    rounds = flops_rounds(ns, configs, train_ids)
    return {c.name: rounds[c.name]["gflops"]["median"] * 1e9
            / (c.batch_size * c.seq_length * training_flops_per_char(c, len(ns.vocab))) for c in configs}


def main(argv=None):
    parser = argparse.ArgumentParser(description="Пошук рецепта навчання: одна зміна за раз.")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--tunes", type=int, default=100)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--speed", action="store_true", help="лише виміряти кроки за секунду варіантів --only")
    args = parser.parse_args(argv)
    ns, corpus = load_with_corpus("cpu")
    train_ids, val_ids = corpus.train_ids, corpus.val_ids
    if args.speed:
        rates = speed(ns, [VARIANTS[name] for name in args.only or VARIANTS], train_ids)
        for name, rate in rates.items():
            print(f"{name}: {rate:.2f} кроків/с", flush=True)
        return
    for name in args.only or VARIANTS:
        config = VARIANTS[name]
        if name.startswith("stream"):
            model, stats = train_streams(ns, config, train_ids, args.steps)
        else:
            model, stats = train_for(ns, config, train_ids, None, max_steps=args.steps)
        loss = held_out_loss(ns, model, val_ids)
        tunes = generate_tunes(ns, model, args.tunes, RECOMMENDED_TEMPERATURE)
        judged = quality(tunes)
        record = {"name": name, "label": LABELS[name], "config": dataclasses.asdict(config), "steps": stats["steps"],
                  "seconds": stats["seconds"], "chars_per_s": stats["chars_per_s"], "val_loss": loss,
                  "valid": judged["checks"]["valid"], "failures": {k: v["count"] for k, v in judged["failures"].items()}}
        with args.out.open("a", encoding="utf-8") as out:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        v = judged["checks"]["valid"]
        print(f"{name}: {stats['steps']} кроків за {stats['seconds']:.0f} с, втрата {loss:.3f}, придатних "
              f"{v['count']}/{v['n']} [{v['ci95'][0]:.0%}–{v['ci95'][1]:.0%}]", flush=True)


if __name__ == "__main__":
    main()
