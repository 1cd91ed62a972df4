"""Would we punish the wrong leader?  Consequence risk (后果风险) and the false-accountability rate (问责错配率).

- ``consequence_risk`` (``consequences``): for every unit, from a Monte Carlo over data noise, weights and rule
  choices (the uncertainty analysis's spec, sampling and chunking), run over the last K years so that the
  accountability ladder runs over consecutive simulated years: P(each grade), P(约谈), P(诫勉谈话),
  P(调整岗位), P(progress award), P(each bonus tier), the payout interval, and the margins to the next grade
  up and down (``margins``: on the total and on the unit's most effective indicator);
- ``tenure_accountability`` (``tenure``): a tenure simulation (latent performance paths as ``dynamics``
  projects them, observed = latent × measurement noise): per scheme and tenure, how often a leader who is never
  in the latent bottom tier is 约谈 or moved (false accountability), and how often one persistently in it
  escapes (missed accountability), with Wilson intervals.

Definitions and the figures on the bundled data: ``docs/risk.md``.

>>> t = consequence_risk("yiyang_2018_reform", draws=100, seed=1, margins=False)
>>> t.set_index("unit").loc["ZY", "nominal_step"]
'约谈'
"""

from __future__ import annotations

from .consequences import consequence_risk, risk_spec
from .margins import grade_margins, smallest_change, total_margins
from .problem import RiskProblem, RiskTally, run_risk
from .tenure import tenure_accountability

__all__ = [
    "RiskProblem",
    "RiskTally",
    "consequence_risk",
    "grade_margins",
    "risk_spec",
    "run_risk",
    "smallest_change",
    "tenure_accountability",
    "total_margins",
]
