"""Distillation on SST-2: students of a fine-tuned minilm-l6 teacher, measured against it on dev.

    python benchmarks/distill.py /work/runs-bench/sst2-minilm --students bert-tiny-mlm teacher:2 \
        --max-unlabeled 10000 --threads 2

Each student is written by ``distill_run`` (what ``headstart compress RUN --distill-to``
runs): the teacher's training data (SST-2 train.tsv: 850 train / 150 validation after
its split) plus ``--max-unlabeled`` sentences sampled from train_full.tsv (labels
ignored; sentences equal to validation texts dropped). Anchor: the teacher itself,
measured in the same process on SST-2 dev (872 sentences): throughput (batch 32,
same code path), single-text latency, accuracy. ``--baseline`` also fine-tunes each
catalog student directly on the labeled data (no teacher) to show what the teacher
adds. Results go to ``bench-out/distill.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "sst2_glue"
OUT = Path(__file__).resolve().parents[1] / "bench-out" / "distill.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("teacher", type=Path)
    parser.add_argument("--students", nargs="+", default=["bert-tiny-mlm"], help="catalog names / folders, or teacher:N (the teacher keeping N layers)")
    parser.add_argument("--unlabeled", type=Path, default=SHARED / "train_full.tsv")
    parser.add_argument("--max-unlabeled", type=int, default=10000)
    parser.add_argument("--eval-data", type=Path, default=SHARED / "dev.tsv")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--learning-rate", type=float, default=1e-4)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--baseline", action="store_true", help="also fine-tune catalog students on the labeled data alone")
    parser.add_argument("--work", type=Path, default=Path(__file__).resolve().parents[1] / "bench-out" / "distill-runs")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    import torch

    from headstart.deploy.distill import DistillOptions, distill_run
    from headstart.runs.environment import machine

    if args.threads:
        torch.set_num_threads(args.threads)
    results = []
    for student in args.students:
        base, _, layers = student.partition(":")
        options = DistillOptions(distill_to=base, student_layers=int(layers) if layers else None, unlabeled=str(args.unlabeled), max_unlabeled=args.max_unlabeled, epochs=args.epochs, learning_rate=args.learning_rate)
        started = time.perf_counter()
        out = args.work / f"student-{student.replace(':', '')}"
        result = distill_run(args.teacher, options, output=out, overwrite=True, eval_data=str(args.eval_data), log=lambda m: print(m, flush=True))
        teacher, pupil = result.rows
        row = {
            "student": student,
            "run_dir": str(out),
            "distill_seconds": round(time.perf_counter() - started, 1),
            "teacher": teacher.to_dict(),
            "student_row": pupil.to_dict(),
            "speedup_throughput": round(pupil.throughput / teacher.throughput, 2),
            "speedup_latency": round(teacher.latency_ms / pupil.latency_ms, 2),
            "accuracy_kept": round(pupil.accuracy / teacher.accuracy, 4),
            "size_ratio": round(pupil.size_mb / teacher.size_mb, 3),
        }
        if args.baseline and base != "teacher":
            row["no_teacher_accuracy"] = fine_tune_alone(args.teacher, base, args.eval_data, args.work / f"alone-{base}")
        results.append(row)
        print(json.dumps(row), flush=True)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"teacher": str(args.teacher), "unlabeled": str(args.unlabeled), "max_unlabeled": args.max_unlabeled, "eval_data": str(args.eval_data), "epochs": args.epochs, "threads": torch.get_num_threads(), "machine": machine(), "students": results}, indent=2) + "\n")
    print("\n| student | size MB | latency ms | sentences/s | speed-up | dev accuracy | kept | no-teacher accuracy |\n|---|---:|---:|---:|---:|---:|---:|---:|")
    t = results[0]["teacher"]
    print(f"| teacher ({Path(args.teacher).name}) | {t['size_mb']} | {t['latency_ms']} | {t['throughput']} | 1.00x | {t['accuracy']:.4f} | 100% | - |")
    for r in results:
        s = r["student_row"]
        print(f"| {r['student']} | {s['size_mb']} | {s['latency_ms']} | {s['throughput']} | {r['speedup_throughput']:.2f}x | {s['accuracy']:.4f} | {100 * r['accuracy_kept']:.1f}% | {r.get('no_teacher_accuracy', '-')} |")
    print(f"\nwritten to {args.out}")


def fine_tune_alone(teacher: Path, base: str, eval_data: Path, out: Path) -> float:
    """The student base fine-tuned on the teacher's labeled data only (same split), its dev accuracy."""
    import yaml

    from headstart.api import evaluate_run, train_run
    from headstart.data.classification import DataSpec
    from headstart.training.config import TrainConfig

    record = yaml.safe_load((teacher / "headstart.yaml").read_text())
    spec = DataSpec(train=record["data"]["train"], split_seed=record["data"].get("split_seed", 13))
    run = train_run(spec, base=base, config=TrainConfig(epochs=8, learning_rate=1e-4), output=out, overwrite=True, log=lambda m: None)
    return round(float(evaluate_run(run.path, eval_data)["accuracy"]), 4)


if __name__ == "__main__":
    main()
