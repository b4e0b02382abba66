"""How a company progressed between two diagnoses (pure: works across questionnaire versions,
since it only reads the stored scores and needs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Comparison:
    dimension_changes: dict[str, tuple[int | None, int | None]]  # code → (before, after)
    overall_change: int
    band_before: str
    band_after: str
    needs_met: list[str]  # needs of the earlier diagnosis that no longer come up
    needs_still_open: list[str]
    needs_new: list[str]

    def delta(self, code: str) -> int | None:
        before, after = self.dimension_changes[code]
        return None if before is None or after is None else after - before


def compare(
    before_scores: dict[str, int],
    before_overall: int,
    before_band: str,
    before_needs: list[dict[str, Any]],
    after_scores: dict[str, int],
    after_overall: int,
    after_band: str,
    after_needs: list[dict[str, Any]],
) -> Comparison:
    """Changes per dimension and which needs were met, from the earlier to the later diagnosis."""
    codes = list(dict.fromkeys([*before_scores, *after_scores]))
    earlier = [n["need"] for n in before_needs]
    later = [n["need"] for n in after_needs]
    return Comparison(
        dimension_changes={c: (before_scores.get(c), after_scores.get(c)) for c in codes},
        overall_change=after_overall - before_overall,
        band_before=before_band,
        band_after=after_band,
        needs_met=[n for n in earlier if n not in later],
        needs_still_open=[n for n in later if n in earlier],
        needs_new=[n for n in later if n not in earlier],
    )


def compare_diagnoses(before: Any, after: Any) -> Comparison:
    """`compare` for two stored diagnoses, oldest first whatever the argument order."""
    if (before.created_at, before.id) > (after.created_at, after.id):
        before, after = after, before
    return compare(
        before.dimension_scores,
        before.overall_score,
        before.band,
        before.needs,
        after.dimension_scores,
        after.overall_score,
        after.band,
        after.needs,
    )
