"""The CSV files behind BENCHMARKS.md, "`--method auto`: contrastive against full fine-tuning".

    python benchmarks/auto_choice_data.py      # writes bench-out/data/{trec,banking77,clinc150}/*.csv

Written from ../shared/data into bench-out (never into the repository):
- trec/trec_train.csv, trec_test.csv: TREC's coarse labels (the part before ':');
- trec/fine_train.csv, fine_test.csv: TREC's fine labels with at least 20 training questions (33 of 50);
- banking77/b10_*.csv, b20_*.csv: BANKING77 restricted to 10 / 20 intents drawn with
  ``random.Random(0).sample(sorted(intents), k)`` (the 10 are the first 10 of the 20);
- clinc150/train.csv, test.csv: CLINC150's 150 in-scope intents (``data_full.json``; out-of-scope left out);
- clinc150/domains_*.csv: the same texts labeled with their intent's domain (10, ``domains.json``);
- sms_spam/train.csv, test.csv: SMS spam vs ham, shuffled with ``random.Random(0)`` and split 80 / 20.
"""

from __future__ import annotations

import csv
import json
import random
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "bench-out" / "data"


def write(path: Path, header: list[str], rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def trec(name: str) -> list[tuple[str, str]]:
    """(question, fine label) pairs of a TREC file ('DESC:manner How did ...')."""
    rows = []
    for line in (DATA / "trec" / name).read_text(encoding="latin-1").splitlines():
        if line.strip():
            label, _, text = line.partition(" ")
            rows.append((text, label))
    return rows


def main() -> None:
    train, test = trec("TREC.train"), trec("TREC.test")
    for split, rows in (("train", train), ("test", test)):
        write(OUT / "trec" / f"trec_{split}.csv", ["text", "label"], [(t, l.split(":")[0]) for t, l in rows])
    train_counts, test_counts = Counter(l for _, l in train), Counter(l for _, l in test)
    fine = {l for l, n in train_counts.items() if n >= 20 and test_counts[l] >= 1}
    for split, rows in (("train", train), ("test", test)):
        write(OUT / "trec" / f"fine_{split}.csv", ["text", "label"], [r for r in rows if r[1] in fine])

    banking = {split: list(csv.DictReader((DATA / "banking77" / f"{split}.csv").open(encoding="utf-8"))) for split in ("train", "test")}
    intents = sorted({r["category"] for r in banking["train"]})
    for k in (10, 20):
        keep = set(random.Random(0).sample(intents, k))
        for split, rows in banking.items():
            write(OUT / "banking77" / f"b{k}_{split}.csv", ["text", "category"], [(r["text"], r["category"]) for r in rows if r["category"] in keep])

    clinc = json.loads((DATA / "clinc150" / "data_full.json").read_text(encoding="utf-8"))
    for split in ("train", "test"):
        write(OUT / "clinc150" / f"{split}.csv", ["text", "label"], clinc[split])
    # Held out from fitting the separability line (sixteenth session): CLINC150's 10 domains, and SMS spam.
    domain_of = {intent: domain for domain, members in json.loads((DATA / "clinc150" / "domains.json").read_text(encoding="utf-8")).items() for intent in members}
    for split in ("train", "test"):
        write(OUT / "clinc150" / f"domains_{split}.csv", ["text", "label"], [(t, domain_of[i]) for t, i in clinc[split]])
    sms = [line.split("\t", 1)[::-1] for line in (DATA / "sms_spam" / "SMSSpamCollection").read_text(encoding="utf-8").splitlines() if line.strip()]
    order = list(range(len(sms)))
    random.Random(0).shuffle(order)
    cut = len(order) * 4 // 5
    for split, indices in (("train", sorted(order[:cut])), ("test", sorted(order[cut:]))):
        write(OUT / "sms_spam" / f"{split}.csv", ["text", "label"], [sms[i] for i in indices])
    print(f"written under {OUT}")


if __name__ == "__main__":
    main()
