"""Toll setting over a Wardrop user equilibrium on the Sioux Falls network (LeBlanc, Morlok,
Pierskalla 1975; 24 nodes, 76 links, 528 OD pairs): models/toll.py (formulation, method, summary)
on data/toll_sioux_falls/, so that ``make run`` solves it too. ``auto`` picks ``regularized``
(1,900 follower variables; Ipopt, local); the summary compares the answer with the system optimum,
a lower bound for any tolls.
"""
from pathlib import Path

from pybilevel.io.cli import load_model_file

_TOLL = load_model_file(Path(__file__).with_name("toll.py"))
TABLES, METHOD, build, summarize = _TOLL.TABLES, _TOLL.METHOD, _TOLL.build, _TOLL.summarize
