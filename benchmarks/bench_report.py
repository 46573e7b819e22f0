"""Tables, CSV and the log-log plot of a benchmark run (records from ``bench.py``).

Both tools' timings are put on the same phases:

=============  =========================================  ===========================================
phase          pybilevel (``result.timings``)              PAO (``pao_runner.py``)
=============  =========================================  ===========================================
build          Pyomo model from the arrays                 same (with a ``SubModel``)
compile        structure check, follower to arrays         Pyomo -> PAO problem + standard form
reformulate    KKT system, big-M / strong duality          KKT model + complementarity -> big-M
size           rows / columns / nonzeros count             —
translate      Pyomo model -> solver, values back          Pyomo's HiGHS interface minus HiGHS's run
solve          the solver's own run time                   HiGHS's own run time
invert         values, duals, big-M report                 PAO's solution copy-back and results
certify        follower re-solved at the leader decision   — (PAO has no certificate)
other          the rest of ``bl.solve``                    —
=============  =========================================  ===========================================

*Overhead* is everything but ``solve``.
"""
from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import numpy as np

PHASES = ("build", "compile", "reformulate", "size", "translate", "solve", "invert", "certify", "other")
#: phases both tools have, for the per-phase ratio
SHARED_PHASES = ("build", "compile", "reformulate", "translate", "solve", "invert")
PAO_LABEL = "PAO FA (big-M)"
#: runner progress phase a killed child was in -> the phase its remaining time goes to
_KILLED_IN = {"mip_solve": "solve"}
#: statuses of runs that solved nothing (left out of ratios, dominance and the plot)
_FAILED = ("unsupported", "refused", "error", "crash")


def label(record: dict) -> str:
    """Tool and method as one name."""
    if record["tool"] == "pao":
        return PAO_LABEL
    if record["tool"] == "reference":
        return "reference"
    return f"pybilevel {record['method']}"


def phases(record: dict) -> dict[str, float]:
    """The record's seconds per common phase (see the module docstring)."""
    if record["tool"] == "reference":
        return {"solve": record["time_total"]}
    done = dict(record.get("time_phases") or record.get("phases_done") or {})
    found = {"build": record.get("time_build")}
    if record.get("status") == "timeout" and record.get("timed_out_in"):
        # killed: the phase it was in gets the rest of the time (a lower bound, process start included)
        killed_in = _KILLED_IN.get(record["timed_out_in"], record["timed_out_in"])
        rest = record["timeout_s"] - sum(done.values())
        if record["tool"] == "pao" and killed_in == "solve":
            done["killed_in_mip_solve"] = rest  # HiGHS's share of it is unknown
        else:
            done[killed_in] = done.get(killed_in, 0.0) + rest
    if record["tool"] == "pao":
        highs = done.get("highs_run")
        found.update(
            compile=_sum(done, "convert_pyomo_to_mpr", "standard_form"),
            reformulate=_sum(done, "kkt_model", "bigm_transform"),
            translate=None if highs is None or "mip_solve" not in done else done["mip_solve"] - highs,
            solve=done.get("killed_in_mip_solve", highs),
            invert=done.get("other"),
        )
    else:
        found.update({p: done.get(p) for p in PHASES if p != "build"})
    return {p: v for p, v in found.items() if v is not None}


def _sum(done: dict, *keys: str) -> float | None:
    present = [done[k] for k in keys if k in done]
    return sum(present) if present else None


def rows(records: list[dict]) -> list[dict]:
    """One flat row per (instance, tool, method), sorted by family, size and tool."""
    out = []
    for record in records:
        if record["tool"] not in ("pybilevel", "pao", "reference"):
            continue
        seconds = phases(record)
        total = record.get("time_total")
        if total is None and record["tool"] == "pao" and record.get("time_pao_total") is not None:
            total = record.get("time_build", 0.0) + record["time_pao_total"]
        if total is None and record.get("status") == "timeout":
            total = record.get("timeout_s")  # a lower bound
        timed = record["tool"] != "reference" and "solve" in seconds
        overhead = total - seconds["solve"] if timed and total is not None else None
        size = record.get("model_size") or _pao_size(record.get("mip_size"))
        certificate = record.get("certificate") or {}
        row = {
            "family": record.get("family"), "n_y": record.get("n_y"), "tool": label(record),
            "status": _status(record), "total_s": total, "overhead_s": overhead,
            "overhead_share": None if overhead is None or not total else overhead / total,
            "dominant_phase": max(seconds, key=seconds.get) if timed and total else None,
            "peak_rss_mb": record.get("peak_rss_mb"), "wall_s": record.get("time_wall"),
            "rows": size.get("rows"), "columns": size.get("columns"), "nonzeros": size.get("nonzeros"),
            "objective": record.get("objective"), "reference_rel_diff": record.get("objective_rel_diff"),
            "matches_reference": record.get("matches_reference"), "follower_gap": record.get("follower_gap"),
            "follower_optimal": record.get("follower_optimal"), "certificate_gap": certificate.get("gap"),
            "bound": record.get("bound"),
            "gap": _gap(record.get("objective"), record.get("bound")),
        }
        row.update({f"{p}_s": seconds.get(p) for p in PHASES})
        out.append(row)
    tools = {name: k for k, name in enumerate(sorted({r["tool"] for r in out}, key=_tool_order))}
    return sorted(out, key=lambda r: (r["family"] or "", r["n_y"] or 0, tools[r["tool"]]))


def _tool_order(name: str) -> tuple[int, str]:
    return ({"pybilevel bigm": 0, PAO_LABEL: 1, "reference": 9}.get(name, 5), name)


def _gap(objective: float | None, bound: float | None) -> float | None:
    """Relative distance between the incumbent and the solver's proven bound."""
    if objective is None or bound is None or not np.isfinite(bound):
        return None
    return abs(objective - bound) / max(1.0, abs(objective))


def _pao_size(mip: dict | None) -> dict:
    if not mip:
        return {}
    return {"rows": mip.get("constraints"), "columns": mip.get("variables"), "nonzeros": mip.get("nonzeros")}


def _status(record: dict) -> str:
    status = record.get("status", "?")
    if status == "timeout":
        where = record.get("timed_out_in")
        return f"timeout ({where})" if where else "timeout"
    if record["tool"] == "reference":
        return {"Optimal": "optimal", "Time limit reached": "limit"}.get(status, status)
    return status


def render(records: list[dict], csv_path: Path, plot_path: Path) -> str:
    """Write the CSV and the plot; return the report as markdown."""
    table = rows(records)
    _write_csv(table, csv_path)
    plotted = plot(table, plot_path)
    machine = next((r for r in records if r["tool"] == "machine"), {})
    parts = [_machine_text(machine, records), "## End to end\n", _end_to_end(table), "## Phases (seconds)\n",
             _phase_table(table), "## pybilevel big-M / PAO FA (time ratios; < 1: pybilevel faster)\n",
             _ratio_table(table), "## Dominant phase per size\n", _dominant_table(table),
             "## Targets\n", _targets(table)]
    if plotted:
        parts.append(f"Plot: `{plot_path}`\n")
    return "\n".join(parts)


def _fmt(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "**no**"
    if isinstance(value, int):
        return f"{value:,}"
    if not isinstance(value, float):
        return str(value)
    size = abs(value)
    if size == 0:
        return "0"
    if size >= 1e5 or size < 1e-3:
        return f"{value:.2e}"
    return f"{value:,.0f}" if size >= 100 else f"{value:.3g}"


def _markdown(header: list[str], body: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in body]
    return "\n".join(lines) + "\n"


def _machine_text(machine: dict, records: list[dict]) -> str:
    run = next((r for r in records if r["tool"] == "run"), {})
    seconds = run.get("run_seconds", machine.get("run_seconds"))
    versions = next((r.get("versions") for r in records if r["tool"] == "pybilevel" and r.get("versions")), {})
    pao_versions = next((r.get("versions") for r in records if r["tool"] == "pao" and r.get("versions")), {})
    lines = ["# Benchmark: pybilevel vs PAO\n"]
    if machine:
        lines.append(f"Machine: {machine.get('cpu')}, {machine.get('cpus')} cores, {machine.get('memory_gib')} GiB, "
                     f"{machine.get('platform')}, Python {machine.get('python')}; load average at start "
                     f"{machine.get('load_average_at_start')}. Started {machine.get('started')}"
                     + (f", took {seconds / 60:.1f} min." if seconds else ".") + f" Arguments: `{' '.join(machine.get('argv', []))}`\n")
    if versions:
        lines.append("pybilevel side: " + ", ".join(f"{k} {v}" for k, v in versions.items())
                     + (". PAO side: " + ", ".join(f"{k} {v}" for k, v in pao_versions.items()) if pao_versions else "") + "\n")
    return "\n".join(lines)


def _end_to_end(table: list[dict]) -> str:
    header = ["family", "n_y", "tool / method", "status", "total s", "overhead s", "overhead %", "dominant phase",
              "peak MB", "rows", "columns", "nonzeros", "objective", "gap to bound", "vs reference", "follower optimal",
              "certificate gap"]
    body = [[r["family"], r["n_y"], r["tool"], r["status"], r["total_s"], r["overhead_s"],
             None if r["overhead_share"] is None else 100 * r["overhead_share"], r["dominant_phase"], r["peak_rss_mb"],
             r["rows"], r["columns"], r["nonzeros"], None if r["objective"] is None else f"{r['objective']:.10g}",
             r["gap"], r["reference_rel_diff"], r["follower_optimal"],
             r["certificate_gap"]] for r in table]
    return _markdown(header, body)


def _phase_table(table: list[dict]) -> str:
    header = ["family", "n_y", "tool / method", "status", *PHASES, "total"]
    body = [[r["family"], r["n_y"], r["tool"], r["status"], *(r[f"{p}_s"] for p in PHASES), r["total_s"]]
            for r in table if r["tool"] != "reference"]
    return _markdown(header, body)


def _pairs(table: list[dict]) -> list[tuple[dict, dict]]:
    """(pybilevel bigm, PAO) rows of the same instance."""
    index = {(r["family"], r["n_y"], r["tool"]): r for r in table}
    return [(r, index[(r["family"], r["n_y"], PAO_LABEL)]) for r in table
            if r["tool"] == "pybilevel bigm" and (r["family"], r["n_y"], PAO_LABEL) in index]


def _ratio_table(table: list[dict]) -> str:
    header = ["family", "n_y", "pybilevel", "PAO", "end to end", "x faster", *SHARED_PHASES,
              "objectives (pybilevel - PAO) / abs(PAO)", "PAO follower optimal", "pybilevel follower optimal"]
    body = []
    for ours, pao in _pairs(table):
        both = ours["status"] == "ok" and pao["status"] == "ok"
        ratio = ours["total_s"] / pao["total_s"] if both else None
        # a phase both finished compares whatever the status (a run killed later still finished it)
        compared = pao["status"] not in _FAILED
        per_phase = [ours[f"{p}_s"] / pao[f"{p}_s"] if compared and ours[f"{p}_s"] is not None and pao[f"{p}_s"]
                     and (both or p in ("build", "compile", "reformulate")) else None for p in SHARED_PHASES]
        diff = None
        if ours["objective"] is not None and pao["objective"] is not None:
            diff = (ours["objective"] - pao["objective"]) / max(1.0, abs(pao["objective"]))
        body.append([ours["family"], ours["n_y"], ours["status"], pao["status"], ratio,
                     None if ratio is None else 1 / ratio, *per_phase, diff, pao["follower_optimal"],
                     ours["follower_optimal"]])
    return _markdown(header, body)


def dominant_by_size(table: list[dict]) -> dict[tuple[int, str], tuple[str, float]]:
    """(n_y, tool) -> the phase with the largest time summed over families, and its share."""
    sums: dict = defaultdict(lambda: defaultdict(float))
    for r in table:
        if r["tool"] == "reference" or not r["total_s"] or r["status"] in _FAILED:
            continue
        for p in PHASES:
            sums[(r["n_y"], r["tool"])][p] += r[f"{p}_s"] or 0.0
    out = {}
    for key, by_phase in sums.items():
        total = sum(by_phase.values())
        if total > 0:
            phase = max(by_phase, key=by_phase.get)
            out[key] = (phase, by_phase[phase] / total)
    return out


def _dominant_table(table: list[dict]) -> str:
    found = dominant_by_size(table)
    tools = sorted({tool for _, tool in found}, key=_tool_order)
    sizes = sorted({n for n, _ in found})
    body = [[n] + [f"{found[(n, t)][0]} ({100 * found[(n, t)][1]:.0f}%)" if (n, t) in found else "" for t in tools]
            for n in sizes]
    note = ("Summed over the families of that size; a run killed at its timeout counts with the phase "
            "it was killed in (a lower bound); unsupported or failed runs are left out.\n")
    return _markdown(["n_y", *tools], body) + "\n" + note


def overhead_slope(table: list[dict], tool: str) -> float | None:
    """Least-squares slope of log(pre-solve overhead) against log(nonzeros): 1 is linear growth.

    Pre-solve overhead (build, compile, reformulate, size, translate) is measured on every run,
    solved or not, so all sizes count.
    """
    points = [(r["nonzeros"], sum(r[f"{p}_s"] or 0.0 for p in ("build", "compile", "reformulate", "size", "translate")))
              for r in table if r["tool"] == tool and r["nonzeros"] and r["compile_s"] is not None]
    if len({n for n, _ in points}) < 2:
        return None
    x, y = np.log([n for n, _ in points]), np.log([max(v, 1e-6) for _, v in points])
    return float(np.polyfit(x, y, 1)[0])


def _targets(table: list[dict]) -> str:
    lines = []
    at_10k = [r for r in table if r["n_y"] == 10_000 and r["tool"].startswith("pybilevel") and r["overhead_share"] is not None]
    for r in at_10k:
        lines.append(f"- overhead at n_y = 10,000, {r['family']}, {r['tool']}: {100 * r['overhead_share']:.1f}% of "
                     f"{_fmt(r['total_s'])} s ({r['status']})")
    for tool in sorted({r["tool"] for r in table if r["tool"].startswith("pybilevel")}):
        slope = overhead_slope(table, tool)
        if slope is not None:
            lines.append(f"- {tool}: pre-solve overhead grows as nonzeros^{slope:.2f} (1 = linear)")
    for ours, pao in _pairs(table):
        if ours["status"] == "ok" and pao["status"] == "ok":
            lines.append(f"- {ours['family']} n_y = {ours['n_y']:,}: pybilevel big-M {pao['total_s'] / ours['total_s']:.1f}x "
                         f"faster than PAO end to end, objectives {ours['objective']:.8g} vs {pao['objective']:.8g}"
                         f" (PAO's follower response optimal: {_fmt(pao['follower_optimal'])}, "
                         f"pybilevel's: {_fmt(ours['follower_optimal'])})")
        else:
            took = f" ({_fmt(ours['total_s'])} s)" if ours["total_s"] else ""
            lines.append(f"- {ours['family']} n_y = {ours['n_y']:,}: pybilevel big-M {ours['status']}{took}, PAO {pao['status']}")
    for r in table:
        if r["n_y"] == 50_000 and r["family"] == "lp_lp" and r["tool"].startswith("pybilevel"):
            lines.append(f"- lp_lp n_y = 50,000, {r['tool']}: {r['status']}, peak memory {_fmt(r['peak_rss_mb'])} MB")
    return "\n".join(lines) + "\n"


def _write_csv(table: list[dict], path: Path) -> None:
    if not table:
        return
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(table[0]))
        writer.writeheader()
        writer.writerows(table)


def plot(table: list[dict], path: Path) -> bool:
    """Log-log time against n_y, one column per family, one line per tool and method.

    Top row: total time (build + solve call); bottom row: everything but the solver's run.
    Filled markers: finished and optimal; open markers: stopped at a limit or killed, drawn at
    the time spent (a lower bound; a killed or limited run has no invert / certify time).
    Returns False when matplotlib is missing.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is missing (pip install -e '.[bench]'): no plot")
        return False
    families = sorted({r["family"] for r in table if r["family"]})
    tools = sorted({r["tool"] for r in table}, key=_tool_order)
    fig, axes = plt.subplots(2, len(families), figsize=(5 * len(families), 7.6), sharey="row", squeeze=False)
    markers = dict(zip(tools, "osD^v<>p*h"))
    colours = {tool: f"C{k}" for k, tool in enumerate(tools)}
    for row, (key, ylabel) in enumerate((("total_s", "seconds, build + solve call"),
                                         ("overhead_s", "seconds, all but the solver's run"))):
        for ax, family in zip(axes[row], families):
            for tool in tools:
                _plot_line(ax, table, family, tool, key, colours[tool], markers[tool])
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_title(family if row == 0 else f"{family}: overhead")
            ax.set_xlabel("follower variables n_y")
            ax.grid(True, which="both", alpha=0.3)
        axes[row][0].set_ylabel(ylabel)
    handles = [plt.Line2D([], [], color=colours[t], marker=markers[t], label=t) for t in tools]
    fig.legend(handles=handles, loc="lower center", ncol=len(tools), fontsize=8, frameon=False)
    fig.suptitle("open markers: stopped at a limit or killed (time spent, a lower bound)", fontsize=9)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def _plot_line(ax, table: list[dict], family: str, tool: str, key: str, colour: str, marker: str) -> None:
    points = sorted((r["n_y"], r[key], r["status"] in ("ok", "optimal")) for r in table
                    if r["family"] == family and r["tool"] == tool and r[key] and r["status"] not in _FAILED)
    if not points:
        return
    n, t, ok = zip(*points)
    ax.plot(n, t, "-", color=colour, alpha=0.8)
    ax.scatter([a for a, k in zip(n, ok) if k], [b for b, k in zip(t, ok) if k], marker=marker, color=colour)
    ax.scatter([a for a, k in zip(n, ok) if not k], [b for b, k in zip(t, ok) if not k], marker=marker,
               facecolors="none", edgecolors=colour)
