"""From answers and scores to ranked needs, each with the sentences that explain it.

The rules are a data file per questionnaire version (`data/vN/needs.json`). Evaluating them is
a pure function; the result carries the reason texts in both languages so a stored diagnosis
reads the same even after the rules change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from marketplace.diagnosis.questionnaire import (
    DATA_DIR,
    MULTI,
    SCALE,
    Answer,
    Questionnaire,
    QuestionnaireError,
    Text,
    load_questionnaire,
    variant_problems,
)
from marketplace.taxonomy import CATEGORY_CODES

PRIORITY_RANK = {"high": 3, "medium": 2, "low": 1}


@dataclass(frozen=True)
class Rule:
    id: str
    need: str
    priority: str
    when: dict[str, Any]
    reason: Text


@dataclass(frozen=True)
class Need:
    code: str
    priority: str
    reasons: tuple[dict[str, Any], ...]  # {"rule": id, "text": {"fr": ..., "en": ...}}

    def as_dict(self) -> dict[str, Any]:
        return {"need": self.code, "priority": self.priority, "reasons": list(self.reasons)}


def matches(
    condition: dict[str, Any], answers: dict[str, Answer], dimensions: dict[str, int]
) -> bool:
    """Whether one condition of the rule table holds (see the format in needs.json)."""
    if "all" in condition:
        return all(matches(c, answers, dimensions) for c in condition["all"])
    if "any" in condition:
        return any(matches(c, answers, dimensions) for c in condition["any"])
    if "dimension" in condition:
        return dimensions[condition["dimension"]] < condition["below"]
    answer = answers.get(condition["question"])
    if answer is None:
        return False
    if "in" in condition:
        return answer in condition["in"]
    if "includes" in condition:
        return isinstance(answer, list) and condition["includes"] in answer
    if "excludes" in condition:
        return isinstance(answer, list) and condition["excludes"] not in answer
    if "at_most" in condition:
        return isinstance(answer, int) and answer <= condition["at_most"]
    raise QuestionnaireError(f"unknown condition {condition}")


def rank_needs(
    rules: tuple[Rule, ...], answers: dict[str, Answer], dimensions: dict[str, int]
) -> list[Need]:
    """Needs whose rules fire, highest priority first, then in taxonomy order."""
    fired: dict[str, list[Rule]] = {}
    for rule in rules:
        if matches(rule.when, answers, dimensions):
            fired.setdefault(rule.need, []).append(rule)
    needs = [
        Need(
            code=code,
            priority=max((r.priority for r in hits), key=PRIORITY_RANK.__getitem__),
            reasons=tuple({"rule": r.id, "text": dict(r.reason)} for r in hits),
        )
        for code, hits in fired.items()
    ]
    return sorted(needs, key=lambda n: (-PRIORITY_RANK[n.priority], CATEGORY_CODES.index(n.code)))


def rule_problems(rules: tuple[Rule, ...], questionnaire: Questionnaire) -> list[str]:
    """Rules that could never fire correctly: unknown needs, questions, values or forms."""
    problems = []
    ids = [r.id for r in rules]
    if len(ids) != len(set(ids)):
        problems.append("rule ids must be unique")
    for rule in rules:
        if rule.need not in CATEGORY_CODES:
            problems.append(f"rule {rule.id}: unknown need {rule.need}")
        if rule.priority not in PRIORITY_RANK:
            problems.append(f"rule {rule.id}: unknown priority {rule.priority}")
        if not rule.reason.get("fr") or not rule.reason.get("en"):
            problems.append(f"rule {rule.id}: reason needs fr and en")
        problems.extend(variant_problems(f"rule {rule.id} reason", rule.reason))
        problems.extend(
            f"rule {rule.id}: {p}" for p in _condition_problems(rule.when, questionnaire)
        )
    return problems


def _condition_problems(condition: dict[str, Any], questionnaire: Questionnaire) -> list[str]:
    if "all" in condition or "any" in condition:
        parts = condition.get("all", condition.get("any"))
        if not parts:
            return ["empty all/any"]
        return [p for c in parts for p in _condition_problems(c, questionnaire)]
    if "dimension" in condition:
        ok = condition["dimension"] in {d.code for d in questionnaire.dimensions}
        ok = ok and isinstance(condition.get("below"), int) and 0 < condition["below"] <= 100
        return [] if ok else [f"bad dimension condition {condition}"]
    question = questionnaire.question(condition.get("question", ""))
    if question is None:
        return [f"unknown question in {condition}"]
    if "in" in condition:
        allowed = question.allowed_values
        wrong = [v for v in condition["in"] if v not in allowed]
        return [f"{question.id}: values {wrong} are not answers"] if wrong else []
    if "includes" in condition or "excludes" in condition:
        value = condition["includes"] if "includes" in condition else condition["excludes"]
        ok = question.type == MULTI and question.option(value) is not None
        return [] if ok else [f"{question.id}: includes/excludes needs a multi choice"]
    if "at_most" in condition:
        return [] if question.type == SCALE else [f"{question.id}: at_most needs a scale"]
    return [f"unknown condition {condition}"]


@cache
def load_rules(version: int) -> tuple[Rule, ...]:
    """The needs rules for that questionnaire version, checked against it."""
    path = DATA_DIR / f"v{version}" / "needs.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    if raw.get("questionnaire_version") != version:
        raise QuestionnaireError(f"{path} is not for questionnaire version {version}")
    rules = tuple(
        Rule(r["id"], r["need"], r["priority"], r["when"], r["reason"]) for r in raw["rules"]
    )
    problems = rule_problems(rules, load_questionnaire(version))
    if problems:
        raise QuestionnaireError("; ".join(problems))
    return rules
