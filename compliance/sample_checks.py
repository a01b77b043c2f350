"""Automatic opinions on checklist items decided by the sample and its personal-information scan."""

from __future__ import annotations

from compliance.facts import ProductFacts
from compliance.field_types import infer_column_type
from compliance.opinions import Opinion, Problem, joined, message, pi_label, pi_labels
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
NULL_RATE_LIMIT = 0.5


def _marked(facts: ProductFacts, column: str, flag: str) -> bool:
    entry = facts.dictionary_entry(column)
    return bool(entry and entry.get(flag))


def _scan_details(scan: ScanReport) -> dict[str, object]:
    return {
        "rows_scanned": scan.rows_scanned,
        "counts": dict(scan.counts),
        "columns": {c: dict(types) for c, types in scan.columns.items()},
    }


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
    problems: list[Problem] = [
        (
            f"Column {column} holds {pi_label(t, 'en')} in {n} of {rows} rows but the field dictionary "
            "does not mark it personal.",
            f"字段 {column} 在 {rows} 行中有 {n} 行含有{pi_label(t, 'zh')}，但字段字典未将其标记为个人信息。",
        )
        for column, types in personal.items()
        if not _marked(facts, column, "pi")
        for t, n in types.items()
    ]
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


def _column_problems(facts: ProductFacts, sample: Sample) -> list[Problem]:
    declared = [str(e.get("name", "")) for e in facts.field_dictionary]
    if not declared:
        return [("The field dictionary is empty.", "字段字典为空。")]
    problems: list[Problem] = []
    duplicates = sorted({n for n in declared if declared.count(n) > 1})
    if duplicates:
        problems.append(
            _listed(
                "The field dictionary lists {names} more than once.", "字段字典重复列出 {names}。", duplicates
            )
        )
    missing = [n for n in declared if n not in sample.columns]
    if missing:
        problems.append(
            _listed(
                "The sample has no column {names} from the field dictionary.",
                "样例缺少字段字典中的字段 {names}。",
                missing,
            )
        )
    undeclared = [c for c in sample.columns if c not in declared]
    if undeclared:
        problems.append(
            _listed(
                "The field dictionary does not describe column {names}.",
                "字段字典未描述字段 {names}。",
                undeclared,
            )
        )
    return problems


def _type_problems(facts: ProductFacts, sample: Sample) -> list[Problem]:
    problems: list[Problem] = []
    for entry in facts.field_dictionary:
        name, declared = str(entry.get("name", "")), str(entry.get("type", ""))
        if declared not in COMPATIBLE_TYPES:
            problems.append(
                (f"Column {name} declares unknown type {declared!r}.", f"字段 {name} 的类型无效。")
            )
            continue
        if name not in sample.columns:
            continue
        inferred = infer_column_type(sample.column_values(name))
        if inferred is not None and inferred not in COMPATIBLE_TYPES[declared]:
            problems.append(
                (
                    f"Column {name} is declared {declared} but the sample holds {inferred} values.",
                    f"字段 {name} 申报为{label(FIELD_TYPES, declared, 'zh')}，"
                    f"但样例中的值为{label(FIELD_TYPES, inferred, 'zh')}。",
                )
            )
    return problems


def _pi_flag_problems(facts: ProductFacts, scan: ScanReport | None) -> list[Problem]:
    # Columns absent from the dictionary are already reported as undescribed.
    return [
        (
            f"Column {column} holds {pi_labels(types, 'en')} but the field dictionary marks it not personal.",
            f"字段 {column} 含有{pi_labels(types, 'zh')}，但字段字典标记为非个人信息。",
        )
        for column, types in (scan.personal_columns() if scan else {}).items()
        if (entry := facts.dictionary_entry(column)) is not None and not entry.get("pi")
    ]


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
        _column_problems(facts, sample) + _type_problems(facts, sample) + _pi_flag_problems(facts, scan)
    )
    details = {"inferred_types": sample.column_types()}
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


def check_qlt_01(facts: ProductFacts, sample: Sample | None, scan: ScanReport | None) -> Opinion:
    if sample is None:
        return Opinion(None, message("No sample to measure.", "无样例可供度量。"))
    if not sample.rows:
        return Opinion("flag", message("The sample has no data rows.", "样例没有数据行。"))
    rows = len(sample.rows)
    null_rates = {c: round(sum(v is None for v in sample.column_values(c)) / rows, 4) for c in sample.columns}
    duplicates = rows - len({tuple(r) for r in sample.rows})
    details = {"rows": rows, "null_rates": null_rates, "duplicate_rows": duplicates}
    problems: list[Problem] = []
    sparse = [c for c, rate in null_rates.items() if rate > NULL_RATE_LIMIT]
    if sparse:
        problems.append(
            _listed("More than half of the rows are empty in {names}.", "{names} 的空值率超过一半。", sparse)
        )
    if duplicates:
        problems.append((f"{duplicates} rows repeat earlier rows.", f"有 {duplicates} 行与之前的行重复。"))
    if problems:
        return Opinion("flag", joined(problems), details)
    return Opinion(
        "pass",
        message("No column is mostly empty and no row repeats.", "无大量空值字段，无重复行。"),
        details,
    )
