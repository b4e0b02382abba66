"""Versioned questionnaires read from data files, and the checks on answers to them.

A questionnaire version is a folder under `data/` (`v1/questionnaire.json`, `v1/needs.json`).
Versions are never edited once released: a new version is a new folder, so old diagnoses can
always be read and compared. The one exception changes no score: a text about a dated fact may
gain the wording it takes once its day has come (`as_of`).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l

from marketplace import clock

DATA_DIR = Path(__file__).parent / "data"
CURRENT_VERSION = 1

SINGLE, MULTI, SCALE, TRISTATE = "single", "multi", "scale", "tristate"
QUESTION_TYPES = (SINGLE, MULTI, SCALE, TRISTATE)
SCALE_VALUES = (0, 1, 2, 3, 4, 5)
TRISTATE_POINTS = {"no": 0, "partially": 1, "yes": 2}
DIMENSION_CODES = ("strategy", "readiness", "human", "data", "automation", "green")

# {"fr": ..., "en": ...}; a text about a dated fact may add {"after": {"YYYY-MM-DD": {"fr":
# ..., "en": ...}}}: its wording from that day on (see `as_of`).
Text = dict[str, Any]
Answer = str | int | list[str]


def as_of(text: Mapping[str, Any], today: date | None = None) -> dict[str, str]:
    """The text's wording on `today`: its latest "after" variant whose day has come.

    Facts with a date ("vous devrez recevoir des factures électroniques dès septembre 2026")
    must read right on any day, including after it, and stored diagnoses keep the variants.
    """
    wording = {key: value for key, value in text.items() if key != "after"}
    today = today or clock.today()
    for day, variant in sorted((text.get("after") or {}).items()):
        if date.fromisoformat(day) <= today:
            wording = dict(variant)
    return wording


def localized(text: Mapping[str, Any], locale: str, today: date | None = None) -> str:
    """The text in the reader's language, French when it is missing, worded for today."""
    wording = as_of(text, today)
    return wording.get(locale) or wording.get("fr") or next(iter(wording.values()), "")


def variant_problems(where: str, text: Mapping[str, Any]) -> list[str]:
    """Each dated variant of a text needs both languages and a real date."""
    problems = []
    for day, variant in (text.get("after") or {}).items():
        try:
            date.fromisoformat(day)
        except ValueError:
            problems.append(f"{where}: {day!r} is not a date (YYYY-MM-DD)")
        if not variant.get("fr") or not variant.get("en"):
            problems.append(f"{where}: the variant after {day} needs fr and en")
    return problems


@dataclass(frozen=True)
class Option:
    value: str
    label: Text
    points: int
    exclusive: bool = False


@dataclass(frozen=True)
class Question:
    id: str
    dimension: str
    type: str
    weight: int
    text: Text
    help: Text
    options: tuple[Option, ...] = ()
    max_points: int | None = None

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)

    @property
    def allowed_values(self) -> tuple[str | int, ...]:
        if self.type == SCALE:
            return SCALE_VALUES
        if self.type == TRISTATE:
            return tuple(TRISTATE_POINTS)
        return tuple(o.value for o in self.options)


@dataclass(frozen=True)
class Dimension:
    code: str
    title: Text
    description: Text


@dataclass(frozen=True)
class Band:
    code: str
    min: int
    max: int
    title: Text
    narrative: Text


@dataclass(frozen=True)
class Questionnaire:
    version: int
    title: Text
    intro: Text
    dimensions: tuple[Dimension, ...]
    bands: tuple[Band, ...]
    questions: tuple[Question, ...]
    _by_id: dict[str, Question] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_id.update({q.id: q for q in self.questions})

    def question(self, question_id: str) -> Question | None:
        return self._by_id.get(question_id)

    def questions_of(self, dimension: str) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.dimension == dimension)

    def dimension(self, code: str) -> Dimension:
        return next(d for d in self.dimensions if d.code == code)

    def band_for(self, score: int) -> Band:
        return next(b for b in self.bands if b.min <= score <= b.max)


class QuestionnaireError(ValueError):
    """The data file breaks the format: a bug in the release, not bad user input."""


def _question(raw: dict[str, Any]) -> Question:
    options = tuple(
        Option(
            value=o["value"],
            label=o["label"],
            points=int(o["points"]),
            exclusive=bool(o.get("exclusive", False)),
        )
        for o in raw.get("options", ())
    )
    return Question(
        id=raw["id"],
        dimension=raw["dimension"],
        type=raw["type"],
        weight=int(raw.get("weight", 1)),
        text=raw["text"],
        help=raw.get("help", {}),
        options=options,
        max_points=raw.get("max_points"),
    )


def parse_questionnaire(raw: dict[str, Any]) -> Questionnaire:
    """Build a questionnaire from its JSON form; raise QuestionnaireError on any format fault."""
    try:
        questionnaire = Questionnaire(
            version=int(raw["version"]),
            title=raw["title"],
            intro=raw.get("intro", {}),
            dimensions=tuple(
                Dimension(d["code"], d["title"], d.get("description", {}))
                for d in raw["dimensions"]
            ),
            bands=tuple(
                Band(b["code"], int(b["min"]), int(b["max"]), b["title"], b["narrative"])
                for b in raw["bands"]
            ),
            questions=tuple(_question(q) for q in raw["questions"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise QuestionnaireError(f"malformed questionnaire: {exc!r}") from exc
    problems = format_problems(questionnaire)
    if problems:
        raise QuestionnaireError("; ".join(problems))
    return questionnaire


def format_problems(q: Questionnaire) -> list[str]:
    """Everything that makes a questionnaire unusable (the scoring relies on these)."""
    problems = []
    if tuple(d.code for d in q.dimensions) != DIMENSION_CODES:
        problems.append(f"dimensions must be {DIMENSION_CODES}")
    covered = [(b.min, b.max) for b in sorted(q.bands, key=lambda b: b.min)]
    if (
        not covered
        or covered[0][0] != 0
        or covered[-1][1] != 100
        or any(nxt[0] != cur[1] + 1 for cur, nxt in itertools.pairwise(covered))
    ):
        problems.append("bands must cover 0..100 without gaps or overlaps")
    # The API promises these texts in both languages (help, intro, descriptions may be left out).
    texts = [("title", q.title)] + [(f"dimension {d.code} title", d.title) for d in q.dimensions]
    texts += [(f"band {b.code} title", b.title) for b in q.bands]
    texts += [(f"band {b.code} narrative", b.narrative) for b in q.bands]
    for where, text in texts:
        if not text.get("fr") or not text.get("en"):
            problems.append(f"{where} needs fr and en")
    ids = [question.id for question in q.questions]
    if len(ids) != len(set(ids)):
        problems.append("question ids must be unique")
    for question in q.questions:
        where = f"question {question.id}"
        problems.extend(variant_problems(f"{where} help", question.help))
        if question.type not in QUESTION_TYPES:
            problems.append(f"{where}: unknown type {question.type}")
        if question.dimension not in DIMENSION_CODES:
            problems.append(f"{where}: unknown dimension {question.dimension}")
        if not 1 <= question.weight <= 3:
            problems.append(f"{where}: weight must be 1..3")
        if not question.text.get("fr") or not question.text.get("en"):
            problems.append(f"{where}: text needs fr and en")
        problems.extend(_option_problems(question, where))
    for dimension in DIMENSION_CODES:
        if not q.questions_of(dimension):
            problems.append(f"dimension {dimension} has no question")
    return problems


def _option_problems(question: Question, where: str) -> list[str]:
    problems = []
    if question.type in (SCALE, TRISTATE):
        if question.options:
            problems.append(f"{where}: {question.type} questions take no options")
        return problems
    values = [o.value for o in question.options]
    if len(values) < 2 or len(values) != len(set(values)):
        problems.append(f"{where}: needs at least two options with unique values")
    if any(o.points < 0 for o in question.options):
        problems.append(f"{where}: points must be >= 0")
    if any(not o.label.get("fr") or not o.label.get("en") for o in question.options):
        problems.append(f"{where}: every option label needs fr and en")
    if question.type == SINGLE:
        if min((o.points for o in question.options), default=0) != 0:
            problems.append(f"{where}: one option must be worth 0 points")
        if any(o.exclusive for o in question.options):
            problems.append(f"{where}: exclusive only makes sense in multi questions")
    if question.type == MULTI:
        total = sum(o.points for o in question.options)
        if question.max_points is None or not 0 < question.max_points <= total:
            problems.append(f"{where}: multi questions need 0 < max_points <= sum of points")
        exclusive = [o for o in question.options if o.exclusive]
        if len(exclusive) > 1 or any(o.points for o in exclusive):
            problems.append(f"{where}: at most one exclusive option, worth 0 points")
    return problems


@cache
def load_questionnaire(version: int = CURRENT_VERSION) -> Questionnaire:
    """The questionnaire of that version (read once per process)."""
    path = DATA_DIR / f"v{version}" / "questionnaire.json"
    if not path.exists():
        raise QuestionnaireError(f"no questionnaire version {version}")
    questionnaire = parse_questionnaire(json.loads(path.read_text(encoding="utf-8")))
    if questionnaire.version != version:
        raise QuestionnaireError(f"{path} says version {questionnaire.version}")
    return questionnaire


def available_versions() -> list[int]:
    return sorted(int(p.name[1:]) for p in DATA_DIR.glob("v*") if p.name[1:].isdigit())


# --- answers -------------------------------------------------------------------------------


def answer_problems(
    questionnaire: Questionnaire, answers: dict[str, Any], complete: bool = True
) -> dict[str, str]:
    """User-facing problems with a set of answers, keyed by question id.

    `complete=False` checks a draft: missing answers are fine, wrong ones are not.
    """
    problems: dict[str, str] = {}
    for question_id, answer in answers.items():
        question = questionnaire.question(question_id)
        if question is None:
            problems[question_id] = str(_l("This question does not exist in this questionnaire."))
            continue
        problem = _answer_problem(question, answer)
        if problem:
            problems[question_id] = problem
    if complete:
        for question in questionnaire.questions:
            if question.id not in answers:
                problems.setdefault(question.id, str(_l("Answer this question.")))
    return problems


def _answer_problem(question: Question, answer: Any) -> str | None:
    if question.type == SCALE:
        ok = isinstance(answer, int) and not isinstance(answer, bool) and answer in SCALE_VALUES
        return None if ok else str(_l("Choose a level from 0 to 5."))
    if question.type == TRISTATE:
        ok = isinstance(answer, str) and answer in TRISTATE_POINTS
        return None if ok else str(_l("Answer no, partially or yes."))
    if question.type == SINGLE:
        ok = isinstance(answer, str) and question.option(answer) is not None
        return None if ok else str(_l("Choose one of the proposed answers."))
    if not isinstance(answer, list) or not all(isinstance(v, str) for v in answer):
        return str(_l("Choose among the proposed answers."))
    if len(answer) != len(set(answer)):
        return str(_l("An answer is repeated."))
    chosen = [question.option(v) for v in answer]
    if any(o is None for o in chosen):
        return str(_l("Choose among the proposed answers."))
    if any(o.exclusive for o in chosen if o) and len(chosen) > 1:
        return str(_l("This answer cannot be combined with others."))
    return None


def normalize_answers(questionnaire: Questionnaire, answers: dict[str, Any]) -> dict[str, Answer]:
    """Canonical form for storage and comparison: multi choices in the questionnaire's order."""
    result: dict[str, Answer] = {}
    for question in questionnaire.questions:
        if question.id not in answers:
            continue
        answer = answers[question.id]
        if question.type == MULTI:
            order = [o.value for o in question.options]
            answer = sorted(answer, key=order.index)
        result[question.id] = answer
    return result


def _check_versions() -> None:
    """Load every version with its rules: python -m marketplace.diagnosis.questionnaire."""
    from marketplace.diagnosis.needs import load_rules  # needs imports this module

    for v in available_versions():
        q = load_questionnaire(v)
        rules = load_rules(v)
        print(f"v{v}: {len(q.questions)} questions, {len(rules)} rules: OK")


if __name__ == "__main__":
    _check_versions()
