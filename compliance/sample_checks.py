"""Automatic opinions on checklist items decided by the sample and its personal-information scan."""

from __future__ import annotations

from compliance.facts import ProductFacts
from compliance.field_types import infer_value_type
from compliance.opinions import Opinion, Problem, joined, message, percent, pi_label, pi_labels, rows_share
from compliance.pi_scan import ScanReport
from compliance.samples import Sample
from compliance.vocabulary import FIELD_TYPES, label

# Per declared type, the inferred types its values may have: text holds anything, a decimal column may
# hold whole numbers only, a datetime column may hold bare dates.
COMPATIBLE_TYPES: dict[str, frozenset[str]] = {
    "string": frozenset(FIELD_TYPES),
    "integer": frozenset({"integer"}),
    "decimal": frozenset({"integer", "decimal"}),
    "date": frozenset({"date"}),
    "datetime": frozenset({"date", "datetime"}),
    "boolean": frozenset({"boolean"}),
}


def _marked(facts: ProductFacts, column: str, flag: str) -> bool:
    entry = facts.dictionary_entry(column)
    return bool(entry and entry.get(flag))


def _scan_details(scan: ScanReport) -> dict[str, object]:
    return {
        "rows_scanned": scan.rows_scanned,
        "counts": dict(scan.counts),
        "columns": {c: dict(types) for c, types in scan.columns.items()},
    }


def unmarked_pi_problems(facts: ProductFacts, scan: ScanReport, *, described_only: bool) -> list[Problem]:
    """One sentence per column and PI type the scan found where the dictionary does not say personal.

    PI-01 and USE-02 both report this mismatch; they share the sentence so that the broker reads one
    problem, in the same words, under both items. USE-02 passes `described_only`, because it reports
    columns missing from the dictionary separately.
    """
    rows = scan.rows_scanned
    problems: list[Problem] = []
    for column, types in scan.personal_columns().items():
        entry = facts.dictionary_entry(column)
        if (entry is None and described_only) or (entry is not None and entry.get("pi")):
            continue
        for t, n in types.items():
            problems.append(
                (
                    f"Column {column} holds {pi_label(t, 'en')} in {rows_share(n, rows, 'en')} but the field "
                    "dictionary does not mark it personal.",
                    f"字段 {column} 在 {rows} 行中有 {n} 行（{percent(n, rows)}）含有{pi_label(t, 'zh')}，"
                    "但字段字典未将其标记为个人信息。",
                )
            )
    return problems


def check_pi_01(facts: ProductFacts, sample: Sample | None, scan: ScanReport | None) -> Opinion:
    if scan is None:
        return Opinion(
            "fail",
            message(
                "Upload a sample file so that it can be scanned for personal information.",
                "请上传样例文件以进行个人信息扫描。",
            ),
        )
    personal = scan.personal_columns()
    rows = scan.rows_scanned
    problems = unmarked_pi_problems(facts, scan, described_only=False)
    if personal and not facts.holds_pi:
        problems.append(
            (
                "The sample holds personal information but the product declares that it holds none.",
                "样例含有个人信息，但产品申报不含个人信息。",
            )
        )
    if problems:
        return Opinion("fail", joined(problems), _scan_details(scan))
    if personal:
        columns = ", ".join(personal)
        return Opinion(
            "pass",
            message(
                f"Columns {columns} hold personal information and the field dictionary marks them personal.",
                f"字段 {columns} 含有个人信息，字段字典均已标记为个人信息。",
            ),
            _scan_details(scan),
        )
    return Opinion(
        "pass",
        message(f"No personal information detected in {rows} rows.", f"在 {rows} 行中未检测到个人信息。"),
        _scan_details(scan),
    )


def check_pi_02(facts: ProductFacts, sample: Sample | None, scan: ScanReport | None) -> Opinion:
    sensitive = scan.sensitive_columns() if scan else {}
    problems: list[Problem] = [
        (
            f"Column {column} holds {pi_labels(types, 'en')}, sensitive under PIPL art. 28, but the field "
            "dictionary does not mark it sensitive.",
            f"字段 {column} 含有{pi_labels(types, 'zh')}，属于《个人信息保护法》第二十八条规定的"
            "敏感个人信息，但字段字典未将其标记为敏感。",
        )
        for column, types in sensitive.items()
        if not _marked(facts, column, "sensitive")
    ]
    details = {"sensitive_columns": sensitive}
    if problems:
        return Opinion("flag", joined(problems), details)
    return Opinion(
        None,
        message(
            "A reviewer checks sensitive categories no scan sees: health, biometrics, location, minors.",
            "由审核员核查扫描无法识别的敏感类别（医疗健康、生物识别、行踪轨迹、未成年人）。",
        ),
        details,
    )


def _listed(problem_en: str, problem_zh: str, names: list[str]) -> Problem:
    return problem_en.format(names=", ".join(names)), problem_zh.format(names="、".join(names))


def _normalised(name: str) -> str:
    return "".join(name.split()).casefold()


def _column_problems(facts: ProductFacts, sample: Sample) -> list[Problem]:
    declared = [str(e.get("name") or "").strip() for e in facts.field_dictionary]
    if not declared:
        return [("The field dictionary is empty.", "字段字典为空。")]
    problems: list[Problem] = [
        (f"Entry {i} of the field dictionary has no name.", f"字段字典第 {i} 项没有字段名。")
        for i, name in enumerate(declared, start=1)
        if not name
    ]
    declared = [n for n in declared if n]
    duplicates = sorted({n for n in declared if declared.count(n) > 1})
    if duplicates:
        problems.append(
            _listed(
                "The field dictionary lists {names} more than once.", "字段字典重复列出 {names}。", duplicates
            )
        )
    missing = [n for n in dict.fromkeys(declared) if n not in sample.columns]
    undeclared = [c for c in sample.columns if c not in declared]
    # A name that differs only in case or spacing is one column misspelt, not one missing and one extra.
    by_form = {_normalised(c): c for c in undeclared}
    for name in list(missing):
        column = by_form.get(_normalised(name))
        if column is not None and column in undeclared:
            missing.remove(name)
            undeclared.remove(column)
            problems.append(
                (
                    f"The field dictionary names column {name} but the sample spells it {column}.",
                    f"字段字典中的字段 {name} 在样例中写作 {column}。",
                )
            )
    if missing:
        problems.append(
            _listed(
                "The sample has no column {names} from the field dictionary.",
                "样例缺少字段字典中的字段 {names}。",
                missing,
            )
        )
    if undeclared:
        problems.append(
            _listed(
                "The field dictionary does not describe column {names}.",
                "字段字典未描述字段 {names}。",
                undeclared,
            )
        )
    return problems


def _type_labels(types: list[str], lang: str) -> str:
    if lang == "zh":
        return "、".join(label(FIELD_TYPES, t, "zh") for t in types)
    return ", ".join(label(FIELD_TYPES, t, "en").lower() for t in types)


def _type_problems(facts: ProductFacts, sample: Sample) -> list[Problem]:
    problems: list[Problem] = []
    for entry in facts.field_dictionary:
        name, declared = str(entry.get("name") or "").strip(), str(entry.get("type", ""))
        if not name:
            continue
        if declared not in COMPATIBLE_TYPES:
            problems.append(
                (f"Column {name} declares unknown type {declared!r}.", f"字段 {name} 的类型 {declared!r} 无效。")
            )
            continue
        if name not in sample.columns:
            continue
        allowed = COMPATIBLE_TYPES[declared]
        # Counted per value, so that the message says how much of the column is off; the values themselves
        # are never quoted, as they may be personal information.
        present = [v for v in sample.column_values(name) if v is not None]
        off = [t for t in map(infer_value_type, present) if t not in allowed]
        if off:
            kinds = sorted(set(off), key=list(FIELD_TYPES).index)
            problems.append(
                (
                    f"Column {name} is declared {declared} but {len(off)} of its {len(present)} filled rows "
                    f"({percent(len(off), len(present))}) hold {_type_labels(kinds, 'en')} values.",
                    f"字段 {name} 申报为{label(FIELD_TYPES, declared, 'zh')}，但在有值的 {len(present)} 行中"
                    f"有 {len(off)} 行（{percent(len(off), len(present))}）为{_type_labels(kinds, 'zh')}。",
                )
            )
    return problems


def check_use_02(facts: ProductFacts, sample: Sample | None, scan: ScanReport | None) -> Opinion:
    if sample is None:
        return Opinion(
            "fail",
            message(
                "Upload a sample so that it can be compared with the field dictionary.",
                "请上传样例以便与字段字典比对。",
            ),
        )
    problems = (
        _column_problems(facts, sample)
        + _type_problems(facts, sample)
        + (unmarked_pi_problems(facts, scan, described_only=True) if scan else [])
    )
    details: dict[str, object] = {"inferred_types": sample.column_types()}
    if scan is not None:
        details["unmarked_pi_columns"] = {
            column: types
            for column, types in scan.personal_columns().items()
            if (entry := facts.dictionary_entry(column)) is not None and not entry.get("pi")
        }
    if problems:
        return Opinion("fail", joined(problems), details)
    return Opinion(
        "pass",
        message(
            "The field dictionary and the sample agree on columns, types and personal-information flags.",
            "字段字典与样例的字段、类型及个人信息标记一致。",
        ),
        details,
    )
