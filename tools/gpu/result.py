#!/usr/bin/env python3
"""Writes the result file of tools/gpu/device-run.sh: OUT/gpu-run.json from OUT/steps (each step's output, exit
code and seconds). Python standard library only. Usage: result.py OUT. Exits 0 when every step did what it
should, 1 otherwise; prints a summary either way."""
import json
import os
import sys

# The official test set accuracy simple-convnet must reach in 10 epochs on the GPU.
MIN_ACCURACY = 0.965


def read(path, default=""):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return default


def json_lines(text):
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                rows.append(json.loads(line))
            except ValueError:
                pass
    return rows


def meta(path):
    values = {}
    for line in read(path).splitlines():
        key, _, value = line.partition("=")
        values[key] = value
    return values


def check_figures(rows):
    checks = [r for r in rows if "passed" in r and "op" in r]
    return {
        "passed": sum(1 for r in checks if r["passed"]),
        "failed": [r for r in checks if not r["passed"]],
        "realSize": [r for r in checks if str(r.get("group", "")).startswith("real-size")],
    }


def main(out):
    steps_dir = os.path.join(out, "steps")
    names = sorted(f[:-5] for f in os.listdir(steps_dir) if f.endswith(".meta"))
    order = ["devices", "check-cuda", "check-opencl", "train-cuda", "bench-cuda", "out-of-memory", "torch"]
    names.sort(key=lambda n: order.index(n) if n in order else len(order))
    gpu = read(os.path.join(steps_dir, "gpu.txt")).strip().split(", ")
    result = {
        "date": read(os.path.join(steps_dir, "date.txt")).strip(),
        "gpu": gpu[0] if gpu else "",
        "driver": gpu[1] if len(gpu) > 1 else "",
        "memory": gpu[2] if len(gpu) > 2 else "",
        "steps": [],
        "figures": {},
    }
    for name in names:
        m = meta(os.path.join(steps_dir, name + ".meta"))
        log = read(os.path.join(steps_dir, name + ".log"))
        rows = json_lines(log)
        code = m.get("rc", "")
        ok = code == m.get("expect")
        why = None if ok else f"exit code {code}, expected {m.get('expect')}"
        if name.startswith("check-"):
            result["figures"][name] = check_figures(rows)
        elif name == "train-cuda":
            summary = next((r for r in reversed(rows) if "testAccuracy" in r and "epochs" in r and "epoch" not in r), None)
            result["figures"][name] = {"epochs": [r for r in rows if "epoch" in r], "summary": summary}
            accuracy = (summary or {}).get("testAccuracy")
            if ok and (accuracy is None or accuracy < MIN_ACCURACY):
                ok, why = False, f"test accuracy {accuracy}, below {MIN_ACCURACY}"
        elif name in ("bench-cuda", "torch"):
            result["figures"][name] = rows
        elif name == "out-of-memory":
            lines = [l for l in log.splitlines() if l.strip()]
            sentence = lines[-1] if lines else ""
            clean = "Out of memory" in sentence and not any(l.startswith("   at ") for l in lines)
            result["figures"][name] = {"sentence": sentence}
            if ok and not clean:
                ok, why = False, "no one-sentence out-of-memory message"
        result["steps"].append({
            "name": name,
            "command": m.get("command", ""),
            "exitCode": int(code) if code.lstrip("-").isdigit() else code,
            "expectedExitCode": int(m.get("expect", "0")),
            "seconds": int(m.get("seconds", "0") or 0),
            "ok": ok,
            "why": why,
            "outputTail": log.splitlines()[-20:],
        })
    result["passed"] = bool(result["steps"]) and all(s["ok"] for s in result["steps"])
    path = os.path.join(out, "gpu-run.json")
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    os.replace(path + ".tmp", path)
    print(f"== result: {path} ({result['gpu']}, driver {result['driver']}, {result['date']})")
    for s in result["steps"]:
        print(f"   {'ok  ' if s['ok'] else 'FAIL'} {s['name']:<14} exit {s['exitCode']} in {s['seconds']}s" + (f"  ({s['why']})" if s["why"] else ""))
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: result.py OUT", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
