"""Guides, MOOCs and webinars recommended per need; a curated list kept in a data file."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from marketplace.accounts.models import enum_column
from marketplace.extensions import Model, db
from marketplace.reference import Category

RESOURCES_FILE = Path(__file__).parent / "data" / "resources.json"


class ResourceKind(StrEnum):
    GUIDE = "guide"
    MOOC = "mooc"
    WEBINAR = "webinar"


class ResourceLevel(StrEnum):
    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"


resource_needs = Table(
    "resource_needs",
    db.metadata,
    Column("resource_id", ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True),
    Column("category_code", ForeignKey("categories.code"), primary_key=True),
)


class Resource(Model):
    __tablename__ = "resources"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[ResourceKind] = mapped_column(enum_column(ResourceKind))
    level: Mapped[ResourceLevel] = mapped_column(enum_column(ResourceLevel))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    publisher: Mapped[str] = mapped_column(String(120))
    url: Mapped[str] = mapped_column(String(500))
    language: Mapped[str] = mapped_column(String(5), default="fr")
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    is_free: Mapped[bool] = mapped_column(Boolean, default=True)

    needs: Mapped[list[Category]] = relationship(
        secondary=resource_needs, order_by="Category.position"
    )


def load_resource_data(path: Path = RESOURCES_FILE) -> list[dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8"))["resources"]


def sync_resources(session: Session, entries: list[dict[str, Any]] | None = None) -> int:
    """Insert or update the curated resources by slug; returns how many there are."""
    entries = load_resource_data() if entries is None else entries
    categories = {c.code: c for c in session.scalars(select(Category))}
    existing = {r.slug: r for r in session.scalars(select(Resource))}
    for entry in entries:
        resource = existing.get(entry["slug"]) or Resource(slug=entry["slug"])
        resource.kind = ResourceKind(entry["kind"])
        resource.level = ResourceLevel(entry["level"])
        resource.title = entry["title"]
        resource.summary = entry["summary"]
        resource.publisher = entry["publisher"]
        resource.url = entry["url"]
        resource.language = entry.get("language", "fr")
        resource.duration_minutes = entry.get("duration_minutes")
        resource.is_free = entry.get("is_free", True)
        resource.needs = [categories[code] for code in entry["needs"]]
        session.add(resource)
    session.flush()
    return len(entries)
