"""Make the test helpers (problem library, oracle) importable from the test modules."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
