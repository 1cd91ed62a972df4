"""Every fast path sits behind its reference signature and equals the reference on random inputs: grades by
place and the general grading procedure (both over all groups at once) against the procedure run group by
group, the one-sort group ranks against ranking each group on its own, the award slots of every group at once
against rounding each group on its own, and the collapsed leaf weights against aggregation level by level."""

from __future__ import annotations

import numpy as np
from pydantic import ValidationError

from simkit.engine.aggregate import aggregate
from simkit.engine.tree import Tree
from simkit.rules.consequences import award_slots, round_to_total
from simkit.rules.grading import assign_grades, grades_general, quota
from simkit.rules.ranking import group_ranks, rank_desc
from simkit.schema.adjustments import Veto
from simkit.schema.consequences import Awards, VetoEffects
from simkit.schema.grading import Grade, Grading

CODES = np.array([9, -2, 40, 3, 2**33])  # unsorted, non-contiguous group codes


def _rank_each_group(x, codes, ties, tie_break=(), decimals=9):
    """The reference: ``rank_desc`` on each group's units alone."""
    out = np.full(x.shape, np.nan)
    for g in np.unique(codes):
        sel = np.flatnonzero(codes == g)
        tb = [np.broadcast_to(np.asarray(k, dtype=float), x.shape)[..., sel] for k in tie_break]
        out[..., sel] = rank_desc(x[..., sel], ties, tie_break=tb, decimals=decimals)
    return out


def _fill_one_group(score, ranked, n, order, lo, hi, vetoed, grade, k, gr, from_bottom, grading, *, excluded,
                    share_ties, counts_forced):
    """The general procedure's step for one group (batch, units in group): candidates counted by place after a
    sort by place (the procedure as it was written before it ran over all groups at once)."""
    cand = ranked & (grade < 0)
    if gr.min_score is not None:
        cand &= score >= gr.min_score - 1e-9
    if excluded:
        cand &= ~vetoed
    if gr.share is None and gr.count is None:
        grade[cand] = k
        return
    q = quota(gr.share, gr.count, n, grading.rounding)
    if from_bottom:
        q = np.minimum(q, np.maximum(n - 1, 0))
    if counts_forced:
        q = q - (grade == k).sum(axis=1)
    q = q[:, None]
    b = cand.shape[0]
    cum = np.cumsum(np.take_along_axis(cand, order, axis=1), axis=1)
    cum0 = np.concatenate([np.zeros((b, 1), dtype=int), cum], axis=1)
    before = np.take_along_axis(cum0, lo - 1, axis=1)
    through = np.take_along_axis(cum0, hi, axis=1)
    if from_bottom:
        total = cum0[:, -1:]
        before, through = total - through, total - before
    edge = np.zeros_like(cand) if from_bottom else (before < q) & share_ties
    grade[cand & ((through <= q) | edge)] = k


def _grades_each_group(score, rank_lo, rank_hi, codes, grading, vetoed=None, veto=None):
    """The reference: the general grading procedure run on each group alone."""
    b, u = score.shape
    vetoed = np.zeros((b, u), dtype=bool) if vetoed is None else vetoed
    grades = grading.grades
    names = [g.name for g in grades]
    best_allowed = names.index(veto.best_grade) if veto is not None and veto.best_grade else 0
    forced = veto is not None and veto.grade is not None
    bottom = [k for k, g in enumerate(grades) if g.from_ == "bottom"]
    top = [k for k, g in enumerate(grades) if g.from_ == "top"]
    fallback = top[-1] if top else len(grades) - 1
    counts = veto is None or veto.counts_in_quota
    out = np.full((b, u), -1, dtype=int)
    for g in np.unique(codes):
        cols = np.flatnonzero(codes == g)
        lo = rank_lo[:, cols]
        ranked = ~np.isnan(lo)
        args = dict(score=score[:, cols], ranked=ranked, n=ranked.sum(axis=1),
                    order=np.argsort(np.where(ranked, lo, np.inf), axis=1, kind="stable"),
                    lo=np.nan_to_num(lo, nan=1).astype(int), hi=np.nan_to_num(rank_hi[:, cols], nan=1).astype(int),
                    vetoed=vetoed[:, cols], grade=out[:, cols])
        if forced:
            args["grade"][ranked & args["vetoed"]] = names.index(veto.grade)
        for k, bottom_k in [(k, True) for k in reversed(bottom)] + [(k, False) for k in top]:
            _fill_one_group(**args, k=k, gr=grades[k], from_bottom=bottom_k, grading=grading,
                            excluded=forced or k < best_allowed, share_ties=grading.ties == "share",
                            counts_forced=counts)
        args["grade"][ranked & (args["grade"] < 0)] = fallback
        out[:, cols] = args["grade"]
    return out


def _random_codes(rng: np.random.Generator, n: int) -> np.ndarray:
    """Group codes for n units: a few groups (some of one unit), or one big group and singletons."""
    if rng.random() < 0.3:
        big = rng.random(n) < 0.6
        return np.where(big, 7, 100 + np.arange(n))
    return rng.choice(CODES[: int(rng.integers(1, len(CODES) + 1))], n)


def test_group_ranks_in_one_sort_equal_ranking_each_group():
    rng = np.random.default_rng(0)
    for trial in range(400):
        n = int(rng.integers(1, 15))
        shape = (*tuple(rng.integers(1, 4, size=rng.integers(0, 3))), n)
        x = np.round(rng.random(shape) * 3, int(rng.integers(0, 3)))
        x[rng.random(shape) < 0.1] = np.nan
        x[rng.random(shape) < 0.05] = np.inf
        x[rng.random(shape) < 0.03] = -np.inf
        if trial % 7 == 0:
            x[...] = 1.0  # everyone tied
        codes = _random_codes(rng, n)
        dec = [None, 0, 6][trial % 3]
        rules = ("min", "max", "dense", "min")
        for t, r in zip(rules, group_ranks(x, codes, rules, decimals=dec), strict=True):
            np.testing.assert_array_equal(r, _rank_each_group(x, codes, t, (), dec))


def test_group_ranks_with_tie_breaks_and_first_equal_ranking_each_group():
    rng = np.random.default_rng(3)
    for _ in range(400):
        n = int(rng.integers(1, 15))
        shape = (*tuple(rng.integers(1, 4, size=rng.integers(0, 3))), n)
        x = np.round(rng.random(shape) * 3, 0)
        x[rng.random(shape) < 0.1] = np.nan
        keys = [np.round(rng.random(shape) * 2, 0) for _ in range(int(rng.integers(0, 3)))]
        for k in keys:
            k[rng.random(shape) < 0.1] = np.nan
        if rng.random() < 0.5:
            keys.append(rng.permutation(n).astype(float))  # a unit order, the same in every draw (1-D)
        codes = _random_codes(rng, n)
        rules = tuple(rng.choice(["min", "max", "dense", "first"], size=int(rng.integers(1, 4))))
        for t, r in zip(rules, group_ranks(x, codes, rules, tie_break=keys, decimals=6), strict=True):
            np.testing.assert_array_equal(r, _rank_each_group(x, codes, t, keys, 6))


def _random_grading(rng: np.random.Generator, bands: bool) -> Grading | None:
    grades = []
    for k in range(int(rng.integers(1, 4))):
        c = int(rng.integers(0, 3))
        grades.append(Grade(name=f"t{k}", share=float(rng.choice([0.1, 0.25, 0.5])) if c == 0 else None,
                            count=int(rng.integers(0, 4)) if c == 1 else None,
                            min_score=float(rng.choice([1.0, 2.0, 3.5])) if bands and rng.random() < 0.5 else None))
    grades.append(Grade(name="rest", min_score=0.5 if bands and rng.random() < 0.3 else None))
    for k in range(int(rng.integers(0, 3))):
        kw = {"count": int(rng.integers(0, 3))} if rng.random() < 0.5 else {"share": 0.2}
        grades.append(Grade(name=f"b{k}", **kw, **{"from": "bottom"}))
    try:
        return Grading(grades=tuple(grades), rounding=str(rng.choice(["floor", "round", "ceil"])),
                       ties=str(rng.choice(["share", "exclude"])))
    except ValidationError:  # shares over the whole group: refused by the scenario, not a case
        return None


def _random_veto(rng: np.random.Generator, g: Grading) -> Veto | None:
    names = [gr.name for gr in g.grades]
    c = int(rng.integers(0, 5))
    if c == 0:
        return None
    if c == 1:
        return Veto()
    if c == 2:
        return Veto(best_grade=str(rng.choice(names)))
    return Veto(grade=str(rng.choice(names)), counts_in_quota=bool(c == 3),
                best_grade=str(rng.choice(names)) if rng.random() < 0.3 else None)


def test_grades_over_all_groups_equal_the_procedure_group_by_group():
    rng = np.random.default_rng(1)
    done = 0
    while done < 400:
        bands = done % 2 == 1
        g = _random_grading(rng, bands)
        if g is None:
            continue
        done += 1
        u = int(rng.integers(1, 14))
        b = int(rng.integers(1, 7))
        s = np.round(rng.random((b, u)) * 4, 0 if rng.random() < 0.5 else 2)
        s[rng.random((b, u)) < 0.1] = np.nan
        if done % 9 == 0:
            s[:] = 2.0  # equal scores
        codes = _random_codes(rng, u)
        lo, hi = group_ranks(s, codes, ("min", "max"))
        vetoed = rng.random((b, u)) < 0.2
        veto = _random_veto(rng, g)
        ref = _grades_each_group(s, lo, hi, codes, g, vetoed, veto)
        np.testing.assert_array_equal(grades_general(s, lo, hi, codes, g, vetoed, veto), ref)
        np.testing.assert_array_equal(assign_grades(s, lo, hi, codes, g, vetoed, veto), ref)


def test_grades_by_place_table_for_many_clean_draws():
    """Many draws without ties (the table of grade by place) mixed with tied ones and missing totals."""
    rng = np.random.default_rng(5)
    for _ in range(60):
        g = _random_grading(rng, False)
        if g is None:
            continue
        u = int(rng.integers(2, 40))
        s = rng.random((30, u))
        s[:5] = np.round(s[:5] * 3)  # some tied draws
        s[5, 0] = np.nan
        codes = _random_codes(rng, u)
        lo, hi = group_ranks(s, codes, ("min", "max"))
        np.testing.assert_array_equal(assign_grades(s, lo, hi, codes, g), _grades_each_group(s, lo, hi, codes, g))


def _award_slots_each_group(awards, grade, names, rank, headcount, codes, vetoed, veto, unit_ids):
    """The reference: the award quota shared out and rounded on each scope alone."""
    by_id = -np.argsort(np.argsort(np.array(unit_ids, dtype=object))).astype(float)
    table = np.array([awards.weights.get(n, 0.0) for n in names] + [0.0])
    w = table[np.where(grade >= 0, grade, len(names))]
    if awards.per_head and headcount is not None:
        w = w * headcount
    if veto.awards == "none":
        w = np.where(vetoed, 0.0, w)
    scopes = [np.ones(len(codes), dtype=bool)] if awards.scope == "all" else [codes == g for g in np.unique(codes)]
    out = np.zeros(w.shape, dtype=np.int64)
    for sel in scopes:
        ws = w[:, sel]
        total = ws.sum(axis=-1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            exact = np.where(total > 0, awards.quota * ws / total, 0.0)
        q = np.where(total[:, 0] > 0, awards.quota, 0)
        out[:, sel] = round_to_total(exact, q, priority=[-np.nan_to_num(rank[:, sel], nan=np.inf), by_id[sel]])
    return out


def test_award_slots_over_all_groups_equal_rounding_each_group():
    rng = np.random.default_rng(4)
    names = ("A", "B", "C")
    for trial in range(200):
        u = int(rng.integers(1, 14))
        b = int(rng.integers(1, 5))
        codes = _random_codes(rng, u)
        grade = rng.integers(-1, 3, (b, u))
        rank = _rank_each_group(np.round(rng.random((b, u)) * 3), codes, "min")
        rank[grade < 0] = np.nan
        awards = Awards(quota=int(rng.integers(0, 2 * u + 1)), weights={"A": 1.5, "B": 1.0, "C": 0.5},
                        per_head=bool(trial % 2), scope=str(rng.choice(["all", "group"])))
        head = rng.integers(1, 4, u).astype(float)
        vetoed = rng.random((b, u)) < 0.15
        veto = VetoEffects(awards=str(rng.choice(["none", "as_graded"])))
        ids = tuple(str(k) for k in rng.permutation(100)[:u])
        got = award_slots(awards, grade, names, rank, head, codes, vetoed, veto, ids)
        np.testing.assert_array_equal(got, _award_slots_each_group(awards, grade, names, rank, head, codes, vetoed,
                                                                   veto, ids))


def _random_tree(rng: np.random.Generator) -> Tree:
    """Leaves under 1–3 first-level nodes (some with a middle level), weights random, all arithmetic."""
    n_leaves = int(rng.integers(2, 8))
    n_mid = int(rng.integers(1, 4))
    parent_of_leaf = rng.integers(0, n_mid, n_leaves)
    nodes = n_leaves + n_mid + 1
    parent = np.concatenate([n_leaves + parent_of_leaf, np.full(n_mid, nodes - 1), [-1]])
    children = tuple(np.flatnonzero(parent == k) for k in range(nodes))
    depth = np.concatenate([np.full(n_leaves, 2), np.ones(n_mid), [0]]).astype(int)
    names = tuple(f"n{k}" for k in range(nodes))
    return Tree(names, n_leaves, parent, rng.uniform(0.5, 3.0, nodes), children, depth,
                ("arithmetic",) * nodes, np.ones((1, n_leaves), bool), np.arange(n_leaves),
                tuple((names[n_leaves + p], names[k]) for k, p in enumerate(parent_of_leaf)), False)


def test_collapsed_leaf_weights_equal_aggregation_level_by_level():
    rng = np.random.default_rng(2)
    for _ in range(200):
        tree = _random_tree(rng)
        u = int(rng.integers(1, 10))
        scores = rng.uniform(0, 120, (1, u, tree.n_leaves))
        scores[rng.random(scores.shape) < 0.2] = np.nan  # missing cells: weights renormalised over the rest
        weights = tree.weight * rng.uniform(0.7, 1.3, (int(rng.integers(1, 6)), len(tree.nodes)))
        nodes = (len(tree.nodes) - 1, int(rng.integers(tree.n_leaves, len(tree.nodes))))
        full, _ = aggregate(tree, scores, weights)
        fast, eff = aggregate(tree, scores, weights, nodes=nodes)
        assert eff is None
        for j, k in enumerate(nodes):  # the asked nodes, in the order asked
            np.testing.assert_allclose(fast[..., j], full[..., k], rtol=1e-12, atol=1e-9)


def _float_sort_ranks(monkeypatch, *args, **kw):
    """group_ranks by the float sort of the keys (the packed-integer path switched off)."""
    from simkit.rules import ranking

    with monkeypatch.context() as m:
        m.setattr(ranking, "_packed", lambda *a, **k: None)
        return ranking.group_ranks(*args, **kw)


def test_packed_integer_ranks_equal_the_float_sort(monkeypatch):
    """One key rounded to whole numbers rides with its unit in one int64 sort: the same ranks as the float
    sort, for padded rows, one row of many groups, missing values, ties at the rounding and wide ranges, with
    the places sent back to the units either way."""
    from simkit.rules import ranking

    rng = np.random.default_rng(5)
    packed = 0
    for trial in range(600):
        n = int(rng.integers(1, 120))
        b = int(rng.integers(1, 5))
        codes = _random_codes(rng, n) if trial % 2 else rng.integers(0, int(rng.integers(1, 9)), n)
        dec = [0, 2, 6, 9][trial % 4]
        scale = [1.0, 100.0, 1e6, -50.0][trial % 4]
        x = np.round(rng.random((b, n)) * scale, int(rng.integers(0, dec + 2)))
        x[rng.random((b, n)) < 0.1] = np.nan
        if trial % 5 == 0:
            x[:, : n // 2] = x[:, :1]  # ties
        if trial % 11 == 0:
            x += 0.5 / 10.0**dec  # halves at the rounding
        rules = tuple(rng.choice(["min", "max", "dense", "first"], size=int(rng.integers(1, 4))))
        missing = np.isnan(x)
        rows = ranking.Groups(codes).rows
        packed += ranking._packed(x, rows, dec, missing, bool(missing.any())) is not None
        ref = _float_sort_ranks(monkeypatch, x, codes, rules, decimals=dec)
        for back in (ranking.SORT_BACK_SLOTS, 0):  # places back to the units by a second sort, or a scatter
            monkeypatch.setattr(ranking, "SORT_BACK_SLOTS", back)
            for r, want in zip(group_ranks(x, codes, rules, decimals=dec), ref, strict=True):
                np.testing.assert_array_equal(r, want)
        monkeypatch.undo()
    assert packed > 500  # the comparison is of the packed path, mostly


def test_packed_integer_ranks_step_aside_where_they_do_not_fit():
    from simkit.rules import ranking

    rows = ranking.Groups(np.array([0, 0, 1])).rows
    none = np.zeros((1, 3), dtype=bool)
    fits = np.array([[1.5, 2.25, 3.0]])
    assert ranking._packed(fits, rows, 6, none, False) is not None
    assert ranking._packed(fits, rows, None, none, False) is None  # not rounded: no whole numbers
    assert ranking._packed(np.array([[1.0, np.inf, 2.0]]), rows, 6, none, False) is None
    assert ranking._packed(np.array([[1e300, 0.0, 2.0]]), rows, 9, none, False) is None  # beyond 2^51
    wide = np.array([[1e12, -1e12, 0.0]])
    assert ranking._packed(wide, rows, 6, none, False) is None  # 10^18 as a whole number: beyond 2^51
    np.testing.assert_array_equal(group_ranks(wide, np.array([0, 0, 1]), ("min",), decimals=6)[0], [[1.0, 2.0, 1.0]])
