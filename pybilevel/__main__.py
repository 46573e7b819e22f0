"""``python -m pybilevel``: the command line."""
import sys

try:
    from pybilevel.io.cli import main
except KeyboardInterrupt:  # Ctrl-C while the package loads: the same exit as during a solve
    print("interrupted", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
