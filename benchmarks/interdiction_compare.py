"""Time the dedicated interdiction MILP against the general methods on the same instances.

    PYTHONPATH=. .venv/bin/python benchmarks/interdiction_compare.py [--time-limit 30] [--seeds 0]
        [--networks 4x4 6x6 8x8] [--knapsacks 10 20 40]

Instances (seeded, from ``tests/interdiction_instances.py``): max-flow interdiction on layered
networks (``LxW``: L layers of W nodes, each node linked to 2 nodes of the next layer, budget
W // 2, solved through ``models/interdiction.py``) and knapsack interdiction with an LP-relaxed
follower (n items, budget 30% of the interdiction costs).

Each instance is solved by ``interdiction``, ``bigm`` and ``strong_duality`` twice: with the
default multiplier bounds (the stated heuristic, 10 x the largest sampled multiplier) and with a
bound proven for the instance family passed as ``dual_bound`` (docs/interdiction.md gives the
proofs: 1 for max flow, max(max p, max w x max p/w) for the knapsack LP); and once by ``sos1``,
which needs none. A cell is the wall time of ``bl.solve`` (compile, reformulate, solve, certify)
and, in brackets, the single-level solver's own time, in seconds; ``limit`` marks a solve stopped
by the time limit. Every answer is certified; ``agree`` says whether all optimal answers have the
same leader objective (printed after it).
"""
from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import pybilevel as bl  # noqa: E402
from interdiction_instances import knapsack_instance, knapsack_model, layered_network  # noqa: E402
from pybilevel.io.cli import load_model_file  # noqa: E402

#: (method, multiplier bounds): "heuristic" (the default) or "proven" (dual_bound for the family)
VARIANTS = (
    ("interdiction", "heuristic"),
    ("bigm", "heuristic"),
    ("strong_duality", "heuristic"),
    ("interdiction", "proven"),
    ("bigm", "proven"),
    ("strong_duality", "proven"),
    ("sos1", "none"),
)


def instances(networks: list[str], knapsacks: list[int], seeds: list[int]):
    """(name, builder, proven multiplier bound); each builder returns a fresh Pyomo model."""
    domain = load_model_file(ROOT / "models" / "interdiction.py")
    for spec in networks:
        layers, width = (int(v) for v in spec.split("x"))
        for seed in seeds:
            data = layered_network(layers, width, seed, budget=width // 2)
            yield f"network {spec} s{seed} ({len(data['arcs'])} arcs)", lambda data=data: domain.build(data), 1.0
    for n in knapsacks:
        for seed in seeds:
            inst = knapsack_instance(n, seed)
            ratio = (inst.profit / inst.weight).max()
            bound = float(max(inst.profit.max(), inst.weight.max() * ratio))
            yield f"knapsack n{n} s{seed}", lambda inst=inst: knapsack_model(inst), bound


def run(build, method: str, time_limit: float, **options) -> tuple[str, float | None, float, float]:
    """Status word, leader objective, wall seconds of bl.solve, solver seconds."""
    start = time.perf_counter()
    res = bl.solve(build(), method=method, time_limit=time_limit, **options)
    wall = time.perf_counter() - start
    word = "ok" if res.ok else ("limit" if res.status in (bl.Status.FEASIBLE, bl.Status.LIMIT) else res.status)
    return word, res.leader_objective, wall, res.timings.get("solve", 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--networks", nargs="+", default=["4x4", "6x6", "8x8"])
    parser.add_argument("--knapsacks", type=int, nargs="+", default=[10, 20, 40])
    args = parser.parse_args()
    warnings.simplefilter("ignore", bl.CertificateWarning)
    heads = [f"{method} ({bounds})" for method, bounds in VARIANTS]
    print(f"| instance | {' | '.join(heads)} | agree |")
    print("|---|" + "---|" * (len(VARIANTS) + 1))
    for name, build, bound in instances(args.networks, args.knapsacks, args.seeds):
        cells, values = [], []
        for method, bounds in VARIANTS:
            options = {"dual_bound": bound} if bounds == "proven" else {}
            word, value, wall, solver = run(build, method, args.time_limit, **options)
            cells.append(f"{wall:.2f} ({solver:.2f})" + ("" if word == "ok" else f" {word}"))
            if word == "ok":
                values.append(value)
        agree = bool(values) and max(values) - min(values) <= 1e-6 * max(1.0, abs(values[0]))
        shown = f"{'yes' if agree else 'NO'} ({values[0]:.6g})" if values else "no optimal answer"
        print(f"| {name} | {' | '.join(cells)} | {shown} |", flush=True)


if __name__ == "__main__":
    main()
