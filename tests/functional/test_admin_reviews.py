"""The admins' review list: every review, newest first, and the views that find abuse."""

from __future__ import annotations

from flask import Flask

from marketplace.extensions import db
from marketplace.reviews.operations import hide_review, write_review
from tests.billing_scenario import Scenario, closed_scenario
from tests.factories import login


def test_admins_list_reviews_and_find_the_low_and_hidden_ones(app: Flask) -> None:
    with app.app_context():
        glad = closed_scenario(db.session())
        upset = Scenario(db.session(), with_programmes=False)  # glad's programmes apply
        upset.national, upset.regional = glad.national, glad.regional
        closed_scenario(db.session(), upset)
        db.session.commit()
        admin_email, company_email = glad.admin.email, glad.company.email
        client = app.test_client()
        assert login(client, admin_email).status_code == 302
        empty = client.get("/admin/reviews/").text
        assert "Aucun avis pour l'instant" in empty
        write_review(db.session(), glad.company, glad.booking, 5, "Parfait, équipe réactive.")
        low = write_review(db.session(), upset.company, upset.booking, 1, "Arnaque totale !")
        db.session.commit()
        upset_booking = upset.booking.id

        page = client.get("/admin/reviews/").text
        assert page.index("Arnaque totale") < page.index("Parfait, équipe réactive.")  # newest
        assert f'href="/admin/bookings/{upset_booking}#review"' in page
        assert "Tous les avis</a> (2)" in page and "Notés 1 ou 2 sur 5</a> (1)" in page
        lows = client.get("/admin/reviews/?show=low").text
        assert "Arnaque totale" in lows and "Parfait" not in lows
        assert "Aucun avis dans cette liste." in client.get("/admin/reviews/?show=hidden").text

        hide_review(db.session(), glad.admin, low.id, "Accusation sans fondement.")
        db.session.commit()
        hidden = client.get("/admin/reviews/?show=hidden").text
        assert "Arnaque totale" in hidden and "Accusation sans fondement." in hidden
        assert "Arnaque" not in client.get("/admin/reviews/?show=visible").text
        assert "Parfait" in client.get("/admin/reviews/?show=nonsense").text  # all of them

    company = app.test_client()
    assert login(company, company_email).status_code == 302
    assert company.get("/admin/reviews/").status_code == 403
