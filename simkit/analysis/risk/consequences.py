"""``consequence_risk``: for every unit, how likely each consequence is once the data's measurement error, the
weights and the rule choices are taken as uncertain, and how far the unit is from the next grade.

The Monte Carlo is the uncertainty analysis's (``analysis.uncertainty``: the spec, the seeded blocks, the
chunks sized by a memory budget, the threads), run over the last K years up to the focus year with the
look-back (``problem.RiskProblem``), so that the accountability ladder runs over each draw's own consecutive
years.  The margins are the nominal ones (``margins``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..._version import __version__
from ...engine.evaluate import as_data, as_scenario
from ...errors import Problem, ScenarioError
from ...io.dataset import Dataset
from ...schema.scenario import Scenario, source_of
from ..uncertainty import DataNoise, RunOptions, UncertaintyResult, UncertaintySpec, default_spec
from ..uncertainty.spec import as_spec
from .margins import grade_margins
from .problem import RISK_SOURCE, RiskProblem, RiskTally, run_risk


def risk_spec(scenario: Scenario, data: Dataset, *, noise: float = 0.02, spread: float | None = None,
              spec: UncertaintySpec | Mapping[str, Any] | None = None) -> UncertaintySpec:
    """The uncertain inputs: ``spec`` if given; else lognormal data noise with sd ``noise`` (every observed
    value the rules read) and, with ``spread``, the JRC-style weights (``uncertainty.default_spec``).

    >>> import simkit
    >>> sc = simkit.load_scenario("yiyang_2018_reform")
    >>> risk_spec(sc, simkit.load_data()).labels, risk_spec(sc, simkit.load_data(), spread=0.25).labels[-1]
    (('noise',), 'noise')
    """
    if spec is not None:
        return as_spec(spec)
    if spread:
        return default_spec(scenario, data, spread=spread, noise=noise or None)
    if not noise or noise <= 0:
        raise ScenarioError(Problem(RISK_SOURCE, "nothing is uncertain: the noise is 0 and no weights vary",
                                    "give a noise sd (--noise 0.02), a weight spread (--spread 0.25) or a spec",
                                    field="noise"))
    return UncertaintySpec(noise=DataNoise(sd=noise))


def consequence_risk(scenario: Scenario | str | Path, data: Dataset | str | Path | None = None, *,
                     draws: int = 4000, noise: float = 0.02, years: int | None = None, seed: int = 0,
                     spec: UncertaintySpec | Mapping[str, Any] | None = None, spread: float | None = None,
                     year: int | None = None, margins: bool = True, chunk_size: int | None = None,
                     workers: int | None = None, memory: float | None = None, client: Any = None,
                     payout_sample: int = 20_000) -> pd.DataFrame:
    """Per unit, the probability of every consequence and the margins to the next grade up and down.

    Uncertain inputs: ``spec`` (an ``UncertaintySpec``: weights, noise, rule choices), else lognormal data noise
    with sd ``noise`` (each observed value × exp(sd·z), independently per unit, indicator and year) and, with
    ``spread``, the weights drawn within ±spread of nominal.  Each of ``draws`` draws evaluates the last
    ``years`` years up to the focus year ``year`` (default: every year the scenario can evaluate) in one batch,
    with the progress award and the accountability ladder run over those years; the ladder starts from nothing
    in the first of them.  Back-ends: threads (``workers``, default the CPUs, at most 8; 1 = one block after the
    other) or a dask.distributed ``client``; ``memory``: bytes for the blocks in flight (default a quarter of the
    machine's memory), or ``chunk_size`` draws per block.  ``seed``: the same seed gives the same table for any
    chunk size, memory, threads and back-end.

    Columns, one row per unit (sorted by group and nominal rank), all for the focus year:

    - ``unit``, ``name``, ``group``; ``nominal_rank``, ``median_rank``, ``rank_q05``, ``rank_q95`` (5–95%);
    - ``nominal_grade`` and ``p_<grade>`` for every grade (``p_none``: no grade, when it happens);
    - with an accountability ladder: ``nominal_step`` (the step on the observed data, "" for none),
      ``p_<step>`` for every step (the probability that this step is the one taken this year: 约谈, 诫勉谈话,
      调整岗位), ``p_accountability`` (any step this year) and ``p_accountability_years`` (a step in any of the
      evaluated years);
    - with a progress award: ``nominal_progress`` and ``p_progress``;
    - with a bonus by rank tier: ``p_tier_<tier>`` for every tier and ``p_tier_rest``;
    - with a bonus: ``nominal_payout``, ``mean_payout``, ``median_payout``, ``payout_q05``, ``payout_q95`` (yuan,
      5–95% over the first ``payout_sample`` draws); with award slots the same for ``slots``;
    - with ``margins`` (``margins.grade_margins``, nominal rules on the observed data): ``total``, ``grade_up``
      and ``margin_up`` (points of total), ``up_indicator``, ``up_value``, ``up_required``, ``up_change_pct``,
      ``up_grade``; ``grade_down``, ``margin_down`` and ``down_*`` likewise.

    ``attrs`` holds ``years`` (the evaluated years), ``draws``, ``seed``, ``grades``, ``steps`` and ``manifest``.

    >>> t = consequence_risk("yiyang_2018_reform", draws=200, seed=1, margins=False)
    >>> zy = t.set_index("unit").loc["ZY"]
    >>> zy["nominal_grade"], zy["nominal_step"], bool(0 < zy["p_约谈"] < 1), t.attrs["years"]
    ('较差', '约谈', True, (2015, 2016, 2017, 2018))
    """
    scenario = as_scenario(scenario)
    data = as_data(data, scenario)
    if draws < 2:
        raise ScenarioError(Problem(RISK_SOURCE, f"draws = {draws}", "use at least 2 draws", field="draws"))
    if seed is None or int(seed) < 0:
        raise ScenarioError(Problem(RISK_SOURCE, f"seed = {seed!r}", "give a whole number ≥ 0", field="seed"))
    the_spec = risk_spec(scenario, data, noise=noise, spread=spread, spec=spec)
    problem = RiskProblem(scenario, data, the_spec, year, years)
    options = RunOptions(seed=int(seed), draws=int(draws), payout_sample=int(payout_sample), chunk_size=chunk_size,
                         workers=workers, memory=memory)
    tally = run_risk(problem, options, client)
    table = _table(problem, options, tally)
    if margins:
        m = grade_margins(problem.history.at(problem.year)).drop(columns="grade")
        table = table.merge(m, on="unit", how="left")
    table.attrs.update(_attrs(problem, options))
    return table


def _table(p: RiskProblem, options: RunOptions, tally: RiskTally) -> pd.DataFrame:
    """The per-unit columns, in the order of the uncertainty analysis's rank table."""
    u = UncertaintyResult(p, options, tally.focus)
    ranks = u.rank_intervals
    keep = ["unit", "name", "group", "nominal_rank", "median_rank", "q05", "q95", "nominal_grade",
            *[c for c in ranks.columns if c.startswith("p_") and c not in ("p_top", "p_bottom")]]
    df = ranks[keep].rename(columns={"q05": "rank_q05", "q95": "rank_q95"})
    n = options.draws
    at = pd.Index(p.data.unit_ids).get_indexer(df["unit"])  # data order → the table's order
    hist = p.history
    if p.steps:
        step = hist["step"][0, -1]
        df["nominal_step"] = [p.steps[s] if s >= 0 else "" for s in step[at]]
        for k, name in enumerate(p.steps):
            df[f"p_{name}"] = tally.steps[at, k + 1] / n
        df["p_accountability"] = 1.0 - tally.steps[at, 0] / n
        df["p_accountability_years"] = tally.ever[at] / n
    if tally.progress is not None:
        df["nominal_progress"] = hist["progress_award"][0, -1][at].astype(bool)
        df["p_progress"] = tally.progress[at] / n
    if tally.tiers is not None:
        for k, name in enumerate(p.tiers):
            df[f"p_tier_{name}"] = tally.tiers[at, k] / n
        df["p_tier_rest"] = tally.tiers[at, len(p.tiers)] / n
    money = u.payout_intervals.set_index("unit").loc[df["unit"]]
    renames = {"q05_payout": "payout_q05", "q95_payout": "payout_q95", "q05_slots": "slots_q05",
               "q95_slots": "slots_q95"}
    for col in money.columns:
        if col not in ("name", "group"):
            df[renames.get(col, col)] = money[col].to_numpy()
    return df.reset_index(drop=True)


def _attrs(p: RiskProblem, options: RunOptions) -> dict[str, Any]:
    sc, data = p.scenario, p.data
    years = tuple(data.years[t] for t in p.ts)
    manifest = {
        "simkit_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "analysis": "risk",
        "scenario": {"name": sc.name, "file": source_of(sc), "sha256": sc.fingerprint()},
        "data": data.provenance(),
        "year": p.year,
        "years": list(years),
        "seed": options.seed,
        "draws": options.draws,
        "payout_quantile_draws": options.kept_payouts,
        "inputs": [{"input": g.label, "kind": g.kind, "dims": g.dim} for g in p.groups],
        "spec": p.spec.model_dump(mode="json"),
    }
    return {"scenario": sc.name, "scenario_en": sc.name_en or sc.name, "year": p.year, "years": years,
            "draws": options.draws, "seed": options.seed, "grades": p.grade_names, "grades_en": p.grade_names_en,
            "steps": p.steps, "steps_en": p.steps_en, "tiers": p.tiers, "inputs": tuple(g.label for g in p.groups),
            "noise": p.noise.sd if p.noise is not None else None, "manifest": manifest}


def nominal_steps(table: pd.DataFrame) -> np.ndarray:
    """The nominal step of every row as an index into ``attrs["steps"]`` (−1: none)."""
    steps = list(table.attrs.get("steps", ()))
    return np.array([steps.index(s) if s in steps else -1 for s in table.get("nominal_step", [""] * len(table))])
