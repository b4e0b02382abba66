"""The footer's pages: legal notice, personal data, accessibility statement, site map, contact."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

PAGES = [
    "/mentions-legales",
    "/donnees-personnelles",
    "/accessibilite",
    "/plan-du-site",
    "/contact",
]


def test_every_page_links_to_the_footer_pages(client: FlaskClient) -> None:
    footer = client.get("/").get_data(as_text=True).split('class="site-footer"')[1]
    assert all(f'href="{path}"' in footer for path in PAGES)


@pytest.mark.parametrize("path", PAGES)
def test_each_footer_page_answers_in_french_with_the_contact(
    client: FlaskClient, path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert re.search(r"<h1>[^<]+</h1>", text)
    if path != "/plan-du-site":
        assert "contact@croissance-connectee.fr" in text or path == "/mentions-legales"


def test_the_site_map_links_only_to_pages_that_exist(client: FlaskClient) -> None:
    text = client.get("/plan-du-site").get_data(as_text=True)
    main = text.split("<main", 1)[1].split("</main>", 1)[0]
    for href in re.findall(r'href="(/[^"#]*)"', main):
        assert client.get(href).status_code in (200, 302), href  # 302: log in first


def test_the_accessibility_statement_says_how_it_was_measured(client: FlaskClient) -> None:
    text = client.get("/accessibilite").get_data(as_text=True)
    assert "axe-core" in text and "375" in text
