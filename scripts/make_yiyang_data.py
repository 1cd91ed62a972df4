"""Generate the illustrative (SYNTHETIC) Yiyang data set shipped with simkit.

    python scripts/make_yiyang_data.py

writes ``simkit/datasets/yiyang_full/`` (units, indicators, observations, targets,
adjustments and events as UTF-8 CSV, plus README.md) and, as its subset, the default
bundled data ``simkit/datasets/yiyang/`` (the county-level units and the city
departments, annual values, no events: the CSV files; its README.md is kept by hand). Every number is synthetic:
合成数据，仅供演示，非真实统计数据. Only numpy and pandas are used; the random
generator is ``numpy.random.default_rng(20180629)`` and the draws are made in a
fixed order, so the output is identical on every run.  What issue 13 added (the
园区 family, the monthly and quarterly values of daily management and special
evaluations, the events of inspections and audits) draws from a second generator,
``numpy.random.default_rng(20180630)``, after everything else, so that every number
that was there before stays as it was.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20180629
YEARS = list(range(2011, 2019))  # 2011..2018 inclusive
TARGET_YEARS = list(range(2014, 2019))
N_Y = len(YEARS)
OUT = Path(__file__).resolve().parent.parent / "simkit" / "datasets" / "yiyang_full"
BASE = OUT.parent / "yiyang"  # the default data: the subset without what issue 13 added

GDP_SUM_2015 = 1354.0  # 亿元, the city's GDP in 2015 (public order of magnitude)
GDP_SUM_2018 = 1782.0  # 亿元, the city's GDP in 2018

rng = np.random.default_rng(SEED)
EXTRA_SEED = SEED + 1  # the additions of issue 13 (parks, values by period, events): their own generator
rng2 = np.random.default_rng(EXTRA_SEED)


def yi(year: int) -> int:
    return YEARS.index(year)


# ---------------------------------------------------------------------------
# Units
# ---------------------------------------------------------------------------
# id, name, name_en, relative 2018 GDP (亿元, before scaling), population (万人),
# area (km2), headcount, average nominal growth drift (% a year, before the
# common calibration shift; smaller units slightly faster, not monotone).
COUNTIES = [
    ("HS", "赫山区", "Heshan District", 390, 88.6, 1948, 2600, 9.2),
    ("ZY", "资阳区", "Ziyang District", 190, 43.1, 749, 1500, 9.8),
    ("YJ", "沅江市", "Yuanjiang City", 330, 73.2, 2177, 2300, 9.3),
    ("NX", "南县", "Nan County", 220, 75.8, 1321, 2000, 9.4),
    ("TJ", "桃江县", "Taojiang County", 290, 89.9, 2068, 2400, 9.6),
    ("AH", "安化县", "Anhua County", 270, 102.4, 4950, 2900, 9.5),
    ("DTH", "大通湖区", "Datonghu District", 45, 11.8, 393, 850, 9.7),
    ("GX", "益阳高新区", "Yiyang High-tech Zone", 250, 21.5, 221, 1100, 9.9),
]
COUNTY_BONUS = 25000  # 元 per staff member, same for all counties

DEPT_CATEGORIES = {
    "党群类": [
        ("市委办公室", "General Office of the CPC Municipal Committee"),
        ("市委组织部", "Organization Department of the CPC Municipal Committee"),
        ("市委宣传部", "Publicity Department of the CPC Municipal Committee"),
        ("市委统战部", "United Front Work Department of the CPC Municipal Committee"),
        ("市总工会", "Municipal Federation of Trade Unions"),
        ("共青团益阳市委", "Yiyang Municipal Committee of the Communist Youth League"),
    ],
    "经济发展类": [
        ("市发展和改革委员会", "Municipal Development and Reform Commission"),
        ("市工业和信息化局", "Municipal Bureau of Industry and Information Technology"),
        ("市财政局", "Municipal Finance Bureau"),
        ("市商务局", "Municipal Commerce Bureau"),
        ("市科学技术局", "Municipal Science and Technology Bureau"),
        ("市统计局", "Municipal Statistics Bureau"),
    ],
    "社会工作类": [
        ("市教育局", "Municipal Education Bureau"),
        ("市卫生健康委员会", "Municipal Health Commission"),
        ("市民政局", "Municipal Civil Affairs Bureau"),
        ("市人力资源和社会保障局", "Municipal Human Resources and Social Security Bureau"),
        ("市文化旅游广电体育局", "Municipal Bureau of Culture, Tourism, Radio, Television and Sports"),
        ("市退役军人事务局", "Municipal Veterans Affairs Bureau"),
    ],
    "城建交通类": [
        ("市住房和城乡建设局", "Municipal Housing and Urban-Rural Development Bureau"),
        ("市交通运输局", "Municipal Transport Bureau"),
        ("市自然资源和规划局", "Municipal Natural Resources and Planning Bureau"),
        ("市城市管理和综合执法局", "Municipal Urban Management and Law Enforcement Bureau"),
        ("市生态环境局", "Municipal Ecology and Environment Bureau"),
        ("市人民防空办公室", "Municipal Civil Air Defence Office"),
    ],
    "农业农村类": [
        ("市农业农村局", "Municipal Agriculture and Rural Affairs Bureau"),
        ("市水利局", "Municipal Water Resources Bureau"),
        ("市林业局", "Municipal Forestry Bureau"),
        ("市扶贫开发办公室", "Municipal Poverty Alleviation and Development Office"),
        ("市供销合作社", "Municipal Supply and Marketing Cooperative"),
        ("市畜牧水产事务中心", "Municipal Animal Husbandry and Aquaculture Centre"),
    ],
    "执法监管类": [
        ("市市场监督管理局", "Municipal Market Supervision Administration"),
        ("市应急管理局", "Municipal Emergency Management Bureau"),
        ("市审计局", "Municipal Audit Bureau"),
        ("市医疗保障局", "Municipal Healthcare Security Bureau"),
        ("市行政审批服务局", "Municipal Administrative Approval Service Bureau"),
        ("市税务局", "Municipal Taxation Bureau"),
    ],
    "政法类": [
        ("市委政法委员会", "Political and Legal Affairs Commission of the CPC Municipal Committee"),
        ("市公安局", "Municipal Public Security Bureau"),
        ("市中级人民法院", "Municipal Intermediate People's Court"),
        ("市人民检察院", "Municipal People's Procuratorate"),
        ("市司法局", "Municipal Justice Bureau"),
        ("市信访局", "Municipal Letters and Visits Bureau"),
    ],
    "服务保障类": [
        ("市人民政府办公室", "General Office of the Municipal People's Government"),
        ("市机关事务管理局", "Municipal Government Offices Administration"),
        ("市委党校", "Party School of the CPC Municipal Committee"),
        ("市档案馆", "Municipal Archives"),
        ("市地方志编纂室", "Municipal Local Chronicles Office"),
        ("市公共资源交易中心", "Municipal Public Resources Trading Centre"),
    ],
}
DEPT_BONUS = 20000  # 元 per staff member, same for all departments

# The 园区 family (parks), evaluated on indicators of its own (track 园区).  益阳高新区 is also one of the eight
# county-level units (GX, its county-level evaluation); as a park it is a unit of its own (PGX).
# id, name, name_en, 2018 revenue (亿元), tax per mu (万元/亩), high-tech share (%), projects a year, FDI
# (万美元), energy intensity, headcount, planned area (km2)
PARKS = [
    ("PGX", "益阳高新技术产业开发区", "Yiyang High-tech Industrial Development Zone", 620.0, 18.0, 45.0, 20, 9000, 0.35, 260, 52),
    ("PCC", "益阳长春经济开发区", "Yiyang Changchun Economic Development Zone", 310.0, 11.0, 30.0, 12, 4000, 0.50, 180,
     30),
    ("PLL", "益阳龙岭产业开发区", "Yiyang Longling Industrial Development Zone", 240.0, 9.0, 28.0, 10, 3000, 0.55, 150,
     25),
]
PARK_BONUS = 22000  # 元 per staff member of a park's management committee
K = "园区"

# ---------------------------------------------------------------------------
# Indicators
# ---------------------------------------------------------------------------
# (indicator, name, name_en, parent, direction, measure_unit, weight, track, kind, decimals)
C, D = "区县市", "市直单位"
#: The English name of every group (the units table's optional `group_en` column).
GROUP_EN = {
    C: "Counties and districts", "党群类": "Party and mass organisations", "经济发展类": "Economic development",
    "社会工作类": "Social affairs", "城建交通类": "Urban construction and transport",
    "农业农村类": "Agriculture and rural affairs", "政法类": "Political and legal affairs",
    "执法监管类": "Law enforcement and regulation", "服务保障类": "Services and support", K: "Parks",
}
LEVEL1 = [
    ("Q", "高质量发展", "High-quality development", 50),
    ("B", "三大攻坚战", "Three tough battles", 20),
    ("P", "党的建设", "Party building", 15),
    ("S", "社会稳定和安全生产", "Social stability and work safety", 15),
    ("M", "满意度评价", "Subjective evaluation", 0),
]
LEAVES = [
    # --- counties: 高质量发展 (14) ---
    ("gdp", "地区生产总值", "Gross domestic product", "Q", 1, "亿元", 6, C, 2),
    ("fiscal_rev", "一般公共预算收入", "General public budget revenue", "Q", 1, "亿元", 5, C, 2),
    ("tax_rev", "税收收入", "Tax revenue", "Q", 1, "亿元", 3, C, 2),
    ("industry_va", "规模以上工业增加值", "Value added of industry above designated size", "Q", 1, "亿元", 4, C, 2),
    ("fixed_inv", "固定资产投资", "Fixed-asset investment", "Q", 1, "亿元", 4, C, 2),
    ("retail", "社会消费品零售总额", "Total retail sales of consumer goods", "Q", 1, "亿元", 3, C, 2),
    ("fdi", "实际利用外资", "Foreign direct investment actually used", "Q", 1, "万美元", 3, C, 0),
    ("export", "进出口总额", "Total imports and exports", "Q", 1, "亿元", 3, C, 2),
    ("urban_income", "城镇居民人均可支配收入", "Per-capita disposable income, urban residents", "Q", 1, "元", 3, C, 0),
    ("rural_income", "农村居民人均可支配收入", "Per-capita disposable income, rural residents", "Q", 1, "元", 4, C, 0),
    ("hitech_va", "高新技术产业增加值", "Value added of high-tech industries", "Q", 1, "亿元", 3, C, 2),
    ("rd_spend", "研究与试验发展经费支出", "R&D expenditure", "Q", 1, "万元", 3, C, 0),
    ("new_firms", "新登记市场主体", "Newly registered market entities", "Q", 1, "户", 3, C, 0),
    ("energy_intensity", "单位GDP能耗", "Energy consumption per unit of GDP", "Q", -1, "吨标准煤/万元", 3, C, 3),
    # --- counties: 三大攻坚战 (7) ---
    ("debt_ratio", "政府债务率", "Government debt ratio", "B", -1, "%", 3, C, 1),
    ("poverty_rate", "贫困发生率", "Poverty incidence", "B", -1, "%", 3, C, 2),
    ("poverty_exits", "脱贫人数", "People lifted out of poverty", "B", 1, "人", 4, C, 0),
    ("pm25", "PM2.5年均浓度", "Annual mean PM2.5 concentration", "B", -1, "微克/立方米", 3, C, 1),
    ("water_quality", "地表水断面水质优良率", "Share of surface-water sections of good quality", "B", 1, "%", 2, C, 1),
    ("forest_cover", "森林覆盖率", "Forest cover", "B", 1, "%", 2, C, 2),
    ("illegal_fin", "非法集资案件数", "Illegal fund-raising cases", "B", -1, "起", 3, C, 0),
    # --- counties: 党的建设 (4) ---
    ("village_party", "村级党组织标准化建设达标率", "Village party organisations up to standard", "P", 1, "%", 4, C, 1),
    ("cadre_training", "干部教育培训完成率", "Cadre training completion", "P", 1, "%", 3, C, 1),
    ("inspect_rectify", "巡察整改完成率", "Completion of inspection rectification", "P", 1, "%", 4, C, 1),
    ("grassroots_fund", "基层党建经费投入", "Grassroots party-building funding", "P", 1, "万元", 4, C, 0),
    # --- counties: 社会稳定和安全生产 (4) ---
    ("accident_deaths", "生产安全事故死亡人数", "Deaths in work-safety accidents", "S", -1, "人", 4, C, 0),
    ("petitions", "信访总量", "Petitions (letters and visits)", "S", -1, "件次", 4, C, 0),
    ("crime_rate", "刑事案件发案率", "Criminal case rate", "S", -1, "起/万人", 4, C, 1),
    ("food_safety", "食品安全抽检合格率", "Food-safety sampling pass rate", "S", 1, "%", 3, C, 1),
    # --- departments (11) ---
    ("d_key_tasks", "重点工作任务完成率", "Completion of key work tasks", "Q", 1, "%", 20, D, 1),
    ("d_budget_exec", "预算执行率", "Budget execution rate", "Q", 1, "%", 8, D, 1),
    ("d_project_inv", "项目投资完成额", "Project investment completed", "Q", 1, "万元", 8, D, 0),
    ("d_invest_attract", "招商引资到位资金", "Investment attracted and in place", "Q", 1, "万元", 8, D, 0),
    ("d_biz_env", "营商环境评价得分", "Business-environment assessment score", "Q", 1, "分", 6, D, 1),
    ("d_risk_resolve", "风险化解任务完成率", "Completion of risk-resolution tasks", "B", 1, "%", 10, D, 1),
    ("d_poverty_aid", "脱贫帮扶任务完成率", "Completion of poverty-aid tasks", "B", 1, "%", 10, D, 1),
    ("d_party_score", "党建工作考核得分", "Party-building assessment score", "P", 1, "分", 8, D, 1),
    ("d_integrity_score", "党风廉政建设得分", "Clean-governance assessment score", "P", 1, "分", 7, D, 1),
    ("d_safety_resp", "安全生产责任落实得分", "Work-safety responsibility score", "S", 1, "分", 8, D, 1),
    ("d_petition_resolve", "信访积案化解率", "Resolution rate of backlog petitions", "S", 1, "%", 7, D, 1),
    # --- subjective, all units ---
    ("survey", "公众满意度调查", "Public satisfaction survey", "M", 1, "分", 5, "", 1),
    ("mutual", "单位互评", "Mutual evaluation among units", "M", 1, "分", 5, "", 1),
]
#: First-level nodes of the parts of the year other than the year-end evaluation (weight 0: off unless a
#: scenario's components take them), and their leaves, observed by month or by quarter, for every unit.
LEVEL1_PARTS = [
    ("DM", "日常管理", "Daily management", 0),
    ("SP", "专项考核", "Special evaluations", 0),
]
PART_LEAVES = [
    ("dm_progress", "重点工作月度推进评分", "Monthly score of key-work progress", "DM", 1, "分", 0, "", 1),
    ("dm_supervision", "督查交办事项按期办结率", "Supervision items closed on time", "DM", 1, "%", 0, "", 1),
    ("sp_safety", "安全生产专项考核得分", "Special evaluation of work safety", "SP", 1, "分", 0, "", 1),
    ("sp_environment", "生态环境保护专项考核得分", "Special evaluation of environmental protection", "SP", 1, "分", 0,
     "", 1),
]
#: How often each part's leaves are observed: 12 months or 4 quarters a year.
PART_PERIODS = {"dm_progress": "month", "dm_supervision": "month", "sp_safety": "quarter",
                "sp_environment": "quarter"}
PARK_LEAVES = [
    ("pk_revenue", "技工贸总收入", "Technology, industry and trade revenue", "Q", 1, "亿元", 12, K, 2),
    ("pk_tax", "园区税收收入", "Tax revenue of the park", "Q", 1, "亿元", 10, K, 2),
    ("pk_tax_per_mu", "亩均税收", "Tax revenue per mu", "Q", 1, "万元/亩", 8, K, 2),
    ("pk_hitech_share", "高新技术产业增加值占比", "High-tech share of value added", "Q", 1, "%", 8, K, 1),
    ("pk_projects", "新开工亿元以上项目", "New projects of 100 million yuan or more", "Q", 1, "个", 6, K, 0),
    ("pk_fdi", "园区实际利用外资", "Foreign direct investment in the park", "Q", 1, "万美元", 6, K, 0),
    ("pk_energy", "单位工业增加值能耗", "Energy per unit of industrial value added", "B", -1, "吨标准煤/万元", 10, K, 3),
    ("pk_env", "企业环保达标率", "Firms meeting environmental standards", "B", 1, "%", 10, K, 1),
    ("pk_party", "非公企业党组织覆盖率", "Party organisations in private firms", "P", 1, "%", 8, K, 1),
    ("pk_rectify", "园区巡察整改完成率", "Completion of inspection rectification (park)", "P", 1, "%", 7, K, 1),
    ("pk_deaths", "园区生产安全事故死亡人数", "Deaths in work-safety accidents (park)", "S", -1, "人", 8, K, 0),
    ("pk_hazard", "安全隐患整改率", "Safety hazards rectified", "S", 1, "%", 7, K, 1),
]
DECIMALS = {row[0]: row[-1] for row in (*LEAVES, *PART_LEAVES, *PARK_LEAVES)}


def _smooth(start, slope, sd, lo, hi, n=N_Y):
    """Expected linear path (start + slope*t) and the observed path with noise, clipped."""
    t = np.arange(n)
    expected = np.clip(start + slope * t, lo, hi)
    observed = np.clip(expected + rng.normal(0.0, sd, n), lo, hi)
    return expected, observed


def _back_cast(level_2018, growth):
    """Levels for all years from the 2018 level and growth rates for 2012..2018 (len N_Y-1)."""
    levels = np.empty(N_Y)
    levels[-1] = level_2018
    for k in range(N_Y - 1, 0, -1):
        levels[k - 1] = levels[k] / (1.0 + growth[k - 1])
    return levels


def make_units():
    rows = []
    for uid, name, name_en, _gdp, pop, area, head, _g in COUNTIES:
        rows.append(dict(unit=uid, name=name, name_en=name_en, group=C, track=C,
                         population=pop, area_km2=area, headcount=head, bonus_per_head=COUNTY_BONUS))
    k = 0
    for cat, depts in DEPT_CATEGORIES.items():
        for name, name_en in depts:
            k += 1
            rows.append(dict(unit=f"D{k:02d}", name=name, name_en=name_en, group=cat, track=D,
                             population=np.nan, area_km2=np.nan, headcount=0, bonus_per_head=DEPT_BONUS))
    units = pd.DataFrame(rows)
    is_d = units["track"] == D
    # Department headcounts: log-normal, 30..400, a few big law-enforcement bodies.
    head = np.exp(rng.normal(np.log(90), 0.55, is_d.sum()))
    units.loc[is_d, "headcount"] = np.clip(np.round(head / 5) * 5, 30, 400)
    big = {"市公安局": 400, "市城市管理和综合执法局": 330, "市市场监督管理局": 310, "市税务局": 360}
    for name, h in big.items():
        units.loc[units["name"] == name, "headcount"] = h
    parks = pd.DataFrame([dict(unit=uid, name=name, name_en=name_en, group=K, track=K, population=np.nan,
                               area_km2=area, headcount=head, bonus_per_head=PARK_BONUS)
                          for uid, name, name_en, *_rest, head, area in PARKS])
    units = pd.concat([units, parks], ignore_index=True)
    units["headcount"] = units["headcount"].astype(int)
    units["area_km2"] = units["area_km2"].astype("Int64")
    units.insert(units.columns.get_loc("group") + 1, "group_en", units["group"].map(GROUP_EN))
    return units


def make_indicators():
    rows = []
    for ind, name, name_en, w in LEVEL1:
        rows.append(dict(indicator=ind, name=name, name_en=name_en, parent="", direction=1, measure_unit="",
                         weight=w, track="", kind="subjective" if ind == "M" else "objective"))
    for ind, name, name_en, parent, direction, mu, w, track, _dec in LEAVES:
        rows.append(dict(indicator=ind, name=name, name_en=name_en, parent=parent, direction=direction,
                         measure_unit=mu, weight=w, track=track,
                         kind="subjective" if parent == "M" else "objective"))
    # Added later, after the original rows: the parts of the year and the parks' indicators.
    for ind, name, name_en, w in LEVEL1_PARTS:
        rows.append(dict(indicator=ind, name=name, name_en=name_en, parent="", direction=1, measure_unit="",
                         weight=w, track="", kind="objective"))
    for ind, name, name_en, parent, direction, mu, w, track, _dec in (*PART_LEAVES, *PARK_LEAVES):
        rows.append(dict(indicator=ind, name=name, name_en=name_en, parent=parent, direction=direction,
                         measure_unit=mu, weight=w, track=track, kind="objective"))
    return pd.DataFrame(rows)


def make_counties():
    """Observations (dict (unit, indicator) -> array over YEARS) and targets for the counties."""
    obs, tgt = {}, {}
    ids = [c[0] for c in COUNTIES]
    n = len(ids)
    raw18 = np.array([c[3] for c in COUNTIES], float)
    gdp18 = raw18 * GDP_SUM_2018 / raw18.sum()
    drift = np.array([c[7] for c in COUNTIES]) / 100.0
    pop = np.array([c[4] for c in COUNTIES])
    size_z = (np.log(gdp18) - np.log(gdp18).mean()) / np.log(gdp18).std()

    # GDP growth 2012..2018: own drift + common early-years boom + noise (sd 2.5 pp).
    year_eff = np.array([2.0, 1.5, 0.5, 0.0, 0.0, 0.0, 0.0]) / 100.0  # 2012..2018
    noise = rng.normal(0.0, 0.025, (n, N_Y - 1))
    g = drift[:, None] + year_eff[None, :] + noise

    # Common shift on 2016..2018 so that the 2015 sum hits GDP_SUM_2015.
    def sum2015(delta):
        gg = g[:, -3:] + delta
        return float((gdp18 / np.prod(1.0 + gg, axis=1)).sum())

    lo, hi = -0.1, 0.1
    for _ in range(100):  # sum2015 decreases in delta
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if sum2015(mid) > GDP_SUM_2015 else (lo, mid)
    g[:, -3:] += (lo + hi) / 2
    gdp = np.array([_back_cast(gdp18[i], g[i]) for i in range(n)])
    for i, u in enumerate(ids):
        obs[(u, "gdp")] = gdp[i]

    # Other economic totals: a ratio to GDP in 2018 (unit multiplier), growth = GDP growth
    # + a unit-specific offset + noise; back-cast from 2018.
    special = {  # unit-specific multipliers on the base ratio
        "industry_va": {"GX": 1.7, "AH": 0.7, "DTH": 0.6, "NX": 0.8},
        "hitech_va": {"GX": 2.4, "DTH": 0.5, "AH": 0.7},
        "rd_spend": {"GX": 2.0, "DTH": 0.7},
        "export": {"GX": 2.5, "YJ": 1.3, "DTH": 0.6},
        "fdi": {"GX": 2.0},
        "fixed_inv": {"GX": 1.2},
    }
    totals = {  # indicator: (ratio to GDP in 2018, sd of the unit ratio, mean growth offset, sd offset, noise sd)
        "fiscal_rev": (0.068, 0.12, 0.000, 0.010, 0.030),
        "industry_va": (0.330, 0.10, 0.005, 0.010, 0.030),
        "fixed_inv": (0.950, 0.12, 0.040, 0.015, 0.040),
        "retail": (0.360, 0.10, 0.010, 0.008, 0.015),
        "fdi": (26.0, 0.30, 0.020, 0.030, 0.080),
        "export": (0.060, 0.30, 0.020, 0.030, 0.080),
        "hitech_va": (0.180, 0.15, 0.040, 0.015, 0.035),
        "rd_spend": (120.0, 0.20, 0.050, 0.020, 0.050),  # 万元 per 亿元 of GDP
        "new_firms": (16.0, 0.15, 0.030, 0.020, 0.060),
    }
    for ind, (ratio, sd_r, off, sd_off, sd_e) in totals.items():
        for i, u in enumerate(ids):
            mult = special.get(ind, {}).get(u, 1.0) * np.exp(rng.normal(0.0, sd_r))
            gi = g[i] + off + rng.normal(0.0, sd_off) + rng.normal(0.0, sd_e, N_Y - 1)
            obs[(u, ind)] = _back_cast(gdp18[i] * ratio * mult, np.maximum(gi, -0.15))
    # Tax revenue: a smooth tax share (60..80%) of fiscal revenue.
    for u in ids:
        _, share = _smooth(rng.uniform(0.62, 0.72), rng.uniform(-0.004, 0.006), 0.012, 0.55, 0.82)
        obs[(u, "tax_rev")] = obs[(u, "fiscal_rev")] * share
    # Per-capita incomes (元): mildly higher in bigger units, ~9% growth.
    for i, u in enumerate(ids):
        for ind, base, slope, gm in (("urban_income", 30500, 1500, 0.088), ("rural_income", 15200, 900, 0.095)):
            lvl18 = base + slope * size_z[i] + rng.normal(0.0, 0.4 * slope)
            gi = gm + rng.normal(0.0, 0.004) + rng.normal(0.0, 0.008, N_Y - 1)
            obs[(u, ind)] = _back_cast(lvl18, gi)
    # Energy intensity (t sce / 10k yuan), falling ~4% a year.
    for u in ids:
        base = rng.uniform(0.45, 0.80) * (1.25 if u in ("YJ", "GX") else 1.0)
        fall = rng.uniform(0.030, 0.050) + rng.normal(0.0, 0.012, N_Y - 1)
        obs[(u, "energy_intensity")] = base * np.cumprod(np.r_[1.0, 1.0 - fall])

    # --- 三大攻坚战 ---
    for u in ids:
        _, obs[(u, "debt_ratio")] = _smooth(rng.uniform(85, 130), -rng.uniform(1.0, 3.5), 2.5, 40, 160)
    # Poverty: registered poor population at end of 2013, exits as shares of it.
    poor13 = {"HS": 30500, "ZY": 15800, "YJ": 35200, "NX": 34100, "TJ": 52600, "AH": 121400,
              "DTH": 6300, "GX": 2900}
    exit_share = np.array([0.05, 0.06, 0.07, 0.12, 0.15, 0.20, 0.22, 0.18])  # 2011..2018
    for i, u in enumerate(ids):
        expected = poor13[u] * exit_share
        exits = np.round(expected * np.clip(rng.normal(1.0, 0.08, N_Y), 0.75, 1.3))
        stock_end = np.empty(N_Y)
        s13 = yi(2013)
        stock_end[s13] = poor13[u]
        for k in range(s13 - 1, -1, -1):
            stock_end[k] = stock_end[k + 1] + exits[k + 1]
        for k in range(s13 + 1, N_Y):
            stock_end[k] = stock_end[k - 1] - exits[k]
        obs[(u, "poverty_exits")] = exits
        obs[(u, "poverty_rate")] = stock_end / (pop[i] * 1e4 * 0.75) * 100
        plan = np.round(expected * rng.normal(1.0, 0.05, N_Y) / 10) * 10
        tgt[(u, "poverty_exits")] = plan
    forest = {"HS": 33, "ZY": 28, "YJ": 22, "NX": 14, "TJ": 62, "AH": 74, "DTH": 11, "GX": 17}
    for u in ids:
        _, obs[(u, "pm25")] = _smooth(rng.uniform(54, 66), -rng.uniform(1.2, 2.6), 1.8, 25, 90)
        _, obs[(u, "water_quality")] = _smooth(rng.uniform(72, 88), rng.uniform(0.8, 2.0), 1.5, 50, 100)
        exp_f, obs_f = _smooth(forest[u] + rng.normal(0, 1), rng.uniform(0.15, 0.45), 0.12, 5, 85)
        obs[(u, "forest_cover")] = obs_f
        # Target: last year's expected value plus a planned step; some units beat it, some do not.
        tgt[(u, "forest_cover")] = exp_f + rng.normal(0.0, 0.12, N_Y)
    for i, u in enumerate(ids):
        lam = np.clip(gdp18[i] / 60, 0.8, 7.0) * np.linspace(1.4, 0.7, N_Y)
        obs[(u, "illegal_fin")] = np.maximum(rng.poisson(lam), 1)

    # --- 党的建设 ---
    for i, u in enumerate(ids):
        exp_v, obs_v = _smooth(rng.uniform(58, 76), rng.uniform(3.5, 5.5), 2.5, 40, 100)
        obs[(u, "village_party")] = obs_v
        tgt[(u, "village_party")] = np.clip(np.round(exp_v + rng.normal(0, 1.5, N_Y)), 0, 100)
        _, obs[(u, "cadre_training")] = _smooth(rng.uniform(86, 93), rng.uniform(0.5, 1.2), 1.5, 70, 100)
        exp_r, obs_r = _smooth(rng.uniform(70, 82), rng.uniform(2.0, 3.5), 2.5, 50, 100)
        obs[(u, "inspect_rectify")] = obs_r
        tgt[(u, "inspect_rectify")] = np.clip(np.round(exp_r + rng.normal(0, 1.5, N_Y)), 0, 100)
        fund18 = pop[i] * rng.uniform(28, 40) + (150 if u == "GX" else 0)
        gi = 0.11 + rng.normal(0.0, 0.015) + rng.normal(0.0, 0.04, N_Y - 1)
        obs[(u, "grassroots_fund")] = _back_cast(fund18, gi)

    # --- 社会稳定和安全生产 ---
    for i, u in enumerate(ids):
        lam = np.clip(gdp18[i] / 45, 1.5, 9.0) * np.linspace(1.3, 0.75, N_Y)
        obs[(u, "accident_deaths")] = np.clip(rng.poisson(lam), 1, 12)
        pet = pop[i] * rng.uniform(12, 20) * np.cumprod(np.r_[1.0, 1 - rng.normal(0.05, 0.03, N_Y - 1)])
        obs[(u, "petitions")] = pet
        _, obs[(u, "crime_rate")] = _smooth(rng.uniform(24, 38), -rng.uniform(0.5, 1.3), 1.5, 5, 60)
        _, obs[(u, "food_safety")] = _smooth(rng.uniform(94.0, 96.5), rng.uniform(0.2, 0.5), 0.5, 85, 99.8)
    # The 2017 veto county had a major accident (较大事故: 3-9 deaths in one accident).
    obs[("NX", "accident_deaths")][yi(2017)] = 12

    # --- subjective: bigger units perceived better ---
    for i, u in enumerate(ids):
        for ind, base in (("survey", 82.0), ("mutual", 84.0)):
            trend = np.linspace(-1.0, 1.0, N_Y)
            obs[(u, ind)] = np.clip(base + 4.5 * size_z[i] + trend + rng.normal(0, 1.5, N_Y), 70, 95)
    return obs, tgt


def make_departments(units):
    obs, tgt = {}, {}
    depts = units[units["track"] == D]
    head_z = np.log(depts["headcount"].to_numpy(float))
    head_z = (head_z - head_z.mean()) / head_z.std()
    # Scale of investment-type tasks by category (亿元 in 2018; stored in 万元), independent of headcount.
    inv_scale = {"城建交通类": 12.0, "经济发展类": 6.0, "农业农村类": 4.0, "执法监管类": 1.2,
                 "社会工作类": 2.5, "党群类": 0.6, "政法类": 0.8, "服务保障类": 0.7}
    rate_targets = {  # indicator: (target, mean of actual minus target, sd)
        "d_key_tasks": (95.0, 0.5, 3.0),
        "d_budget_exec": (90.0, 1.0, 4.5),
        "d_biz_env": (85.0, 1.0, 4.0),
        "d_risk_resolve": (90.0, 0.5, 5.0),
        "d_poverty_aid": (95.0, 0.5, 3.5),
        "d_party_score": (90.0, 1.0, 3.5),
        "d_integrity_score": (90.0, 1.5, 3.0),
        "d_safety_resp": (90.0, 1.0, 3.5),
        "d_petition_resolve": (80.0, 2.0, 8.0),
    }
    for j, (_, row) in enumerate(depts.iterrows()):
        u = row["unit"]
        for ind, (t, m, sd) in rate_targets.items():
            unit_eff = rng.normal(m, sd / 2)
            obs[(u, ind)] = np.clip(t + unit_eff + rng.normal(0, sd * 0.8, N_Y), 60, 100)
            tgt[(u, ind)] = np.full(N_Y, t)
        for ind, mult in (("d_project_inv", 1.0), ("d_invest_attract", 0.6)):
            t18 = inv_scale[row["group"]] * mult * np.exp(rng.normal(0, 0.5)) * 1e4  # 万元
            target = t18 / (1.10 ** np.arange(N_Y - 1, -1, -1))
            tgt[(u, ind)] = target
            obs[(u, ind)] = target * rng.uniform(0.85, 1.10, N_Y)
        for ind, base in (("survey", 83.0), ("mutual", 85.0)):
            obs[(u, ind)] = np.clip(base + 3.5 * head_z[j] + rng.normal(0, 2.0, N_Y), 70, 95)
    # The 2018 veto department (serious disciplinary violation) scores low on clean governance that year.
    veto_d = depts.loc[depts["name"] == "市交通运输局", "unit"].item()
    obs[(veto_d, "d_integrity_score")][yi(2018)] = 72.0
    return obs, tgt


def make_parks():
    """Observations of the parks (dict (unit, indicator) -> array over YEARS), from the second generator."""
    obs = {}
    for i, (u, _n, _e, rev18, mu18, hishare, proj, fdi18, energy, _h, _a) in enumerate(PARKS):
        g = 0.12 + rng2.normal(0.0, 0.01) + rng2.normal(0.0, 0.035, N_Y - 1)  # revenue growth, young parks
        rev = _back_cast(rev18, g)
        obs[(u, "pk_revenue")] = rev
        share = np.clip(0.045 + rng2.normal(0.0, 0.003) + rng2.normal(0.0, 0.002, N_Y), 0.03, 0.07)
        obs[(u, "pk_tax")] = rev * share
        obs[(u, "pk_tax_per_mu")] = _back_cast(mu18, 0.08 + rng2.normal(0.0, 0.01) + rng2.normal(0.0, 0.03,
                                                                                               N_Y - 1))
        _, obs[(u, "pk_hitech_share")] = _smooth_with(rng2, hishare - 10.5, rng2.uniform(1.1, 1.8), 1.2, 10, 80)
        obs[(u, "pk_projects")] = np.maximum(rng2.poisson(proj * np.linspace(0.6, 1.0, N_Y)), 1)
        obs[(u, "pk_fdi")] = _back_cast(fdi18, 0.10 + rng2.normal(0.0, 0.02) + rng2.normal(0.0, 0.08, N_Y - 1))
        fall = rng2.uniform(0.03, 0.05) + rng2.normal(0.0, 0.012, N_Y - 1)
        obs[(u, "pk_energy")] = energy / np.prod(1.0 - fall) * np.cumprod(np.r_[1.0, 1.0 - fall])
        _, obs[(u, "pk_env")] = _smooth_with(rng2, rng2.uniform(80, 86), rng2.uniform(0.8, 1.5), 1.2, 60, 100)
        _, obs[(u, "pk_party")] = _smooth_with(rng2, rng2.uniform(62, 72), rng2.uniform(1.8, 3.0), 1.5, 40, 100)
        _, obs[(u, "pk_rectify")] = _smooth_with(rng2, rng2.uniform(70, 80), rng2.uniform(2.0, 3.0), 2.0, 50, 100)
        obs[(u, "pk_deaths")] = np.clip(rng2.poisson(np.full(N_Y, 2.0 - 0.3 * i)), 1, 6)
        _, obs[(u, "pk_hazard")] = _smooth_with(rng2, rng2.uniform(84, 90), rng2.uniform(0.5, 1.2), 1.2, 60, 100)
        for ind, base in (("survey", 83.0), ("mutual", 85.0)):  # the subjective leaves apply to every unit
            obs[(u, ind)] = np.clip(base + rng2.normal(0, 2.0, N_Y), 70, 95)
    return obs


def _smooth_with(gen, start, slope, sd, lo, hi, n=N_Y):
    t = np.arange(n)
    expected = np.clip(start + slope * t, lo, hi)
    return expected, np.clip(expected + gen.normal(0.0, sd, n), lo, hi)


def make_periods(units):
    """Values by period of the parts of the year: monthly scores of daily management, quarterly results of the
    special evaluations, for every unit and year (long rows with a `period`), from the second generator.
    A unit's level is its own, unrelated to its size."""
    rows = []
    specs = {"dm_progress": (80, 92, 3.0, 60, 100), "dm_supervision": (85, 98, 3.0, 50, 100),
             "sp_safety": (82, 95, 2.5, 60, 100), "sp_environment": (80, 94, 2.5, 60, 100)}
    for u in units["unit"]:
        for ind, (lo, hi, sd, cmin, cmax) in specs.items():
            level = rng2.uniform(lo, hi)
            drift = rng2.normal(0.0, 0.4)
            n = 12 if PART_PERIODS[ind] == "month" else 4
            for k, y in enumerate(YEARS):
                values = np.clip(level + drift * k + rng2.normal(0.0, sd, n), cmin, cmax)
                for p, v in enumerate(values, start=1):
                    period = f"{y}-{p:02d}" if n == 12 else f"{y}-Q{p}"
                    rows.append((u, ind, y, round(float(v), 1), period))
    return pd.DataFrame(rows, columns=["unit", "indicator", "year", "value", "period"])


def make_events(units):
    """What inspections and audits found (督查、巡视巡察、审计), 2014–2018: a fixed list for the cases the notebooks
    and tests name, and a scattering of minor findings from the second generator."""
    d = dict(zip(units["name"], units["unit"], strict=False))
    fixed = [
        # 2018: 安化县's audit findings exceed the audit cap; 南县's findings exceed the cap in total;
        # 桃江县 has a major violation (a veto kind in the scenario with events).
        ("AH", "2018-04-16", "审计", "违规使用专项资金", 1.5, "扶贫专项资金违规拨付（合成）"),
        ("AH", "2018-06-22", "审计", "违规使用专项资金", 1.0, "项目资金挪用（合成）"),
        ("AH", "2018-09-10", "审计", "会计信息失真", 1.0, "决算数据不实（合成）"),
        ("AH", "2018-11-05", "督查", "交办事项逾期", 0.5, "重点工作督查交办逾期（合成）"),
        ("NX", "2018-03-28", "督查", "通报批评", 1.0, "重点项目推进缓慢（合成）"),
        ("NX", "2018-07-12", "巡视巡察", "整改不到位", 1.5, "巡察反馈问题整改不到位（合成）"),
        ("NX", "2018-10-19", "审计", "违规使用专项资金", 1.5, "（合成）"),
        ("TJ", "2018-08-30", "巡视巡察", "重大违纪违法问题", 0.0, "巡察移交重大违纪违法线索（合成）"),
        ("HS", "2018-05-09", "督查", "通报批评", 0.5, "（合成）"),
        (d["市住房和城乡建设局"], "2018-06-01", "审计", "违规使用专项资金", 1.0, "（合成）"),
        (d["市商务局"], "2018-09-14", "督查", "交办事项逾期", 0.5, "（合成）"),
        (d["市水利局"], "2018-04-20", "巡视巡察", "整改不到位", 1.0, "（合成）"),
        ("PCC", "2018-07-03", "审计", "会计信息失真", 1.0, "（合成）"),
        ("YJ", "2017-05-18", "审计", "违规使用专项资金", 2.0, "（合成）"),
        ("DTH", "2016-09-02", "督查", "通报批评", 1.0, "（合成）"),
    ]
    kinds = [("督查", "交办事项逾期", 0.5), ("督查", "通报批评", 1.0), ("巡视巡察", "整改不到位", 1.0),
             ("审计", "会计信息失真", 1.0), ("其他", "信息报送不及时", 0.3)]
    ids = list(units["unit"])
    extra = []
    for y in range(2014, 2019):
        for _ in range(5):
            u = ids[int(rng2.integers(len(ids)))]
            source, kind, pts = kinds[int(rng2.integers(len(kinds)))]
            month, day = int(rng2.integers(1, 13)), int(rng2.integers(1, 29))
            extra.append((u, f"{y}-{month:02d}-{day:02d}", source, kind, pts, "（合成）"))
    ev = pd.DataFrame([*fixed, *extra], columns=["unit", "date", "source", "kind", "points", "note"])
    order = {u: k for k, u in enumerate(units["unit"])}
    return ev.assign(_u=ev["unit"].map(order)).sort_values(["date", "_u"], kind="stable").drop(columns="_u") \
        .reset_index(drop=True)


def to_long(d, col):
    rows = [(u, ind, y, v[k]) for (u, ind), v in d.items() for k, y in enumerate(YEARS)]
    return pd.DataFrame(rows, columns=["unit", "indicator", "year", col])


def round_values(df, col):
    df[col] = [round(float(v), DECIMALS[i]) for v, i in zip(df[col], df["indicator"], strict=False)]
    df.loc[df["indicator"].map(DECIMALS) == 0, col] = df[col].round(0)
    return df


def make_adjustments(units):
    d = dict(zip(units["name"], units["unit"], strict=False))
    rows = [
        ("HS", 2014, "bonus", 1.0, "获省级表彰"),
        ("GX", 2015, "bonus", 1.5, "省级试点"),
        (d["市农业农村局"], 2015, "bonus", 0.5, "工作经验获省级推介"),
        (d["市教育局"], 2016, "bonus", 1.0, "获省级表彰"),
        ("YJ", 2017, "bonus", 1.0, "承担省级改革试点"),
        (d["市扶贫开发办公室"], 2017, "bonus", 2.0, "获国家级表彰"),
        ("AH", 2018, "bonus", 3.0, "获国家级表彰"),
        ("ZY", 2018, "bonus", 0.5, "省级试点"),
        (d["市行政审批服务局"], 2018, "bonus", 1.5, "国家级试点"),
        ("TJ", 2015, "deduction", 1.0, "被省级通报批评"),
        (d["市生态环境局"], 2016, "deduction", 0.5, "被市级通报批评"),
        (d["市住房和城乡建设局"], 2017, "deduction", 1.0, "重点工作任务逾期未完成"),
        ("DTH", 2018, "deduction", 2.0, "被省级通报批评"),
        ("NX", 2017, "veto", 0, "发生较大安全生产事故"),
        (d["市交通运输局"], 2018, "veto", 0, "发生严重违纪问题"),
    ]
    return pd.DataFrame(rows, columns=["unit", "year", "kind", "value", "reason"])


def spearman(a, b):
    ra = pd.Series(a).rank().to_numpy()
    rb = pd.Series(b).rank().to_numpy()
    return float(np.corrcoef(ra, rb)[0, 1])


def write_readme(units, inds, obs, tgt, adj, figures, events):
    leaves = inds[inds["parent"] != ""]
    parents = dict(zip(inds["indicator"], inds["name"], strict=False))

    def ind_table(lang):
        if lang == "zh":
            head = "| 编码 | 中文名称 | 英文名称 | 上级指标 | 方向 | 计量单位 | 权重 | 考核序列 | 类型 |\n|---|---|---|---|---|---|---|---|---|\n"
        else:
            head = "| id | Chinese name | English name | parent | direction | measure unit | weight | track | kind |\n|---|---|---|---|---|---|---|---|---|\n"
        lines = []
        for _, r in inds.iterrows():
            par = f"{r['parent']} {parents[r['parent']]}" if r["parent"] else "—"
            direction = ("正向" if r["direction"] == 1 else "逆向") if lang == "zh" else (
                "1 (higher is better)" if r["direction"] == 1 else "-1 (lower is better)")
            track = r["track"] or ("全部" if lang == "zh" else "all")
            if r["parent"] == "":
                track = "—"
            lines.append(f"| `{r['indicator']}` | {r['name']} | {r['name_en']} | {par} | {direction} | "
                         f"{r['measure_unit'] or '—'} | {r['weight']:g} | {track} | {r['kind']} |")
        return head + "\n".join(lines) + "\n"

    def unit_table():
        lines = ["| unit | name | name_en | group | track | population | area_km2 | headcount | bonus_per_head |",
                 "|---|---|---|---|---|---|---|---|---|"]
        for _, r in units.iterrows():
            pop = "" if pd.isna(r["population"]) else f"{r['population']:g}"
            area = "" if pd.isna(r["area_km2"]) else f"{r['area_km2']:g}"
            lines.append(f"| {r['unit']} | {r['name']} | {r['name_en']} | {r['group']} | {r['track']} | "
                         f"{pop} | {area} | {r['headcount']} | {r['bonus_per_head']} |")
        return "\n".join(lines) + "\n"

    def adj_table():
        lines = ["| unit | year | kind | value | reason |", "|---|---|---|---|---|"]
        for _, r in adj.iterrows():
            lines.append(f"| {r['unit']} | {r['year']} | {r['kind']} | {r['value']:g} | {r['reason']} |")
        return "\n".join(lines) + "\n"

    def events_table():
        lines = ["| unit | date | source | kind | points | note |", "|---|---|---|---|---|---|"]
        for _, r in events.iterrows():
            lines.append(f"| {r['unit']} | {r['date']} | {r['source']} | {r['kind']} | {r['points']:g} | {r['note']} |")
        return "\n".join(lines) + "\n"

    n_c = (units["track"] == C).sum()
    n_d = (units["track"] == D).sum()
    n_k = (units["track"] == K).sum()
    n_cl = (leaves["track"] == C).sum()
    n_dl = (leaves["track"] == D).sum()
    n_kl = (leaves["track"] == K).sum()
    n_period = int((obs["period"] != "").sum())
    parks_zh = "、".join(p[1] for p in PARKS)
    parks_en = ", ".join(p[2] for p in PARKS)
    f = figures
    text = f"""# 益阳示例数据集 / Yiyang illustrative data set

> ## ⚠️ 合成数据，仅供演示，非真实统计数据
> ## ⚠️ EVERY NUMBER IN THIS FOLDER IS SYNTHETIC — FOR DEMONSTRATION ONLY, NOT REAL STATISTICS
>
> 本文件夹中的每一个数字（GDP、财政收入、人口、面积、编制人数、奖金基数、得分、目标、加减分……）都是
> 由脚本随机生成的，不是益阳市或任何单位的真实统计数据，不得引用、不得用于评价任何真实单位。
> 单位名称是真实的行政区划和部门名称，仅为使示例易于理解；与之对应的数字均为虚构。
>
> Every number here (GDP, revenue, population, area, headcount, bonus base, scores, targets,
> adjustments …) was generated at random by a script. None is an official statistic of Yiyang or of
> any unit; do not quote them and do not use them to judge any real unit. The unit names are real
> place and department names, used only so that the example reads naturally; the numbers are invented.

## 中文说明

### 生成方式
- 脚本：`scripts/make_yiyang_data.py`（仅用 numpy 和 pandas），在仓库根目录运行
  `python scripts/make_yiyang_data.py` 即重新生成本文件夹，结果完全确定。
- 随机种子：`{SEED}`（`numpy.random.default_rng({SEED})`）。
- 年度：{YEARS[0]}–{YEARS[-1]} 年（共 {N_Y} 年）；下达目标与加减分为 {TARGET_YEARS[0]}–{TARGET_YEARS[-1]} 年。
- 模型：
  - 区县市经济总量：以 2018 年 GDP 规模（赫山区最大、大通湖区最小）为锚，按各单位自身的名义增速向前倒推。
    每个单位有自己的平均增速（约 9%–10%，较小的单位平均略快，但不单调），加上各年共同的年份效应和
    单位—年度噪声（标准差 2.5 个百分点）；再对 2016–2018 年的增速做一个共同平移，使 8 个单位 GDP 合计
    2015 年约 {GDP_SUM_2015:,.0f} 亿元、2018 年约 {GDP_SUM_2018:,.0f} 亿元。其他总量指标（财政收入、工业增加值、
    投资、消费、外资、进出口、高新产业、研发、新登记市场主体）= GDP × 各单位自己的比率，增速 = GDP 增速 +
    单位自身偏移 + 噪声。因此，比较总量时大单位年年排前；而相对自身历史的增速与规模无关。
  - 比率类指标（债务率、PM2.5、水质、森林覆盖率、党建达标率、培训完成率、整改完成率、犯罪率、食品抽检
    合格率等）沿平滑的线性趋势变化并加小噪声，截断在合理区间内；逆向指标缓慢下降。
  - 贫困：设定各单位 2013 年底建档立卡贫困人口，逐年脱贫人数为其一定比例（2014 年起加快），贫困发生率 =
    年末贫困人口 / (人口 × 0.75)。
  - 计数类指标（非法集资案件、事故死亡人数）为泊松随机数，至少为 1；南县 2017 年事故死亡人数被人为调高
    （12 人），与该年的一票否决相对应；市交通运输局 2018 年党风廉政建设得分被设为 72 分，与该年的一票否决相对应。
  - 主观评价（公众满意度、单位互评，70–95 分）与单位规模正相关（区县市按 GDP、市直单位按编制人数），
    体现“大单位印象分高”的问题。
  - 市直单位：各项完成率与得分围绕下达目标上下波动（多为目标的 85%–110%），与编制人数无关；项目投资与
    招商引资规模取决于类别（城建交通、经济发展类较大），不取决于人数。
  - 下达目标：市直单位的全部叶子指标；区县市的 `poverty_exits`（脱贫人数）、`forest_cover`（森林覆盖率）、
    `village_party`（村级党组织达标率）、`inspect_rectify`（巡察整改完成率），均为水平值，接近各单位的
    预期值，有的单位超过、有的未达到。
  - 后来增加的部分（issue 13）用第二个随机数生成器（种子 `{EXTRA_SEED}`），在上述全部抽样之后抽取，原有数字
    一个不变：园区（{parks_zh}，组别与序列均为 `园区`，有自己的 {n_kl} 项指标：技工贸总收入、税收、亩均税收等；
    益阳高新区作为区县市的考核仍是 `GX`，作为园区另列为 `PGX`）；日常管理（`DM`，按月）与专项考核（`SP`，
    按季度）的指标，适用于全部单位，各单位水平与规模无关；`events.csv` 中的督查、巡视巡察、审计事项
    （安化县 2018 年审计事项超过审计来源的扣分上限，南县 2018 年各来源合计超过总上限，桃江县 2018 年有一项
    重大违纪违法问题）。`DM`、`SP` 及其叶子指标的默认权重为 0：只有设定了 `components` 的方案才计入；已有
    方案用 `scope` 限定考核范围，结果与增加前完全相同。
- 数值按计量单位取舍位数（亿元 2 位小数，元、万元、人、户、万美元取整，% 1–2 位等）；数值较小的金额指标
  （研发经费、市直单位项目投资与招商引资）以万元计，以保留足够的有效数字。观测值中没有空值；可按增速
  考核的水平指标全部严格为正。`units.csv` 中市直单位的 `population`、`area_km2` 按设计为空。

### 校验数字
- 8 个区县市 GDP 合计：2015 年 {f['gdp2015']:,.2f} 亿元，2018 年 {f['gdp2018']:,.2f} 亿元。
- 2018 年 GDP 排名与 2016–2018 年平均 GDP 增速的 Spearman 相关系数：{f['rho']:+.3f}。
- 每年 GDP 总量第一名：{f['top']}；最后一名：{f['bottom']}。

### 数据表
- `units.csv`：考核对象，{n_c} 个区县市（组别、序列均为 `区县市`）、{n_d} 个市直单位（8 类，每类 6 个，
  组别为类别，序列为 `市直单位`）和 {n_k} 个园区（组别、序列均为 `园区`）。数值属性：`population`（万人）、`area_km2`（平方公里）、`headcount`
  （在编人数）、`bonus_per_head`（人均年度绩效奖金基数，元）。
- `indicators.csv`：指标树。一级指标 Q/B/P/S/M，默认权重 50/20/15/15/0 分；区县市叶子指标 {n_cl} 个，
  市直单位叶子指标 {n_dl} 个（每个一级指标下的叶子权重之和等于该一级指标的权重），主观评价叶子 2 个
  （`survey`、`mutual`，各 5 分，适用于全部单位；M 默认权重为 0，即默认不计入）。
- `observations.csv`：长表，每个单位 × 适用叶子指标 × 年度一行（日常管理、专项考核指标每月或每季度一行，
  `period` 列为 `2018-03`、`2018-Q1` 等），共 {len(obs)} 行，其中按期间填报 {n_period} 行。
- `events.csv`：督查、巡视巡察、审计事项，共 {len(events)} 行（日期、来源、问题类型、扣分、说明）。
- `targets.csv`：下达目标，共 {len(tgt)} 行。
- `adjustments.csv`：加分、扣分和一票否决，共 {len(adj)} 行（其中一票否决 2 行：南县 2017 年、市交通运输局
  2018 年）。

## English

### How it was generated
- Script: `scripts/make_yiyang_data.py` (numpy and pandas only); run `python scripts/make_yiyang_data.py`
  from the repository root to regenerate this folder. The output is deterministic.
- Seed: `{SEED}` (`numpy.random.default_rng({SEED})`).
- Years {YEARS[0]}–{YEARS[-1]} ({N_Y} years); targets and adjustments for {TARGET_YEARS[0]}–{TARGET_YEARS[-1]}.
- Model:
  - County economic totals are anchored on a 2018 GDP size (赫山区 largest, 大通湖区 smallest) and
    back-cast with each unit's own nominal growth: an own average drift (about 9–10% a year, smaller units
    slightly faster on average but not monotonically), a common year effect, and unit-year noise (sd 2.5
    percentage points). A common shift of the 2016–2018 growth rates makes the eight units' GDP sum about
    {GDP_SUM_2015:,.0f} 亿元 in 2015 and {GDP_SUM_2018:,.0f} 亿元 in 2018. The other totals (revenue, industry,
    investment, retail, FDI, trade, high-tech, R&D, new firms) are GDP × a unit-specific ratio, growing at
    the GDP growth rate + a unit-specific offset + noise. So a rule that compares raw totals puts the biggest
    units on top every year, while growth relative to a unit's own history is unrelated to size.
  - Rates and percentages follow smooth linear trends with small noise, clipped to plausible ranges;
    lower-is-better indicators drift down slowly.
  - Poverty: a registered poor population at the end of 2013 per unit; yearly exits are shares of it
    (faster from 2014); poverty incidence = year-end poor population / (population × 0.75).
  - Counts (illegal fund-raising cases, accident deaths) are Poisson draws, at least 1; 南县's 2017 accident
    deaths are raised (to 12) to match that year's veto, and 市交通运输局's 2018 clean-governance score is set
    to 72 to match its veto.
  - Subjective scores (public survey, mutual evaluation, 70–95) are positively correlated with size (GDP
    for counties, headcount for departments): the "big units look better" bias of the old rules.
  - Departments: completion rates and scores scatter around their assigned targets (mostly 85–110% of
    target), independent of headcount; the scale of project investment and investment attraction depends on
    the category (construction/transport and economic departments are larger), not on headcount.
  - Assigned targets: every department leaf; for counties `poverty_exits`, `forest_cover`, `village_party`,
    `inspect_rectify` — level targets near each unit's expected value, some units above, some below.
  - Added later (issue 13), from a second generator (seed `{EXTRA_SEED}`) drawn after everything above, so that
    no earlier number changed: the parks ({parks_en}; group and track `园区`, with {n_kl} indicators of their
    own: revenue, tax, tax per mu, ...; 益阳高新区 keeps its county-level evaluation as `GX` and is a park as
    `PGX`); the indicators of daily management (`DM`, monthly) and special evaluations (`SP`, quarterly), for
    every unit, at levels unrelated to size; and `events.csv`, the findings of supervision, inspection tours and
    audits (安化县's 2018 audit findings exceed the audit cap, 南县's 2018 findings exceed the cap in total,
    桃江县 has a major violation in 2018). `DM`, `SP` and their leaves weigh 0 by default: only a scenario with
    `components` counts them; the earlier scenarios name their `scope`, and their results are exactly as before.
- Values are rounded by measure unit (2 decimals for 亿元; whole numbers for 元, 万元, 人, 户, 万美元; 1–2
  decimals for %). Small money amounts (R&D spending, department project investment and investment
  attracted) are in 万元 (10k yuan) so that they keep enough significant digits. Observations have no missing values; every level indicator that could be growth-scored is
  strictly positive. In `units.csv`, `population` and `area_km2` are empty for departments by design.

### Check figures
- County GDP sum: {f['gdp2015']:,.2f} 亿元 in 2015, {f['gdp2018']:,.2f} 亿元 in 2018.
- Spearman correlation between the 2018 GDP rank and the average 2016–2018 GDP growth rate: {f['rho']:+.3f}.
- Top unit on GDP every year: {f['top']}; bottom: {f['bottom']}.

### Tables
- `units.csv` — {n_c} county-level units (group and track `区县市`), {n_d} city departments (8 categories
  of 6; group = category, track `市直单位`) and {n_k} parks (group and track `园区`). Numeric attributes: `population` (万人, 10k people),
  `area_km2`, `headcount` (staff on the establishment), `bonus_per_head` (base annual performance bonus per
  staff member, 元).
- `indicators.csv` — the indicator tree. First-level nodes Q/B/P/S/M with default weights 50/20/15/15/0
  points; {n_cl} county leaves and {n_dl} department leaves (under each first-level node the leaves of a
  track sum to its weight); two subjective leaves (`survey`, `mutual`, 5 points each, all units; M has
  default weight 0, i.e. off by default).
- `observations.csv` — long form, one row per unit × applicable leaf × year (one per month or quarter for the
  daily-management and special-evaluation leaves, the `period` column: `2018-03`, `2018-Q1`), {len(obs)} rows,
  {n_period} of them by period.
- `events.csv` — findings of supervision, inspection tours and audits, {len(events)} rows (date, source, kind,
  points, note).
- `targets.csv` — assigned targets, {len(tgt)} rows.
- `adjustments.csv` — bonus points, deductions and vetoes, {len(adj)} rows (two vetoes: 南县 2017 and
  市交通运输局 2018).

## 指标 / Indicators

{ind_table("zh")}
{ind_table("en")}
## 考核对象 / Units (synthetic attributes / 属性为合成数据)

{unit_table()}
## 加减分与否决 / Adjustments (synthetic / 合成数据)

{adj_table()}
## 督查巡察审计事项 / Events (synthetic / 合成数据)

{events_table()}"""
    (OUT / "README.md").write_text(text, encoding="utf-8")


def main():
    units = make_units()
    inds = make_indicators()
    c_obs, c_tgt = make_counties()
    d_obs, d_tgt = make_departments(units)
    obs = round_values(to_long({**c_obs, **d_obs}, "value"), "value")
    tgt_all = to_long({**c_tgt, **d_tgt}, "target")
    tgt_all = tgt_all[tgt_all["year"].isin(TARGET_YEARS)].reset_index(drop=True)
    tgt = round_values(tgt_all, "target")
    adj = make_adjustments(units)
    # Added by issue 13, from the second generator (after every draw above): parks, values by period, events.
    p_obs = round_values(to_long(make_parks(), "value"), "value")
    periods = make_periods(units)
    events = make_events(units)
    obs = pd.concat([obs.assign(period=""), p_obs.assign(period=""), periods], ignore_index=True)

    # Sort in unit / indicator-tree / year (/ period) order.
    u_order = {u: k for k, u in enumerate(units["unit"])}
    i_order = {i: k for k, i in enumerate(inds["indicator"])}
    def ordered(df):
        key = pd.DataFrame({"u": df["unit"].map(u_order), "i": df["indicator"].map(i_order), "y": df["year"],
                            "p": df.get("period", "")})
        return df.loc[key.sort_values(["u", "i", "y", "p"]).index].reset_index(drop=True)

    obs, tgt = ordered(obs), ordered(tgt)
    for df in (obs, tgt):
        df["year"] = df["year"].astype(int)
        zero = df["indicator"].map(DECIMALS) == 0
        col = "value" if "value" in df else "target"
        df[col] = df[col].astype(object)
        df.loc[zero, col] = df.loc[zero, col].astype(float).astype(int)

    OUT.mkdir(parents=True, exist_ok=True)
    units.to_csv(OUT / "units.csv", index=False, encoding="utf-8")
    inds.to_csv(OUT / "indicators.csv", index=False, encoding="utf-8")
    obs.to_csv(OUT / "observations.csv", index=False, encoding="utf-8")
    tgt.to_csv(OUT / "targets.csv", index=False, encoding="utf-8")
    adj.to_csv(OUT / "adjustments.csv", index=False, encoding="utf-8")
    events.to_csv(OUT / "events.csv", index=False, encoding="utf-8")

    figures = check(OUT)
    write_readme(units, inds, obs, tgt, adj, figures, events)
    print(f"wrote {OUT}")
    write_base(units, inds, obs, tgt, adj)
    print(f"wrote {BASE}")
    for k, v in figures.items():
        print(f"  {k}: {v}")


def write_base(units, inds, obs, tgt, adj) -> None:
    """The default bundled data: the full set without the parks, the parts of the year and the events.  Its
    numbers are those of the full set (the additions draw from their own generator, after everything else)."""
    parks = set(units.loc[units["group"] == K, "unit"])
    parts = {n for n, *_ in LEVEL1_PARTS} | {leaf[0] for leaf in PART_LEAVES}
    extra = parts | set(inds.loc[inds["track"] == K, "indicator"]) if "track" in inds else parts
    keep_i = ~inds["indicator"].isin(extra)
    o = obs[(obs["period"].fillna("") == "") & ~obs["unit"].isin(parks) & obs["indicator"].isin(inds["indicator"][keep_i])]
    BASE.mkdir(parents=True, exist_ok=True)
    units[~units["unit"].isin(parks)].to_csv(BASE / "units.csv", index=False, encoding="utf-8")
    inds[keep_i].to_csv(BASE / "indicators.csv", index=False, encoding="utf-8")
    o.drop(columns="period").to_csv(BASE / "observations.csv", index=False, encoding="utf-8")
    tgt[~tgt["unit"].isin(parks) & tgt["indicator"].isin(inds["indicator"][keep_i])].to_csv(
        BASE / "targets.csv", index=False, encoding="utf-8")
    adj[~adj["unit"].isin(parks)].to_csv(BASE / "adjustments.csv", index=False, encoding="utf-8")


def check(folder: Path) -> dict:
    """Reload the CSVs and assert the invariants; return the check figures."""
    units = pd.read_csv(folder / "units.csv", keep_default_na=False, na_values=[""])
    inds = pd.read_csv(folder / "indicators.csv", keep_default_na=False, na_values=[""])
    obs = pd.read_csv(folder / "observations.csv", keep_default_na=False, na_values=[""])
    obs["period"] = obs["period"].fillna("")
    tgt = pd.read_csv(folder / "targets.csv")
    adj = pd.read_csv(folder / "adjustments.csv")
    events = pd.read_csv(folder / "events.csv")
    inds["parent"] = inds["parent"].fillna("")
    inds["track"] = inds["track"].fillna("")

    assert units["unit"].is_unique and inds["indicator"].is_unique
    assert set(inds["parent"]) - {""} <= set(inds["indicator"])
    assert set(obs["unit"]) <= set(units["unit"]) and set(obs["indicator"]) <= set(inds["indicator"])
    assert set(tgt["unit"]) <= set(units["unit"]) and set(tgt["indicator"]) <= set(inds["indicator"])
    assert set(adj["unit"]) <= set(units["unit"])
    assert not obs.duplicated(["unit", "indicator", "year", "period"]).any()
    assert set(events["unit"]) <= set(units["unit"]) and events["points"].ge(0).all()
    by_period = obs[obs["period"] != ""]
    assert set(by_period["indicator"]) == set(PART_PERIODS)
    counts = by_period.groupby(["unit", "indicator", "year"]).size()
    assert set(counts) == {12, 4}
    assert not tgt.duplicated(["unit", "indicator", "year"]).any()
    assert obs["value"].notna().all() and tgt["target"].notna().all() and adj["value"].notna().all()
    leaves = inds[~inds["indicator"].isin(inds["parent"])]
    assert set(obs["indicator"]) == set(leaves["indicator"])
    # Every unit has every leaf of its track plus the all-track leaves, for every year.
    expected = set()
    for _, u in units.iterrows():
        for _, leaf in leaves[leaves["track"].isin([u["track"], ""])].iterrows():
            for y in YEARS:
                expected.add((u["unit"], leaf["indicator"], y))
    assert set(zip(obs["unit"], obs["indicator"], obs["year"], strict=False)) == expected
    assert len(obs[obs["period"] == ""]) + len(counts) == len(expected)
    # Weights: leaves of each track under each first-level node sum to the node weight.
    lvl1 = inds[inds["parent"] == ""].set_index("indicator")["weight"]
    for track in (C, D, K):
        sums = leaves[leaves["track"] == track].groupby("parent")["weight"].sum()
        for p in ("Q", "B", "P", "S"):
            assert sums[p] == lvl1[p], (track, p, sums[p])
    assert (leaves["track"] == C).sum() == 29
    assert leaves.loc[leaves["parent"] == "M", "kind"].eq("subjective").all()
    assert (obs["value"] > 0).all(), "all values strictly positive"
    assert (adj["kind"] == "veto").sum() == 2
    assert adj["year"].between(2014, 2018).all() and tgt["year"].between(2014, 2018).all()
    pct = (obs["indicator"].map(dict(zip(inds["indicator"], inds["measure_unit"], strict=False))) == "%") & (
        obs["indicator"] != "debt_ratio")  # a debt ratio may exceed 100%
    assert (obs.loc[pct, "value"] <= 100).all()

    gdp = obs[obs["indicator"] == "gdp"].pivot(index="unit", columns="year", values="value")
    s15, s18 = gdp[2015].sum(), gdp[2018].sum()
    assert abs(s15 - GDP_SUM_2015) < 5 and abs(s18 - GDP_SUM_2018) < 5
    growth = (gdp[[2016, 2017, 2018]].to_numpy() / gdp[[2015, 2016, 2017]].to_numpy() - 1).mean(axis=1)
    rho = spearman(gdp[2018].to_numpy(), growth)
    assert abs(rho) < 0.5, rho
    names = dict(zip(units["unit"], units["name"], strict=False))
    top = {names[gdp[y].idxmax()] for y in YEARS}
    bottom = {names[gdp[y].idxmin()] for y in YEARS}
    return dict(gdp2015=round(s15, 2), gdp2018=round(s18, 2), rho=round(rho, 3),
                top="、".join(sorted(top)), bottom="、".join(sorted(bottom)),
                growth_2016_2018={names[u]: round(float(g) * 100, 2) for u, g in zip(gdp.index, growth, strict=False)},
                gdp2018_by_unit={names[u]: float(v) for u, v in gdp[2018].items()})


if __name__ == "__main__":
    main()
