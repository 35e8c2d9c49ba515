"""Run check_tune over the training corpus and print the quality figures of human-made tunes.

These figures are the baseline that generated tunes are compared against. Usage:

    .venv/bin/python benchmarks/check_corpus.py               # every tune (minutes on 2 cores)
    .venv/bin/python benchmarks/check_corpus.py --sample 100  # 100 tunes per collection
    .venv/bin/python benchmarks/check_corpus.py --jobs 2
"""

import argparse
import random
import statistics
import time
from concurrent.futures import ProcessPoolExecutor

from abcrnn import check_tune, corpus_summary
from abcrnn.corpus import (
    COLLECTIONS,
    music21_corpus_dir,
    read_abc_file,
    training_tunes_by_collection,
    tunes_in_abc_text,
)


def _check(tune):
    started = time.perf_counter()
    report = check_tune(tune)
    elapsed = time.perf_counter() - started
    return report, elapsed


def main():
    parser = argparse.ArgumentParser(description="Показники якості мелодій навчального корпусу.")
    parser.add_argument("--sample", type=int, default=0, help="скільки мелодій зі збірки (0 — усі)")
    parser.add_argument("--jobs", type=int, default=1, help="скільки процесів")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    started = time.perf_counter()
    collections = training_tunes_by_collection()
    all_tunes = [tune for tunes in collections.values() for tune in tunes]
    print(f"load_training_data: {time.perf_counter() - started:.2f} s")
    print(corpus_summary(all_tunes))
    for name in COLLECTIONS:
        files = sorted((music21_corpus_dir() / name).glob("*.abc"))
        raw = sum(len(tunes_in_abc_text(read_abc_file(path))) for path in files)
        print(f"{name}: {len(files)} files, {raw} tunes in them, {len(collections[name])} kept "
              "after removing duplicates")

    for name, tunes in collections.items():
        if args.sample:
            tunes = random.Random(args.seed).sample(tunes, min(args.sample, len(tunes)))
        with ProcessPoolExecutor(args.jobs) as pool:
            results = list(pool.map(_check, tunes, chunksize=8))
        reports = [report for report, _ in results]
        times = [elapsed for _, elapsed in results]
        n = len(reports)

        def share(count):
            return f"{count}/{n} ({count / n:.1%})"

        checked_bars = sum(report.n_bars for report in reports)
        wrong_bars = sum(len(report.wrong_length_bars) for report in reports)
        print(f"\n{name}: {n} tunes")
        print(f"  all of X T M L K:        {share(sum(all(r.fields.values()) for r in reports))}")
        print(f"  parses:                  {share(sum(r.parses for r in reports))}")
        print(f"  >= 8 notes:              {share(sum(r.n_notes >= 8 for r in reports))}")
        print(f"  no wrong-length bar:     {share(sum(r.parses and not r.wrong_length_bars for r in reports))}")
        print(f"  wrong-length bars:       {wrong_bars}/{checked_bars} checked ({wrong_bars / max(checked_bars, 1):.1%})")
        print(f"  ok (verdict):            {share(sum(r.ok for r in reports))}")
        print(f"  check_tune time: mean {statistics.mean(times) * 1000:.0f} ms, "
              f"median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms")
        failing = [r for r in reports if not r.ok][:3]
        for report in failing:
            print("  e.g. not ok:", "; ".join(report.reasons))


if __name__ == "__main__":
    main()
