"""``python -m pybilevel``: the command line."""
import sys

from pybilevel.cli import main

sys.exit(main())
