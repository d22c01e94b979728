"""Curation at scale: `decif curate` (the real command, start-up included) on a run of
synthetic accepted samples with planted near-duplicates and planted evaluation prompts,
against an IFEval-sized evaluation set and one ten times larger. Prints seconds, peak
memory (the process's maximum resident set) and recall/precision on the planted cases,
then what a rerun costs with nothing new and with 1% more samples.

    python bench/curate.py [--samples 100000]

Texts are made of a Zipf-distributed vocabulary (a few words very common, as in English)
with decif's own constraint sentences appended, so unrelated instructions share words and
sentences as real ones do. Planted near-duplicates copy an earlier instruction with one
edit - a changed word, two sentences swapped, or the case and punctuation changed - and
are kept only when their word-bigram Jaccard similarity to the original is at least 0.8
(well above the 0.7 threshold; a pair at the threshold is flagged half the time).
Planted contamination puts a whole evaluation prompt in an instruction or a response;
paraphrases (every fourth word changed) are planted too, and must not be flagged.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from checkpoints import SampleStore
from checkpoints.words import ngrams, words
from nodes.constraints.stating import sentence

IFEVAL_SIZE = 541
CONSTRAINTS = [  # (type, its kwargs drawn)
    ("punctuation:no_comma", lambda r: {}),
    ("length_constraints:number_words",
     lambda r: {"relation": "less than", "num_words": r.randrange(50, 400)}),
    ("detectable_format:number_bullet_lists", lambda r: {"num_bullets": r.randrange(2, 8)}),
    ("change_case:english_lowercase", lambda r: {}),
    ("startend:end_checker",
     lambda r: {"end_phrase": f"Is there anything else {r.randrange(99)}?"}),
    ("detectable_content:number_placeholders", lambda r: {"num_placeholders": r.randrange(1, 5)}),
]  # fmt: skip


# How the evaluation prompts state constraints: in words of their own, as IFEval's do (12 of
# decif's sentences share an 8-word run with IFEval's, which the template figures report).
EVAL_SENTENCES = [
    "Make sure the whole answer stays under {n} words.",
    "Please keep every single letter lowercase throughout the reply.",
    "Finish by asking whether they need any more help.",
    "Format it as exactly {n} markdown bullet points.",
    "Avoid commas entirely.",
]


class Texts:
    """Synthetic text from a Zipf-distributed vocabulary of made-up words."""

    def __init__(self, rng: random.Random, size: int = 30_000):
        self.rng = rng
        syllables = ["ka", "lo", "mi", "ne", "ru", "so", "ta", "vi", "be", "do", "fa", "gu"]
        self.vocabulary = [
            "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) + str(i)
            for i in range(size)
        ]
        self.cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(size)))

    def sentence(self, length: int) -> str:
        chosen = self.rng.choices(self.vocabulary, cum_weights=self.cumulative, k=length)
        return " ".join(chosen).capitalize() + "."

    def task(self) -> str:
        return " ".join(
            self.sentence(self.rng.randint(8, 16)) for _ in range(self.rng.randint(2, 3))
        )


def drawn(rng: random.Random) -> list[dict]:
    """1-3 constraints with values, as a sample draws them."""
    return [
        {"id": i, "kwargs": kwargs(rng)} for i, kwargs in rng.sample(CONSTRAINTS, rng.randint(1, 3))
    ]


def stated(constraints: list[dict]) -> str:
    return " ".join(sentence(c) for c in constraints)


def eval_prompt(rng: random.Random, texts: Texts) -> str:
    chosen = rng.sample(EVAL_SENTENCES, rng.randint(1, 2))
    return f"{texts.task()} " + " ".join(c.format(n=rng.randrange(2, 400)) for c in chosen)


def jaccard(a: str, b: str) -> float:
    x, y = set(ngrams(words(a), 2)), set(ngrams(words(b), 2))
    return len(x & y) / len(x | y)


def near_copy(rng: random.Random, texts: Texts, original: str) -> str | None:
    kind = rng.choice(["word", "swap", "case"])
    if kind == "case":
        return original.upper().replace(".", "!")
    parts = original.split(". ")
    if kind == "swap" and len(parts) > 2:
        i = rng.randrange(len(parts) - 1)
        parts[i], parts[i + 1] = parts[i + 1], parts[i]
        copy = ". ".join(parts)
    else:
        tokens = original.split()
        tokens[rng.randrange(len(tokens))] = rng.choice(texts.vocabulary)
        copy = " ".join(tokens)
    return copy if jaccard(original, copy) >= 0.8 else None


def paraphrase(rng: random.Random, texts: Texts, prompt: str) -> str:
    tokens = prompt.split()
    return " ".join(rng.choice(texts.vocabulary) if i % 4 == 3 else t for i, t in enumerate(tokens))


def make_run(run_dir: Path, count: int, seed: int) -> dict:
    """The run, the evaluation files, and what was planted where."""
    rng = random.Random(seed)
    texts = Texts(rng)
    prompts = [eval_prompt(rng, texts) for _ in range(10 * IFEVAL_SIZE)]
    small = prompts[:IFEVAL_SIZE]
    rows, plain = [], []
    planted: dict[str, set[int]] = {"near": set(), "contaminated": set(), "paraphrased": set()}
    for i in range(count):
        constraints = drawn(rng)
        instruction = f"{texts.task()} {stated(constraints)}"
        response = " ".join(texts.sentence(rng.randint(8, 20)) for _ in range(rng.randint(3, 8)))
        roll = rng.random()
        if (
            roll < 0.01
            and plain
            and (copy := near_copy(rng, texts, rows[rng.choice(plain)]["instruction"]))
        ):
            instruction = copy
            planted["near"].add(i)
        elif roll < 0.015:  # within the IFEval-sized set, so both sets must find it
            leaked = rng.choice(small)
            if rng.random() < 0.5:
                instruction = f"{texts.sentence(6)} {leaked}"
            else:
                response = f"{response} {leaked}"
            planted["contaminated"].add(i)
        elif roll < 0.02:
            instruction = paraphrase(rng, texts, rng.choice(small))
            planted["paraphrased"].add(i)
        else:
            plain.append(i)  # what near-copies copy: no prompt in it
        rows.append(_row(i, instruction, response, constraints))
    store = SampleStore(run_dir)
    store.samples.insert_all(rows, batch_size=10_000)
    files = {}
    for name, chosen in (("ifeval_size", small), ("ten_times", prompts)):
        path = run_dir.parent / f"{name}.jsonl"
        path.write_text(
            "".join(json.dumps({"key": k, "prompt": p}) + "\n" for k, p in enumerate(chosen))
        )
        files[name] = path
    return {"files": files, "planted": planted, "texts": texts, "rng": rng}


def _row(i: int, instruction: str, response: str, constraints: list[dict]) -> dict:
    return {
        "id": f"b{i:07d}", "position": i, "domain": f"d{i % 40}", "request": f"r{i % 900}",
        "scenario": "s", "status": "accepted", "reason": "all_criteria_passed",
        "instruction": instruction, "response": response,
        "constraints": json.dumps(constraints), "state": "{}", "attempts": 1,
    }  # fmt: skip


def curate(run_dir: Path, *options: str) -> tuple[float, float, float, dict]:
    """The real command: seconds, CPU seconds (what it would take alone on an idle core: it
    runs on one), its peak resident memory in MB, its JSON report."""
    command = [
        sys.executable,
        "-m",
        "graph.cli",
        "curate",
        "--run",
        str(run_dir),
        "--json",
        *options,
    ]
    with tempfile.TemporaryFile("w+") as out:
        began = time.monotonic()
        process = subprocess.Popen(command, stdout=out)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.monotonic() - began
        process.returncode = os.waitstatus_to_exitcode(status)
        assert process.returncode == 0, f"decif curate exited {process.returncode}"
        out.seek(0)
        cpu = usage.ru_utime + usage.ru_stime
        return seconds, cpu, usage.ru_maxrss / 1024, json.loads(out.read())


def scores(run_dir: Path, planted: dict, threshold: float = 0.7) -> dict[str, float]:
    """Recall: planted cases flagged. Precision: near-duplicate flags whose pair's exact
    bigram Jaccard reaches the threshold (two samples that leaked the same prompt are
    near-duplicates too), contamination flags on planted samples."""
    rows = {row["id"]: row for row in SampleStore(run_dir).curation_inputs()}
    found: dict[str, set[int]] = {"near": set(), "contaminated": set()}
    right_pairs = 0
    for sample, row in rows.items():
        record, i = row["curation"], int(sample[1:])
        if near := record.get("near_duplicate"):
            found["near"].add(i)
            original = rows[near["of"]]["instruction"]
            right_pairs += jaccard(original, row["instruction"]) >= threshold
        if record.get("contaminated"):
            found["contaminated"].add(i)
    figures = {
        "near recall": len(found["near"] & planted["near"]) / max(1, len(planted["near"])),
        "near precision": right_pairs / max(1, len(found["near"])),
    }
    hit = found["contaminated"] & planted["contaminated"]
    figures["contaminated recall"] = len(hit) / max(1, len(planted["contaminated"]))
    figures["contaminated precision"] = len(hit) / max(1, len(found["contaminated"]))
    figures["paraphrases flagged"] = len(found["contaminated"] & planted["paraphrased"])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    load = os.getloadavg()
    print(
        f"{args.samples} samples; {os.cpu_count()} cores; load average {load[0]:.1f} at the start"
    )
    header = (
        "| evaluation set | prompts | seconds | CPU s | peak MB | near-dup recall | precision "
        "| contamination recall | precision | paraphrases flagged |"
    )
    print(header + "\n|" + "---|" * 10)
    with tempfile.TemporaryDirectory() as tmp:
        made = None
        for name, prompts in (("ifeval_size", IFEVAL_SIZE), ("ten_times", 10 * IFEVAL_SIZE)):
            run_dir = Path(tmp) / name / "run"
            run_dir.parent.mkdir()
            made = make_run(run_dir, args.samples, args.seed)
            seconds, cpu, peak, _ = curate(run_dir, "--against", f"{name}={made['files'][name]}")
            f = scores(run_dir, made["planted"])
            print(
                f"| {name} | {prompts} | {seconds:.1f} | {cpu:.1f} | {peak:.0f} | "
                f"{f['near recall']:.4f} | {f['near precision']:.4f} | "
                f"{f['contaminated recall']:.4f} | "
                f"{f['contaminated precision']:.4f} | {f['paraphrases flagged']} |"
            )
            if name == "ifeval_size":
                again, cpu, _, report = curate(run_dir)
                print(
                    f"rerun with nothing new: {again:.1f} s ({cpu:.1f} s CPU), "
                    f"{report['hashed']} hashed, {report['changed']} written"
                )
                store, extra = SampleStore(run_dir), args.samples // 100
                rng, texts = made["rng"], made["texts"]
                new = []
                for i in range(extra):
                    constraints = drawn(rng)
                    instruction = f"{texts.task()} {stated(constraints)}"
                    new.append(_row(args.samples + i, instruction, texts.sentence(30), constraints))
                store.samples.insert_all(new)
                more, cpu, _, report = curate(run_dir)
                print(
                    f"rerun after {extra} more samples: {more:.1f} s ({cpu:.1f} s CPU), "
                    f"{report['hashed']} hashed, {report['checked']} checked"
                )
            shutil.rmtree(run_dir.parent)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
