"""The label flow through the pages: provider applies, admin decides, provider sees it."""

from __future__ import annotations

import re
from datetime import date, timedelta

from babel.dates import format_date
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from marketplace.audit import AuditEvent
from marketplace.extensions import db
from marketplace.labels.models import Label, LabelStatus
from marketplace.mail import OutboundEmail
from tests.factories import admin_user, approved_label, login, pending_label, provider_user


def application_form(**overrides: object) -> dict[str, object]:
    year = date.today().year
    data: dict[str, object] = {
        "categories": ["online-presence", "marketing"],
        "similar_projects_turnover": "45000.50",
        "certifications": "Google Partner",
        "sworn_statement": "y",
    }
    for i in range(3):
        data[f"references-{i}-client_name"] = f"Fromagerie {i}"
        data[f"references-{i}-description"] = "Refonte du site et référencement local"
        data[f"references-{i}-year"] = str(year - i)
    data.update(overrides)
    return data


def make_users(app: Flask) -> tuple[str, str]:
    with app.app_context():
        provider, admin = provider_user(db.session), admin_user(db.session)
        db.session.commit()
        return provider.email, admin.email


def test_provider_applies_and_admin_approves(app: Flask, client: FlaskClient) -> None:
    provider_email, admin_email = make_users(app)
    login(client, provider_email)
    page = client.get("/provider/").get_data(as_text=True)
    assert "/provider/label/apply" in page
    response = client.post("/provider/label/apply", data=application_form())
    assert response.status_code == 302
    with app.app_context():
        label = db.session.scalars(select(Label)).one()
        assert label.similar_projects_turnover_cents == 4_500_050
        assert label.category_codes == ["online-presence", "marketing"]
        label_id = label.id
    client.post("/logout")

    login(client, admin_email)
    queue = client.get("/admin/labels").get_data(as_text=True)
    assert f"/admin/labels/{label_id}" in queue
    decision = {"decision": "approve", "reason": "Références vérifiées", "confirm": "y"}
    assert client.post(f"/admin/labels/{label_id}", data=decision).status_code == 302
    client.post("/logout")

    login(client, provider_email)
    page = client.get("/provider/").get_data(as_text=True)
    assert "Références vérifiées" in page
    with app.app_context():
        label = db.session.get(Label, label_id)
        assert label is not None and label.is_active and label.valid_until
        mail = db.session.scalars(
            select(OutboundEmail).where(OutboundEmail.recipient == provider_email)
        ).all()[-1]
        # Plain French: no "de" before a vowel, the date written out.
        assert "Statut du label pour Atelier Numérique : approuvé" in mail.body
        assert format_date(label.valid_until, "long", locale="fr") in mail.body
        assert label.valid_until.isoformat() not in mail.body


def test_incomplete_application_keeps_input_and_stores_nothing(
    app: Flask, client: FlaskClient
) -> None:
    """Does a missing reference and no sworn statement show errors and keep what was typed?"""
    provider_email, _ = make_users(app)
    login(client, provider_email)
    data = application_form(sworn_statement="")
    data["references-2-client_name"] = ""
    data["references-2-description"] = ""
    data["references-2-year"] = ""
    response = client.post("/provider/label/apply", data=data)
    page = response.get_data(as_text=True)
    assert 'id="sworn_statement-error"' in page
    assert "Fromagerie 1" in page and "Google Partner" in page
    with app.app_context():
        assert db.session.scalars(select(Label)).all() == []


def test_suspended_provider_cannot_apply_again(app: Flask, client: FlaskClient) -> None:
    """Does a suspended provider get told that only an administrator can lift the suspension?"""
    with app.app_context():
        provider, admin = provider_user(db.session), admin_user(db.session)
        label_id = approved_label(db.session, provider, admin).id
        provider_email, admin_email = provider.email, admin.email
        db.session.commit()
    login(client, admin_email)
    decision = {"decision": "suspend", "reason": "Plainte client", "confirm": "y"}
    assert client.post(f"/admin/labels/{label_id}", data=decision).status_code == 302
    client.post("/logout")

    login(client, provider_email)
    assert "/provider/label/apply" not in client.get("/provider/").get_data(as_text=True)
    response = client.post("/provider/label/apply", data=application_form(), follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.request.path == "/provider/"
    assert "Votre label est suspendu\u00a0: un administrateur doit le rétablir." in page
    with app.app_context():
        assert [label.id for label in db.session.scalars(select(Label))] == [label_id]
        assert db.session.get(Label, label_id).status == LabelStatus.SUSPENDED


def test_decision_needs_confirmation_and_reason(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        provider, admin = provider_user(db.session), admin_user(db.session)
        label_id = pending_label(db.session, provider).id
        admin_email = admin.email
        db.session.commit()
    login(client, admin_email)
    response = client.post(f"/admin/labels/{label_id}", data={"decision": "reject", "reason": ""})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="reason-error"' in page and 'id="confirm-error"' in page
    with app.app_context():
        assert db.session.get(Label, label_id).status == LabelStatus.PENDING
        assert (
            db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == "label.rejected")
            ).all()
            == []
        )


def test_decision_history_is_shown_to_the_provider_and_in_the_audit_trail(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        provider, admin = provider_user(db.session), admin_user(db.session)
        label_id = pending_label(db.session, provider).id
        admin_email, provider_email = admin.email, provider.email
        db.session.commit()
    login(client, admin_email)
    client.post(
        f"/admin/labels/{label_id}",
        data={"decision": "reject", "reason": "Références invérifiables", "confirm": "y"},
    )
    audit = client.get("/admin/audit").get_data(as_text=True)
    assert "label.rejected" in audit and "Références invérifiables" in audit
    # Read as a sentence, the label a link to its page, the reason named in French.
    assert "Label refusé" in audit
    assert f'<a href="/admin/labels/{label_id}">Label n° {label_id}</a>' in audit
    assert "Motif : Références invérifiables" in audit
    outbox = client.get("/admin/outbox").get_data(as_text=True)
    assert provider_email in outbox
    client.post("/logout")
    login(client, provider_email)
    assert "Références invérifiables" in client.get("/provider/").get_data(as_text=True)


def test_directory_lists_only_live_labels(app: Flask, client: FlaskClient) -> None:
    """Does the public directory hide pending, suspended and lapsed providers?"""
    from marketplace.labels.operations import Decision, decide_on_label
    from marketplace.mail import LogMailer

    with app.app_context():
        admin = admin_user(db.session)
        live = provider_user(db.session, name="Live Digital")
        waiting = provider_user(db.session, name="Waiting Web")
        lapsed = provider_user(db.session, name="Lapsed Labs")
        decide_on_label(
            db.session,
            admin,
            pending_label(db.session, live),
            Decision.APPROVE,
            "Dossier complet",
            LogMailer(),
            date.today(),
        )
        pending_label(db.session, waiting)
        old = pending_label(db.session, lapsed)
        decide_on_label(
            db.session,
            admin,
            old,
            Decision.APPROVE,
            "Dossier complet",
            LogMailer(),
            date.today() - timedelta(days=400),
            valid_until=date.today() - timedelta(days=1),
        )
        ids = {"live": live.provider.id, "waiting": waiting.provider.id}
        db.session.commit()
    page = client.get("/providers").get_data(as_text=True)
    assert "Live Digital" in page
    assert "Waiting Web" not in page and "Lapsed Labs" not in page
    assert client.get(f"/providers/{ids['live']}").status_code == 200
    assert client.get(f"/providers/{ids['waiting']}").status_code == 404


def _required_marks(page: str, name: str) -> bool:
    """Is the field's label (or legend) followed by the required asterisk?"""
    label = re.search(
        rf'(<label for="{re.escape(name)}"[^>]*>.*?</label>)(\s*<span class="required")?',
        page,
        re.S,
    )
    assert label, name
    return label.group(2) is not None


def test_the_application_marks_what_an_expert_and_a_volunteer_must_give(app: Flask) -> None:
    """The page says "fields marked * are required": each such field has its asterisk, and a
    volunteer's references and turnover, optional for them, have none."""
    with app.app_context():
        expert = provider_user(db.session)
        volunteer = provider_user(db.session, kind="volunteer", name="Entraide Clic")
        db.session.commit()
        emails = expert.email, volunteer.email
    pages = {}
    for email in emails:
        client = app.test_client()
        assert login(client, email).status_code == 302
        pages[email] = client.get("/provider/label/apply").text
        dashboard = client.get("/provider/").text
        assert "Mon label</h2>" in dashboard and "sans label" not in dashboard
    expert_page, volunteer_page = pages[emails[0]], pages[emails[1]]
    for name in ("similar_projects_turnover", "references-0-client_name", "references-2-year"):
        assert _required_marks(expert_page, name), name
        assert not _required_marks(volunteer_page, name), name
    for page in (expert_page, volunteer_page):
        assert _required_marks(page, "sworn_statement")
        assert re.search(r'<legend>Catégories couvertes\s*<span class="required"', page)
        assert not _required_marks(page, "certifications")


def test_the_error_summary_names_the_references_in_french(app: Flask) -> None:
    provider, _admin = make_users(app)
    client = app.test_client()
    assert login(client, provider).status_code == 302
    page = client.post(
        "/provider/label/apply",
        data=application_form(
            **{f"references-{i}-client_name": "" for i in range(3)}
            | {f"references-{i}-description": "" for i in range(3)}
            | {f"references-{i}-year": "" for i in range(3)}
        ),
    ).text
    summary = page.split('class="error-summary"')[1].split("</div>")[0]
    assert "Références clients" in summary and "References" not in summary
