#!/usr/bin/env python3
"""Reads the JSON events of the GPU check's two runs and says whether each sample got
its verdict: every bundled solution correct; every fault case the outcome, fault and
detail its first line names (`<!-- task: T | outcome: O | fault: F | detail: D | ... -->`).

Usage: gpu_check_verdicts.py SOLUTIONS_JSONL FAULTS_JSONL CASE.md...
"""

import json
import sys


def events(path):
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                yield json.loads(line)


def samples(path):
    found, summary = [], None
    for e in events(path):
        if e.get("event") == "sample_finished":
            found.append(e)
        elif e.get("event") == "run_finished":
            summary = e
    return found, summary


def header(path):
    with open(path) as f:
        first = f.readline().strip()
    fields = {}
    for part in first.removeprefix("<!--").removesuffix("-->").split("|"):
        key, _, value = part.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def main():
    solutions_path, faults_path, cases = sys.argv[1], sys.argv[2], sys.argv[3:]
    bad = 0
    rows, summary = samples(solutions_path)
    print(f"{'task':55} {'outcome':10} {'speedup':>9} {'kernel ms':>10}  detail")
    for s in sorted(rows, key=lambda s: s["task"]):
        speed = f"{s['speedup']:.2f}x" if s.get("speedup") else "-"
        ms = f"{s['kernel_median_s'] * 1e3:.4f}" if s.get("kernel_median_s") else "-"
        detail = "" if s["outcome"] == "correct" else (s.get("fault") or "") + " " + (s.get("detail") or "")
        print(f"{s['task']:55} {s['outcome']:10} {speed:>9} {ms:>10}  {detail[:90]}")
        bad += s["outcome"] != "correct"
    if not rows:
        print("no solution was evaluated")
        bad += 1
    if summary:
        for row in summary.get("summary", []):
            if row.get("group") == "all":
                print("summary:", json.dumps(row))
        print("phases:", json.dumps(summary.get("phases")))
    print(f"solutions: {len(rows) - bad} of {len(rows)} correct")

    faults, _ = samples(faults_path)
    by_sample = {s["sample"]: s for s in faults if s.get("final_turn", True)}
    wrong = 0
    for k, case in enumerate(cases):
        want = header(case)
        got = by_sample.get(k)
        if got is None:
            print(f"FAIL {case}: no stored sample")
            wrong += 1
            continue
        ok = got["outcome"] == want.get("outcome")
        if "fault" in want:
            ok = ok and got.get("fault") == want["fault"]
        if "detail" in want:
            ok = ok and want["detail"] in (got.get("detail") or "")
        print(f"{'ok  ' if ok else 'FAIL'} {case}: {got['outcome']} {got.get('fault') or ''} "
              f"({(got.get('detail') or '')[:100]})")
        wrong += not ok
    print(f"fault cases: {len(cases) - wrong} of {len(cases)} got their verdict")
    sys.exit(1 if bad or wrong else 0)


if __name__ == "__main__":
    main()
