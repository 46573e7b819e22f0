"""Write links.csv and demand.csv for models/toll.py from a network in TNTP format.

Run once by hand (not by the tests), e.g. for the two shipped folders:

    .venv/bin/python data/toll/convert_tntp.py /work/shared/data/transport/braess data/toll --max-toll 20 --tollable 3-4
    .venv/bin/python data/toll/convert_tntp.py /work/shared/data/transport/sioux_falls data/toll_sioux_falls --max-toll 100

Source of the networks: the Transportation Networks for Research repository (Stabler, Bar-Gera,
Sall; https://github.com/bstabler/TransportationNetworks, formerly http://www.bgu.ac.il/~bargera/tntp/).
Braess: prepared by Andrew Koh. Sioux Falls: LeBlanc, Morlok, Pierskalla (1975), "An efficient
approach to solving the road network equilibrium traffic assignment problem", Transportation
Research 9, 309-318; OD flows are the paper's Table 1 times 100.

Columns kept from ``*_net.tntp``: init_node, term_node, capacity, free_flow_time, b, power (the
BPR cost t(x) = free_flow_time (1 + b (x / capacity)^power)); length, speed, toll and type are
not used. ``*_trips.tntp`` gives the demand of every origin-destination pair; zero entries and
an origin's demand to itself are dropped. ``--tollable`` lists the links (``tail-head``) the
leader may toll (default: all), each with the upper bound ``--max-toll`` (time units per vehicle).
If the network has a ``*_flow.tntp`` (the repository's best known user-equilibrium link flows
without tolls; Sioux Falls: average excess cost 3.9e-15), it is written to
``published_ue_flows.csv`` (link, flow, cost) for the tests; the model does not read it.
"""
from __future__ import annotations

import argparse
import re
from pathlib import Path

import pandas as pd


def read_links(path: Path) -> pd.DataFrame:
    """The link table of a ``*_net.tntp`` file."""
    lines = path.read_text().splitlines()
    start = next(k for k, line in enumerate(lines) if line.strip().startswith("~")) + 1
    rows = [line.replace(";", " ").split() for line in lines[start:] if line.strip()]
    frame = pd.DataFrame(rows).iloc[:, :10]
    frame.columns = ["tail", "head", "capacity", "length", "free_flow_time", "b", "power", "speed", "toll", "link_type"]
    return frame


def read_demand(path: Path) -> pd.DataFrame:
    """Positive origin-destination demands of a ``*_trips.tntp`` file."""
    rows, origin = [], None
    for line in path.read_text().splitlines():
        if line.strip().startswith("Origin"):
            origin = line.split()[1]
        elif origin is not None:
            for destination, trips in re.findall(r"(\d+)\s*:\s*([0-9.eE+-]+)", line):
                if destination != origin and float(trips) > 0:
                    rows.append((origin, destination, trips))
    return pd.DataFrame(rows, columns=["origin", "destination", "trips"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("network", type=Path, help="folder with <Name>_net.tntp and <Name>_trips.tntp")
    parser.add_argument("out", type=Path, help="folder for links.csv and demand.csv")
    parser.add_argument("--max-toll", type=float, required=True)
    parser.add_argument("--tollable", nargs="*", help="links tail-head the leader may toll (default: all)")
    args = parser.parse_args()
    net = read_links(next(args.network.glob("*_net.tntp")))
    links = pd.DataFrame({"link": net["tail"] + "-" + net["head"], "tail": net["tail"], "head": net["head"]})
    for column in ("free_flow_time", "capacity", "b", "power"):
        links[column] = net[column]
    links["tollable"] = 1 if args.tollable is None else links["link"].isin(args.tollable).astype(int)
    links["max_toll"] = f"{args.max_toll:g}"
    args.out.mkdir(parents=True, exist_ok=True)
    links.to_csv(args.out / "links.csv", index=False)
    read_demand(next(args.network.glob("*_trips.tntp"))).to_csv(args.out / "demand.csv", index=False)
    for path in args.network.glob("*_flow.tntp"):
        flows = pd.read_csv(path, sep=r"\s+", skiprows=1, header=None, names=["tail", "head", "flow", "cost"], dtype=str)
        published = pd.DataFrame({"link": flows["tail"] + "-" + flows["head"], "flow": flows["flow"], "cost": flows["cost"]})
        published.to_csv(args.out / "published_ue_flows.csv", index=False)


if __name__ == "__main__":
    main()
