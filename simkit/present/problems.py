"""Every problem and note for people who read Chinese first: the Chinese line, then the English one under it.

The lower layers raise ``simkit.errors.Problem`` in English and keep doing so; this module puts a problem's
message and fix into Chinese with the catalogue of ``problems_catalogue`` (a pattern over the English text and
a Chinese template, written once for each kind of message).  A message the catalogue does not know is shown
with its place in Chinese, a marker, and the English.

>>> from simkit.errors import Problem
>>> p = Problem("observations.csv", "the value '12亿' is not a number", "fill in `value`", row=9, field="value")
>>> print(format_problem(p))
文件 observations.csv，第 9 行，字段 'value'：数值 '12亿' 不是数字。修改方法：填写 `value`。
  observations.csv, row 9, field 'value': the value '12亿' is not a number. Fix: fill in `value`.
>>> problem_zh(Problem("x.yaml", "a message simkit has not learnt to say in Chinese", "fix it")) is None
True
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache

from ..errors import Problem
from . import problems_parts
from .problems_catalogue import MESSAGES
from .problems_fixes import FIXES

__all__ = ["NO_CHINESE", "fix_zh", "format_problem", "format_problems", "location_zh", "message_zh", "problem_kind",
           "problem_summary_zh", "problem_zh"]

#: Table names and their Chinese labels.
TABLES = {"units": "考核对象", "indicators": "指标", "observations": "观测值", "targets": "目标值",
          "adjustments": "加减分与否决", **problems_parts.TABLES}

#: Words that stand in a message as a group: what a cell holds, a separator, a kind of file, a measure...
WORDS = {
    # what a cell holds (schema.tables: ``what`` and ``key_what``)
    "unit id": "单位编码", "unit name": "单位名称", "group (考核组别)": "考核组别", "group": "考核组别",
    "English group name": "组别英文名称", "track": "考核序列", "indicator id": "指标编码", "indicator name": "指标名称",
    "parent indicator": "上级指标", "direction": "指标方向", "weight": "权重", "indicator kind": "指标类型",
    "value": "数值", "year": "年度", "target": "目标值", "adjustment kind": "加减分类型", "observation": "观测值",
    "period": "期间", "unit": "单位编码", "name": "单位名称", "name_en": "英文名称", "group_en": "组别英文名称",
    # separators, places, files
    "semicolons": "分号", "tabs": "制表符", "line": "行", "row": "行", "file": "文件", "sheet": "工作表",
    "an Excel workbook (.xlsx) or another zip file": "Excel 工作簿（.xlsx）或其他 zip 文件",
    "an old Excel 97-2003 workbook (.xls) or a password-protected workbook":
        "旧版 Excel 97-2003 工作簿（.xls）或有密码保护的工作簿",
    "a PDF document": "PDF 文档", "a PNG picture": "PNG 图片", "a JPEG picture": "JPEG 图片",
    "it is a text file, perhaps a CSV file renamed": "这是文本文件，可能是改了扩展名的 CSV 文件",
    "Big5 (traditional Chinese)": "Big5（繁体中文）", "Shift-JIS (Japanese)": "Shift-JIS（日文）",
    "EUC-KR (Korean)": "EUC-KR（韩文）", "Windows-1252 (Western European)": "Windows-1252（西欧文字）",
    "Latin-1 (Western European)": "Latin-1（西欧文字）",
    # the scenario against the data
    "weighted node": "加权节点", "indicator": "指标", "node": "节点", "tie-break node": "并列排序节点",
    "the same problem": "有同样的问题", "a zero or negative base": "的基数为零或负数",
    "level": "水平", "increment": "增量", "growth": "增速", "level/increment": "水平/增量",
    "level/growth": "水平/增速", "increment/growth": "增量/增速", "level/increment/growth": "水平/增量/增速",
    "baseline": "近年平均（baseline）", "uniform": "统一（uniform）", "assigned": "下达（assigned）",
    "decomposed": "分解（decomposed）", "ratchet": "棘轮（ratchet）", "combine": "组合（combine）",
    # notes: how a cell was read (io.numbers._NOTES), singular and plural
    "is written in full-width characters": "用全角字符书写", "are written in full-width characters": "用全角字符书写",
    "holds invisible characters (zero-width spaces)": "含有不可见字符（零宽空格）",
    "hold invisible characters (zero-width spaces)": "含有不可见字符（零宽空格）",
    "starts with an apostrophe (Excel's mark for a number stored as text)":
        "以撇号开头（Excel 表示“以文本存储的数字”）",
    "start with an apostrophe (Excel's mark for a number stored as text)": "以撇号开头（Excel 表示“以文本存储的数字”）",
    "says that the value is not available": "注明数值不可得", "say that the value is not available": "注明数值不可得",
    "separates thousands with spaces": "用空格分隔千位", "separate thousands with spaces": "用空格分隔千位",
    "is a percentage": "是百分数", "are percentages": "是百分数",
    "writes the year with 年": "年份带“年”字", "write the year with 年": "年份带“年”字",
    "is written in scientific notation": "用科学记数法书写", "are written in scientific notation": "用科学记数法书写",
    "they are read as half-width characters": "已按半角字符读取", "these are removed": "已删除这些字符",
    "it is dropped and the number read": "已去掉撇号并读取数字", "they are read as missing values": "已按缺报读取",
    "they are read without them": "已去掉空格读取",
    "their indicators are measured in %, so 8% is read as 8": "其指标以 % 计量，因此 8% 读作 8",
    "they are read as the year": "已按年份读取",
    "Excel saves a wide number so in a CSV file, keeping 6 digits only":
        "Excel 在 CSV 文件中这样保存位数多的数字，只保留 6 位有效数字",
}

WORDS.update(problems_parts.WORDS)  # the events' cells, the frequencies of periods

#: Words of a place or a list (``p_`` groups): (pattern, replacement) applied in order.
PLACE_WORDS = [
    (r" ?\(sheet ('[^']*'|[^)]*)\)", r"（工作表 \1）"),
    (r" ?\(column ([A-Z]+)\)", r"（\1 列）"),
    (r"\bcolumn ([A-Z]+)\b", r"\1 列"),
    (r"\brows? (\d[\d, ]*\d|\d)\b", r"第 \1 行"),
    (r" ?\((\d+) cells\)", r"（共 \1 个单元格）"),
    (r"(\d{4}) = (\S+) \(the base of (\d{4})'s growth\)", r"\1 年 = \2（\3 年增速的基数）"),
    (r"([\w.]+) names ('[^']*')", r"\1 指定了 \2"),
    (r" ?\(([^(),]+), (\d{4})\)$", r"（\1，\2 年）"),
    (r" and in ", "；以及 "),
    (r"; ", "；"),
    (r"^reserved$", "保留列名"),
]

#: The PyYAML parser's words (``y_`` groups): (pattern, replacement) of a whole detail; a detail not listed
#: stays in English after the Chinese frame of the message.
YAML_WORDS = [
    (r"the key ('[^']*'|\S+) is written twice \(first at line (\d+)\)", r"键 \1 写了两次（第一次在第 \2 行）"),
    (r"found character ('.*') that cannot start any token", r"出现了不能作为开头的字符 \1（行首用了制表符？）"),
    (r"expected (.+), but (?:got|found) (.+)", r"此处应为 \1，实际为 \2"),
    (r"mapping values are not allowed here", "此处不能出现“键: 值”（检查冒号与缩进）"),
    (r"could not find expected ':'", "找不到应有的冒号 ':'"),
    (r"found unexpected end of stream", "文件在引号或括号闭合之前结束"),
    (r"found undefined alias (.+)", r"出现了未定义的别名 \1"),
    (r"found unknown escape character (.+)", r"出现了未知的转义字符 \1"),
    (r"found a tab character (?:that violates|where an) indentation", "制表符破坏了缩进"),
    (r"found unhashable key", "键不能是列表或映射"),
]
#: The context PyYAML adds: "(while parsing a flow mapping that starts at line 3)".
YAML_CONTEXT = {
    "while parsing a flow mapping": "所在的花括号映射", "while parsing a flow sequence": "所在的方括号列表",
    "while parsing a block mapping": "所在的映射", "while parsing a block collection": "所在的块",
    "while scanning a quoted scalar": "所在的带引号文本", "while scanning a simple key": "所在的键",
    "while scanning a block scalar": "所在的多行文本", "while parsing a block node": "所在的节点",
    "while parsing a flow node": "所在的节点", "while scanning an alias": "所在的别名",
}

#: The marker of a problem whose message the catalogue cannot put into Chinese.
NO_CHINESE = "（暂无中文说明）"
_INDENT = "  "
_QUOTED = r"(?P<\1>'[^']*'|\"[^\"]*\")"  # a value as repr() writes it, quotes and all


def _compile(entries: Sequence[tuple[str, str]]) -> list[tuple[re.Pattern[str], str]]:
    return [(re.compile(re.sub(r"\{q:(\w+)\}", _QUOTED, pattern)), template) for pattern, template in entries]


_TABLES = {"message": _compile(MESSAGES + problems_parts.MESSAGES), "fix": _compile(FIXES + problems_parts.FIXES)}
_PLACES = [(re.compile(p), r) for p, r in PLACE_WORDS]
_YAML = [(re.compile(p), r) for p, r in YAML_WORDS]
_YAML_CONTEXT = re.compile(r"(?P<detail>.+) \((?P<context>while [a-z ]+) that starts at line (?P<line>\d+)\)")
_FIELD = re.compile(r"\{(\w+)\}")
_OPTIONAL = re.compile(r"\[\[(.*?)\]\]")
_SHEET = re.compile(r" \(sheet ('[^']*'|[^)]*)\)$")
_COLUMN = re.compile(r"(.+) \(column ([A-Z]+)\)")


# ============================================================================================ the groups
def _places(text: str) -> str:
    """A place or a list (rows, columns, sheets) in Chinese: its few English words replaced."""
    for rx, repl in _PLACES:
        text = rx.sub(repl, text)
    return text


def _yaml(detail: str) -> str:
    """A detail of the YAML parser in Chinese where it is one of the usual ones; else as PyYAML wrote it."""
    found = _YAML_CONTEXT.fullmatch(detail)
    tail = ""
    if found and found["context"] in YAML_CONTEXT:
        detail = found["detail"]
        tail = f"（{YAML_CONTEXT[found['context']]}从第 {found['line']} 行开始）"
    for rx, repl in _YAML:
        if rx.fullmatch(detail):
            return rx.sub(repl, detail).replace(" or ", " 或 ") + tail
    return detail + tail


def _word(text: str) -> str | None:
    return WORDS.get(text)


def _table(name: str) -> str:
    return f"`{name}`（{TABLES[name]}）" if name in TABLES else f"`{name}`"


def _group(name: str, value: str | None) -> str | None:
    """A matched group in Chinese, as its name's prefix says (see ``problems_catalogue``); None: no Chinese."""
    if value is None:
        return ""
    kind = name.split("_", 1)[0] if "_" in name else ""
    if kind == "m":
        return _translate(value, "message")
    if kind == "f":
        return _translate(value, "fix")
    if kind == "w":
        return _word(value)
    if kind == "t":
        return _table(value)
    if kind == "p":
        return _places(value)
    if kind == "y":
        return _yaml(value)
    if kind == "o":
        return value.replace(" or ", " 或 ")
    return value


def _fill(template: str, groups: dict[str, str | None]) -> str | None:
    """The template with its groups; an optional part ``[[…]]`` is left out when a group it names is empty."""
    values: dict[str, str] = {}
    for name, value in groups.items():
        text = _group(name, value)
        if text is None:
            return None
        values[name] = text

    def optional(found: re.Match[str]) -> str:
        inner = found.group(1)
        return inner if all(values.get(n) for n in _FIELD.findall(inner)) else ""

    return _FIELD.sub(lambda f: values[f.group(1)], _OPTIONAL.sub(optional, template))


# ============================================================================================= the texts
def _one(text: str, which: str) -> str | None:
    """The Chinese of a text one entry of the catalogue matches whole, or None."""
    for rx, template in _TABLES[which]:
        found = rx.fullmatch(text)
        if found:
            out = _fill(template, found.groupdict())
            if out is not None:
                return out
    return None


@lru_cache(maxsize=4096)
def _translate(text: str, which: str) -> str | None:
    text = text.strip()
    if not text:
        return ""
    whole = _one(text, which)
    if whole is not None:
        return whole
    for cut in re.finditer("; ", text):  # "A; B": each part on its own ("… (rows 5); did you mean 'HS'?")
        head = _one(text[: cut.start()], which)
        if head is not None:
            tail = _translate(text[cut.end():], which)
            if tail is not None:
                return f"{head}；{tail}"
    return None


def message_zh(message: str) -> str | None:
    """A problem's message in Chinese, or None when the catalogue does not know it.

    >>> message_zh("unknown unit id 'HSX' (rows 6978); did you mean 'HS'?")
    "未知的单位编码 'HSX'（第 6978 行）；是否应为 'HS'？"
    """
    return _translate(message, "message")


def fix_zh(fix: str) -> str | None:
    """A problem's fix in Chinese, or None when the catalogue does not know it.

    >>> fix_zh("keep one row for it and delete the others")
    '只保留其中一行，删除其他行'
    """
    return _translate(fix, "fix")


def location_zh(p: Problem) -> str:
    """Where a problem is, in Chinese: ``文件 X，第 N 行，字段 'f'`` (the parts it has); a workbook's sheet
    and a wide sheet's column as ``（工作表 'units'）`` and ``（C 列）``.

    >>> from simkit.errors import Problem
    >>> location_zh(Problem("data.xlsx (sheet '观测值2018')", "", "", row=2, field="地区生产总值 gdp (column C)"))
    "文件 data.xlsx（工作表 '观测值2018'），第 2 行，字段 '地区生产总值 gdp'（C 列）"
    """
    where = ["文件 " + _SHEET.sub(r"（工作表 \1）", p.file)] if p.file else []
    if p.row is not None:
        where.append(f"第 {p.row} 行")
    if p.field is not None:
        column = _COLUMN.fullmatch(p.field)
        where.append(f"字段 {column[1]!r}（{column[2]} 列）" if column else f"字段 {p.field!r}")
    return "，".join(where)


def _sentence(text: str) -> str:
    return text if not text or text[-1] in "。！？.!?" else text + "。"


def problem_zh(p: Problem) -> str | None:
    """The whole problem in Chinese, on one line: where, what, and ``修改方法：`` the fix; None when the message
    has no Chinese (a fix without one is then given in English)."""
    message = message_zh(p.message)
    if message is None:
        return None
    where = location_zh(p)
    text = f"{where}：{message}" if where else message
    fix = p.fix.strip()
    if fix:
        text = f"{_sentence(text)}修改方法：{_sentence(fix_zh(fix) or fix)}"
    return text


def format_problem(p: Problem, indent: str = _INDENT) -> str:
    """The Chinese line, and under it the English line (``str(p)``), indented; a problem the catalogue does not
    know shows its place in Chinese and ``（暂无中文说明）`` instead."""
    zh = problem_zh(p)
    if zh is None:
        where = location_zh(p)
        zh = f"{where}：{NO_CHINESE}" if where else NO_CHINESE
    return f"{zh}\n{indent}{p}"


def _item(p: Problem, prefix: str = "- ") -> str:
    pad = " " * len(prefix)
    return prefix + format_problem(p, pad + _INDENT)


def format_problems(problems: Iterable[Problem], header: bool = True) -> str:
    """Every problem, each its Chinese line and its English line, under a header in both languages (or none:
    ``header=False``, for notes).

    >>> from simkit.errors import Problem
    >>> print(format_problems([Problem("units.csv", "the file is empty", "add one row per unit", row=1)]))
    发现 1 个问题 / 1 problem(s) found:
    - 文件 units.csv，第 1 行：文件为空。修改方法：每个单位添加一行。
        units.csv, row 1: the file is empty. Fix: add one row per unit.
    """
    problems = list(problems)
    lines = [f"发现 {len(problems)} 个问题 / {len(problems)} problem(s) found:"] if header else []
    lines += [_item(p) for p in problems]
    return "\n".join(lines)


def problem_kind(text: str) -> str:
    """A message or fix with what differs between problems of one kind (quoted values, parentheses, numbers,
    paths) left out, as ``present.text.problem_summary`` groups them."""
    text = re.sub(r"(?:[A-Za-z]:)?[\\/][^\s,;)]+", "…", text)
    return re.sub(r"'[^']*'|\([^)]*\)|-?\d[\d.,]*", "…", text)


def problem_summary_zh(problems: Sequence[Problem], limit: int = 20) -> str | None:
    """A long list of problems summarised by kind (how many, one example each, in Chinese and English), or None
    if it is short (``limit`` or fewer).

    >>> from simkit.errors import Problem
    >>> many = [Problem("o.csv", f"the value 'x{k}' is not a number", "fill in `value`", row=k) for k in range(30)]
    >>> print(problem_summary_zh(many).splitlines()[0])
    共 30 个问题，分 1 类 / 30 problems of 1 kind(s):
    """
    if len(problems) <= limit:
        return None
    kinds: Counter[str] = Counter()
    example: dict[str, Problem] = {}
    for p in problems:
        key = re.sub(r"'[^']*'|\([^)]*\)|-?\d[\d.,]*", "…", p.message)  # as present.text.problem_summary
        kinds[key] += 1
        example.setdefault(key, p)
    lines = [f"共 {len(problems)} 个问题，分 {len(kinds)} 类 / {len(problems)} problems of {len(kinds)} kind(s):"]
    lines += [_item(example[k], f"- {n} × ") for k, n in kinds.most_common()]
    return "\n".join(lines)
