"""The anonymisation benchmark: information kept by our `diversity` release beside ANJANA's
k-anonymity (the PyPI package by pycanon's authors) on the same people, hierarchies, k and
suppression limit — and whether each result is k-anonymous when counted from outside.

    python -m bench.anonymisation [--people 150 1000 10000] [--k 5] [--write]

ANJANA runs in a virtualenv of its own (made once under ~/.cache, like check-bundle), so
its pins never meet ours. Information kept is, per quasi-identifier, the normalised mutual
information I(original; released) / H(original) per person, averaged with the purpose's
weights; suppressed or removed people count as one released value, "*".

The k-anonymity search alone (`kanon.recode` over the same people, all its passes) is
timed too, in a process of its own each time, median of `--repeat` runs, beside the
lattice nodes it counted and those it settled without counting (monotonicity).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from .servers import BIN, ROOT, app_env, database, prepare

RESULTS = Path(__file__).parent / "results.md"
ANJANA_VENV = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "pathways-anjana"
PURPOSE = "diversity"
# dev synth makes about 0.72 people per response at these sizes.
RESPONSES_PER_PERSON = 1.4

ANJANA_RUN = """
import json, sys, time
import pandas as pd
from anjana.anonymity import k_anonymity
folder = sys.argv[1]
spec = json.load(open(folder + "/spec.json"))
data = pd.read_json(folder + "/people.json", orient="records", dtype=False)
hierarchies = {
    name: {int(level): pd.Series(values) for level, values in levels.items()}
    for name, levels in spec["hierarchies"].items()
}
start = time.perf_counter()
out = k_anonymity(data, [], spec["qis"], spec["k"], spec["supp_level"], hierarchies)
seconds = time.perf_counter() - start
out.to_json(folder + "/anjana.json", orient="records")
print(seconds)
"""


def anjana_python() -> Path:
    python = ANJANA_VENV / "bin" / "python"
    if not (ANJANA_VENV / ".ok").exists():
        subprocess.run([sys.executable, "-m", "venv", str(ANJANA_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "anjana"], check=True, capture_output=True
        )
        (ANJANA_VENV / ".ok").touch()
    return python


def entropy(values: pd.Series) -> float:
    p = values.value_counts(normalize=True).to_numpy()
    return float(-(p * np.log2(p)).sum())


def kept(original: pd.Series, released: pd.Series) -> float:
    before = entropy(original)
    if not before:
        return 1.0
    joint = entropy(original + "\x1d" + released)
    return max(before + entropy(released) - joint, 0.0) / before


def smallest_class(table: pd.DataFrame, qis: list[str]) -> int:
    return int(table.groupby(qis, dropna=False).size().min()) if len(table) else 0


SEARCH_RUN = """
import json, pickle, sys, time
from exports import kanon
people, qis, k = pickle.load(open(sys.argv[1], "rb"))
start, cpu = time.perf_counter(), time.process_time()
recoding = kanon.recode(people, qis, k, 0.05)
print(json.dumps({
    "seconds": time.perf_counter() - start,
    "cpu": time.process_time() - cpu,
    "counted": recoding.stats.counted,
    "inferred": recoding.stats.inferred,
    "asked": recoding.stats.asked,
}))
"""


def time_search(people: pd.DataFrame, qis: list, k: int, folder: str, repeat: int) -> dict:
    """The search alone over these people, each run in a fresh process (no warm caches):
    the median wall and CPU seconds of `repeat` runs, and the nodes it counted."""
    path = Path(folder) / "search.pickle"
    path.write_bytes(pickle.dumps((people, qis, k)))
    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", SEARCH_RUN, str(path)],
                cwd=ROOT,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
        for _ in range(repeat)
    ]
    return {
        "seconds": statistics.median(run["seconds"] for run in runs),
        "cpu": statistics.median(run["cpu"] for run in runs),
        "counted": runs[0]["counted"],
        "inferred": runs[0]["inferred"],
        "asked": runs[0]["asked"],
    }


def people_and_hierarchies(url: str, k: int):
    """The diversity purpose's quasi-identifiers per person, as our pipeline reads them
    from this database, with each one's levels over its present values."""
    os.environ["DATABASE_URL"] = url
    from exports import pipeline, purposes
    from surveys import create_app
    from surveys.demographics.countries import region_of_interest_hierarchy
    from surveys.extensions import db

    purpose = purposes.read()[PURPOSE]
    options = pipeline.Options(
        k=k,
        purpose=purpose,
        hierarchies={"country": {pipeline.REGION_OF_INTEREST: region_of_interest_hierarchy()}},
    )
    app = create_app()
    with app.app_context(), db.engine.connect() as connection:
        data, columns, definitions = pipeline.load_table(connection, "intake", options)
    prepared = pipeline.prepare(data, columns, definitions, options)
    qis = prepared.qis
    people = pipeline.people_table(data, prepared.columns, qis).reset_index(drop=True)
    hierarchies = {}
    for qi in qis:
        present = sorted(set(people[qi.name]))
        hierarchies[qi.name] = {
            str(level): [qi.generalise(v, level) if level < qi.top else "*" for v in present]
            for level in range(qi.top + 1)
        }
    return people, qis, hierarchies


CHECK_BUNDLE = ROOT.parent / "shared" / "tools" / "check-bundle"


def measure(size: int, k: int, log=print, repeat: int = 3, anjana: bool = True) -> dict:
    responses = int(size * RESPONSES_PER_PERSON)
    with database("sqlite") as url, tempfile.TemporaryDirectory() as folder:
        prepare(url)
        env = app_env(url)
        flask = [str(BIN / "flask"), "--app", "wsgi"]
        synth = [*flask, "dev", "synth", "--responses", str(responses), "--seed", "1"]
        subprocess.run(synth, cwd=ROOT, env=env, check=True, capture_output=True)
        people, qis, hierarchies = people_and_hierarchies(url, k)
        names = [qi.name for qi in qis]
        weights = {qi.name: qi.weight for qi in qis}
        log(f"{len(people)} people, quasi-identifiers {names}")
        search = time_search(people, qis, k, folder, repeat)

        # Ours: the release as the CLI makes it, read back from its bundle.
        bundle = Path(folder) / "ours.zip"
        start = time.perf_counter()
        subprocess.run(
            [*flask, "export", "intake", "--purpose", PURPOSE, "--k", str(k), "--out", str(bundle)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        ours_seconds = time.perf_counter() - start
        with zipfile.ZipFile(bundle) as z:
            methodology = json.loads(z.read("methodology.json"))
        # The workplace's outside count (pycanon), beside the repository when it is there.
        if CHECK_BUNDLE.exists():
            done = subprocess.run(
                [str(CHECK_BUNDLE), str(bundle), str(k)], capture_output=True, text=True
            )
            # Its verdict, without the temporary file's name.
            check = (done.stdout.strip().splitlines() or [done.stderr])[0].split(": ", 1)[-1]
        else:
            check = f"not counted: no {CHECK_BUNDLE}"

        peer = run_anjana(people, names, weights, hierarchies, k, folder, log) if anjana else None
    return {
        "people": len(people),
        "ours": {
            "seconds": ours_seconds,
            "kept": methodology["information_kept"]["weighted"],
            "k_file": methodology["k_achieved"],
            "check": check,
            "suppressed": methodology["people_suppressed"],
            "nodes": methodology["lattice_nodes_evaluated"],
        },
        "search": search,
        "anjana": peer,
    }


def run_anjana(people, names, weights, hierarchies, k: int, folder: str, log) -> dict | None:
    """ANJANA on the same people, hierarchies, k and suppression limit."""
    table = people[names].assign(row=np.arange(len(people)).astype(str))
    table.to_json(Path(folder) / "people.json", orient="records")
    spec = {"qis": names, "k": k, "supp_level": 5, "hierarchies": hierarchies}
    (Path(folder) / "spec.json").write_text(json.dumps(spec))
    done = subprocess.run(
        [str(anjana_python()), "-c", ANJANA_RUN, folder],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        log(done.stderr[-2000:])
        return None
    out = pd.read_json(Path(folder) / "anjana.json", orient="records", dtype=False)
    out = out.astype(str)
    released = pd.DataFrame("*", index=range(len(people)), columns=names)
    rows = out["row"].astype(int).to_numpy()
    for name in names:
        released.loc[rows, name] = out[name].to_numpy()
    per_qi = {n: kept(people[n].astype(str), released[n]) for n in names}
    return {
        "seconds": float(done.stdout.strip().splitlines()[-1]),
        "kept": sum(per_qi[n] * weights[n] for n in names) / sum(weights.values()),
        "k_file": smallest_class(out, names),
        "removed": len(people) - len(out),
    }


def table(rows: list[dict], k: int) -> list[str]:
    lines = [
        "| people | ours: information kept | ours: k counted on the file "
        "| ANJANA: information kept | ANJANA: smallest class | ANJANA: people removed "
        "| seconds (ours / ANJANA) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        ours, peer = row["ours"], row["anjana"]
        if peer is None:
            lines.append(
                f"| {row['people']} | {ours['kept']:.3f} | {ours['k_file']} | failed | | | |"
            )
            continue
        verdict = "" if peer["k_file"] >= k else " (not k-anonymous)"
        lines.append(
            f"| {row['people']} | {ours['kept']:.3f} | {ours['k_file']} | {peer['kept']:.3f} | "
            f"{peer['k_file']}{verdict} | {peer['removed']} | "
            f"{ours['seconds']:.1f} / {peer['seconds']:.1f} |"
        )
    return lines


# From issue 19: at 10,000 people the search counts at most a tenth of the nodes it asks
# about; before pruning (2026-12-01) it counted every one of them.
NODES_TARGET = 0.1


def search_table(rows: list[dict]) -> list[str]:
    """The search alone: nodes counted beside the nodes it asked about (all of which the
    search counted before it pruned by monotonicity), and its time."""
    lines = [
        "| people | lattice nodes counted (in the bundle) | nodes settled without counting "
        "| counted / asked (target ≤ 0.1 at 10,000) "
        "| search seconds (wall, median) | search CPU seconds (median) |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        search = row["search"]
        asked = search["asked"]
        lines.append(
            f"| {row['people']} | {search['counted']} ({row['ours']['nodes']}) "
            f"| {search['inferred']} | {search['counted'] / asked:.2f} "
            f"| {search['seconds']:.3f} | {search['cpu']:.3f} |"
        )
    return lines


def nodes_verdict(rows: list[dict]) -> list[str]:
    """The verdict at the largest size measured (`dev synth` makes about 10,000 people of
    the default's largest request, a few hundred either side)."""
    if not rows or max(r["people"] for r in rows) < 5_000:
        return ["- target nodes counted ≤ 0.1 of those asked at 10,000 people: not run"]
    row = max(rows, key=lambda r: r["people"])
    share = row["search"]["counted"] / row["search"]["asked"]
    verdict = "met" if share <= NODES_TARGET else "NOT met"
    return [
        f"- target nodes counted ≤ {NODES_TARGET} of those asked at 10,000 people: "
        f"{verdict} ({share:.2f} at {row['people']} people)"
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, nargs="+", default=[150, 1000, 10_000])
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3, help="Runs of the search alone.")
    parser.add_argument("--write", action="store_true", help="Append to bench/results.md.")
    args = parser.parse_args(argv)
    rows = [measure(size, args.k, repeat=args.repeat) for size in args.people]
    lines = table(rows, args.k)
    searched = search_table(rows)
    print("\n".join(lines))
    print()
    print("\n".join(searched + nodes_verdict(rows)))
    for row in rows:
        print(f"check-bundle ({row['people']} people): {row['ours']['check']}")
    if args.write:
        better = all(r["anjana"] is None or r["ours"]["kept"] > r["anjana"]["kept"] for r in rows)
        section = [
            "",
            f"## Anonymisation: information kept beside ANJANA ({PURPOSE} purpose, k={args.k}, "
            "at most 5% suppressed)",
            "",
            "Synthetic people (`dev synth --seed 1`); the same person-level table, hierarchies,",
            "k and suppression limit for both. Information kept: normalised mutual information",
            "between each person's original and released value per quasi-identifier, averaged",
            "with the purpose's weights. Smallest class counted on each result from outside.",
            "",
            *lines,
            "",
            f"- target ours higher at every size: {'met' if better else 'NOT met'}",
            *(f"- check-bundle, {r['people']} people: {r['ours']['check']}" for r in rows),
            "",
            "The k-anonymity search alone (`kanon.recode`, every pass), a process of its own per",
            f"run, median of {args.repeat}; nodes as in the bundle's `lattice_nodes_evaluated`:",
            "",
            *searched,
            "",
            *nodes_verdict(rows),
        ]
        with RESULTS.open("a") as handle:
            handle.write("\n".join(section) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
