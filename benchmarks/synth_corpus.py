"""Speed and robustness of the numpy synthesizer on the training corpus.

    python benchmarks/synth_corpus.py [--limit N]

For every tune of abcrnn.load_training_data() that abcrnn.check_tune accepts (or N tunes spread
evenly over the corpus with --limit), time abcrnn.synthesize (parsing included, as a student
experiences it) and print how many failed and the median, 95th percentile and maximum time per tune,
both in wall-clock time and in CPU time of this process (steadier when others share the machine).
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import abcrnn  # noqa: E402


def spread_sample(items, limit):
    """`limit` items evenly spaced over `items` (all of them when limit is None), order kept."""
    if limit is None or limit >= len(items):
        return list(items)
    step = len(items) / limit
    return [items[int(i * step)] for i in range(limit)]


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main(argv=None):
    parser = argparse.ArgumentParser(description="Швидкість і надійність синтезу звуку на корпусі мелодій.")
    parser.add_argument("--limit", type=int, default=None, help="скільки мелодій узяти (рівномірно з усього корпусу)")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit <= 0:
        parser.error("--limit має бути додатним числом")

    tunes = spread_sample(abcrnn.load_training_data(), args.limit)
    abcrnn.synthesize(tunes[0])  # warm-up: the first call pays for importing music21
    # Wall time is what a student waits; CPU time of this process is steadier on a shared machine.
    wall_times, cpu_times, audio_seconds, failures, rejected = [], [], 0.0, [], 0
    slowest = []
    started = time.perf_counter()
    for tune in tunes:
        if not abcrnn.check_tune(tune).ok:
            rejected += 1
            continue
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            waveform = abcrnn.synthesize(tune)
        except abcrnn.AbcError as error:
            failures.append((title(tune), str(error)))
            continue
        wall_times.append(time.perf_counter() - wall)
        cpu_times.append(time.process_time() - cpu)
        audio_seconds += len(waveform) / abcrnn.SAMPLE_RATE
        slowest.append((cpu_times[-1], title(tune), len(tune)))
    total_wall = time.perf_counter() - started

    print(f"мелодій у вибірці:          {len(tunes)}")
    print(f"відхилено check_tune:       {rejected}")
    print(f"синтезовано:                {len(wall_times)}")
    print(f"помилок синтезу:            {len(failures)}")
    if wall_times:
        for name, times in (("реальний час", wall_times), ("час CPU", cpu_times)):
            print(
                f"{name} на мелодію, мс:  медіана {statistics.median(times) * 1000:.0f}, "
                f"95-й процентиль {percentile(times, 0.95) * 1000:.0f}, найбільший {max(times) * 1000:.0f}"
            )
        print(f"звуку всього:               {audio_seconds / 60:.1f} хв")
        print(f"тривалість звуку / час синтезу: {audio_seconds / sum(wall_times):.0f}")
        for cpu, name, n_chars in sorted(slowest, reverse=True)[:3]:
            print(f"  найповільніша: {name} ({n_chars} символів): {cpu * 1000:.0f} мс CPU")
    print(f"загальний час (з check_tune): {total_wall:.1f} с")
    for name, reason in failures[:10]:
        print(f"  помилка: {name}: {reason}")
    return 1 if failures else 0


def title(tune):
    """The T: line of a tune, for naming it in the report."""
    return next((line[2:].strip() for line in tune.splitlines() if line.startswith("T:")), "(без назви)")


if __name__ == "__main__":
    sys.exit(main())
