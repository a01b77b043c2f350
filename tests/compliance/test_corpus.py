"""Precision and recall of the PI scanner per type on the labelled corpus (DOMAIN.md §5, issue 3)."""

from collections import Counter

from compliance.pi_scan import detect
from tests.compliance.corpus import TYPES, corpus


def test_precision_and_recall_per_type():
    true_pos, false_pos, false_neg = Counter(), Counter(), Counter()
    wrong = []
    for text, expected in corpus():
        found = {d.type for d in detect(text)}
        for type_ in TYPES:
            if type_ in found and type_ in expected:
                true_pos[type_] += 1
            elif type_ in found:
                false_pos[type_] += 1
            elif type_ in expected:
                false_neg[type_] += 1
        if found != expected:
            wrong.append((text, sorted(expected), sorted(found)))
    for type_ in TYPES:
        assert true_pos[type_] > 300, type_
        precision = true_pos[type_] / (true_pos[type_] + false_pos[type_])
        recall = true_pos[type_] / (true_pos[type_] + false_neg[type_])
        assert precision >= 0.995 and recall >= 0.995, (type_, precision, recall, wrong[:10])
    assert wrong == []


def test_corpus_is_large_and_has_both_kinds():
    cases = corpus()
    assert len(cases) > 10_000
    assert sum(1 for _, expected in cases if not expected) > 5_000
