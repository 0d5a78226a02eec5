"""mbctwin: decision support and simulation for metastatic breast cancer.

Decision support for clinicians; never a substitute for a multidisciplinary tumour board.
"""

from mbctwin._version import __version__
from mbctwin.case.io import read_case
from mbctwin.engine.plan import build_plan
from mbctwin.knowledge.loader import load_kb

__all__ = ["__version__", "build_plan", "load_kb", "read_case"]
