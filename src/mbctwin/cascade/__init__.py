"""Cell-scale metastatic cascade simulator: the hybrid discrete-continuum model of Franssen et al. (2019).

Cells invade the ECM by a biased random walk (haptotaxis) while mesenchymal cells make MMP-2 that
degrades it; cells reaching vessels enter the blood as clusters, survive transit with small
probabilities and seed secondary grids. Vectorised with NumPy; one seed gives one run, bit for bit.

>>> from mbctwin.cascade import CascadeConfig, CascadeModel
>>> result = CascadeModel(CascadeConfig(grid_size=41)).run(100, seed=1)
>>> result.records[-1]["primary_n_total"]
388
"""

from mbctwin.cascade.config import CascadeConfig, CascadeConfigError
from mbctwin.cascade.model import CascadeModel, CascadeResult

__all__ = ["CascadeConfig", "CascadeConfigError", "CascadeModel", "CascadeResult"]
