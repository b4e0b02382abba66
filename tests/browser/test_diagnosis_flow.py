"""The self-assessment in a real browser: a company starts it, leaves half-way, resumes from the
overview, finishes, and reads its scores (radar and table) and ranked needs.

Elements are found by names, ids and URLs, never by translated wording.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from flask import Flask

from marketplace.diagnosis.questionnaire import MULTI, SCALE, SINGLE, load_questionnaire
from marketplace.extensions import db
from tests.factories import PASSWORD, company_user

if TYPE_CHECKING:
    from playwright.sync_api import Page

COMPANY_EMAIL = "autodiagnostic@example.fr"


def modest_answers() -> dict[str, Any]:
    """A young company: first choices, low levels; it will have needs."""
    answers: dict[str, Any] = {}
    for q in load_questionnaire().questions:
        if q.type == SCALE:
            answers[q.id] = 1
        elif q.type == SINGLE:
            answers[q.id] = q.options[1].value
        elif q.type == MULTI:
            answers[q.id] = [q.options[0].value]
        else:
            answers[q.id] = "partially"
    return answers


def answer_page(page: Page, number: int, answers: dict[str, Any]) -> None:
    questionnaire = load_questionnaire()
    for q in questionnaire.questions_of(questionnaire.dimensions[number - 1].code):
        values = answers[q.id] if isinstance(answers[q.id], list) else [answers[q.id]]
        for value in values:
            page.check(f"input[name='{q.id}'][value='{value}']")
    page.click("#next")


def test_company_takes_leaves_resumes_and_reads_its_result(app: Flask, page: Page) -> None:
    from playwright.sync_api import expect

    with app.app_context():
        company_user(db.session, COMPANY_EMAIL)
        db.session.commit()
    answers = modest_answers()
    pages = len(load_questionnaire().dimensions)

    page.goto("/login")
    page.fill("#email", COMPANY_EMAIL)
    page.fill("#password", PASSWORD)
    page.click("main form[method=post] button[type=submit]")
    expect(page).not_to_have_url(re.compile(r"/login"))

    # Starts from the overview's empty state and answers half the pages...
    page.goto("/diagnosis/")
    page.click("#start-link")
    expect(page).to_have_url(re.compile(r"/diagnosis/take/1$"))
    expect(page.locator("progress#diagnosis-progress")).to_have_attribute("value", "1")
    half = pages // 2
    for number in range(1, half + 1):
        answer_page(page, number, answers)
        expect(page).to_have_url(re.compile(rf"/diagnosis/take/{number + 1}$"))

    # ...leaves, and comes back through the overview's resume link.
    page.goto("/providers")
    page.goto("/diagnosis/")
    page.click("#resume-link")
    expect(page).to_have_url(re.compile(rf"/diagnosis/take/{half + 1}$"))
    for number in range(half + 1, pages + 1):
        answer_page(page, number, answers)

    expect(page).to_have_url(re.compile(r"/diagnosis/\d+$"))
    expect(page.locator("svg#radar[role=img]")).to_be_visible()
    expect(page.locator("svg#radar polygon.radar-score")).to_have_count(1)
    expect(page.locator("#scores-table tbody tr")).to_have_count(pages)
    expect(page.locator("#needs > li.need").first).to_be_visible()
