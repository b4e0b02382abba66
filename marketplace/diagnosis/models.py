"""Stored diagnoses and the draft a company fills in page by page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Company, User
from marketplace.dbtypes import UTCDateTime, utcnow
from marketplace.extensions import Model


class Diagnosis(Model):
    """A finished self-diagnosis. Scores and needs are stored as computed then, with their
    reason texts, so a later questionnaire version never changes how an old one reads."""

    __tablename__ = "diagnoses"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    questionnaire_version: Mapped[int] = mapped_column(Integer)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    dimension_scores: Mapped[dict[str, int]] = mapped_column(JSON)
    overall_score: Mapped[int] = mapped_column(Integer)
    band: Mapped[str] = mapped_column(String(16))
    needs: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    company: Mapped[Company] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def need_codes(self) -> list[str]:
        return [n["need"] for n in self.needs]


class DiagnosisDraft(Model):
    """Answers saved between pages, one draft per company, resumable by any of its users."""

    __tablename__ = "diagnosis_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), unique=True)
    questionnaire_version: Mapped[int] = mapped_column(Integer)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    page: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    company: Mapped[Company] = relationship()
