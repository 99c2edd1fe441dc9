#!/usr/bin/env python3
"""Markdown table of `deepgpu bench --json` lines from alternating rounds: DeepGpu's `cpu` and each peer (libtorch,
onnxruntime), each figure's range over the rounds and how many times faster DeepGpu is (median against median).
Usage: compare-table.py LINES_FILE"""
import collections, json, statistics, sys

UNITS = {"gemm": ("gflops", "GFLOP/s", True), "train": ("msPerStep", "ms/step", False),
         "infer": ("imagesPerSecond", "images/s", True), "latency": ("msPerBatch", "ms", False),
         "peak": ("gflops", "GFLOP/s", True)}
figures = collections.defaultdict(lambda: collections.defaultdict(list))
names, peers = {}, []
for line in open(sys.argv[1]):
    o = json.loads(line)
    field, unit, _ = UNITS[o["kind"]]
    if o["kind"] == "gemm":
        key, name = ("gemm", o["n"]), f'SGEMM n={o["n"]} ({unit})'
    elif o["kind"] == "peak":
        cores = o["cores"]
        key, name = ("peak", o["tier"], cores), f'FMA peak {o["tier"]}, {cores} core{"s" if cores > 1 else ""} ({unit})'
    else:
        key = (o["kind"], o["model"], o["batch"])
        what = {"train": "step", "infer": "inference", "latency": "latency"}[o["kind"]]
        name = f'{o["model"]} {what}, batch {o["batch"]} ({unit})'
    names[key] = name
    figures[key][o["backend"]].append(o[field])
    if o["backend"] != "cpu" and o["backend"] not in peers:
        peers.append(o["backend"])

number = lambda x: f"{x:,.0f}" if x >= 1000 else f"{x:.4g}"
span = lambda v: "" if not v else f"{number(min(v))}–{number(max(v))}" if len(v) > 1 else number(v[0])
print("| figure | DeepGpu cpu | " + " | ".join(peers) + " | " + " | ".join(f"DeepGpu faster than {p}" for p in peers) + " |")
print("|---" * (2 + 2 * len(peers)) + "|")
for key, by in figures.items():
    ours = by.get("cpu", [])
    if not ours:
        continue
    higher_is_better = UNITS[key[0]][2]
    ratios = []
    for p in peers:
        theirs = by.get(p, [])
        if not theirs:
            ratios.append("")
            continue
        r = statistics.median(ours) / statistics.median(theirs)
        ratios.append(f"{r if higher_is_better else 1 / r:.2f}x")
    print(f"| {names[key]} | {span(ours)} | " + " | ".join(span(by.get(p, [])) for p in peers) + " | " + " | ".join(ratios) + " |")
