"""``python -m pybilevel``: the command line."""
import sys

from pybilevel.io.cli import main

sys.exit(main())
