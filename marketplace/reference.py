"""Reference tables (regions, departments, categories), filled from the code's constant lists."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from marketplace.extensions import Model
from marketplace.geo import DEPARTMENTS, REGIONS
from marketplace.taxonomy import CATEGORY_CODES, category_label


class Region(Model):
    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))

    departments: Mapped[list[Department]] = relationship(
        back_populates="region", order_by="Department.code"
    )


class Department(Model):
    __tablename__ = "departments"

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)

    region: Mapped[Region] = relationship(back_populates="departments")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Category(Model):
    __tablename__ = "categories"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)

    @property
    def label(self) -> str:
        return category_label(self.code)


def sync_reference_data(session: Session) -> None:
    """Insert or update every region, department and category; idempotent."""
    regions = {r.code: r for r in session.scalars(select(Region))}
    for region in REGIONS:
        row = regions.get(region.code) or Region(code=region.code)
        row.name = region.name
        session.add(row)
    session.flush()
    departments = {d.code: d for d in session.scalars(select(Department))}
    for dept in DEPARTMENTS:
        department = departments.get(dept.code) or Department(code=dept.code)
        department.name, department.region_code = dept.name, dept.region_code
        session.add(department)
    categories = {c.code: c for c in session.scalars(select(Category))}
    for position, code in enumerate(CATEGORY_CODES):
        category = categories.get(code) or Category(code=code)
        category.position = position
        session.add(category)
    session.flush()
