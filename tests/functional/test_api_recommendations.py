"""GET /api/v1/diagnoses/{id}/recommendations: what the pages recommend per need, as JSON."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from marketplace.catalog.indexing import CatalogueLoader
from marketplace.catalog.operations import create_offer, publish_offer
from marketplace.diagnosis.models import Diagnosis
from marketplace.extensions import db
from marketplace.resources import sync_resources
from marketplace.search.backend import SearchError
from marketplace.search.sync import process_outbox
from tests.factories import admin_user, approved_label, login, provider_user
from tests.functional.test_api_diagnosis import bearer, make_user
from tests.functional.test_api_openapi import openapi
from tests.functional.test_diagnosis_pages import make_company, submitted
from tests.unit.test_catalog_operations import offer_input

PATH = "/api/v1/diagnoses/{diagnosis_id}/recommendations"
TODAY = date.today()


def url(diagnosis_id: int) -> str:
    return PATH.format(diagnosis_id=diagnosis_id)


def resource(slug: str, title: str, level: str, need: str) -> dict[str, Any]:
    return {
        "slug": slug,
        "kind": "guide",
        "level": level,
        "title": title,
        "summary": "Pour commencer.",
        "publisher": "France Num",
        "url": f"https://www.francenum.gouv.fr/{slug}",
        "needs": [need],
    }


@pytest.fixture
def scene(app: Flask) -> dict[str, Any]:
    """A Lyon company's worst-case diagnosis; guides, volunteers and indexed offers for its
    first two needs, some of them out of reach (Breton on-site, an expert, too many)."""
    email = make_company(app, department="69")
    diagnosis_id = submitted(app, email, "worst")
    with app.app_context():
        first, second = db.session.get(Diagnosis, diagnosis_id).need_codes[:2]
        sync_resources(
            db.session,
            [
                resource("avance", "Aller plus loin", "advanced", first),
                resource("zebre", "Zèbre : les bases", "beginner", first),
                resource("moyen", "Étape suivante", "intermediate", first),
                resource("outils", "Outils & méthodes d'artisans", "beginner", first),
                resource("second", "Guide du second besoin", "beginner", second),
            ],
        )
        admin = admin_user(db.session)
        for name, department, remote_ok in [
            ("Conseil Lyonnais", "69", True),
            ("Bénévole à distance", "35", True),
            ("Bénévole breton", "35", False),
        ]:
            volunteer = provider_user(
                db.session, kind="volunteer", name=name, department=department
            )
            volunteer.provider.remote_ok = remote_ok
            approved_label(db.session, volunteer, admin, (first,))
        lyon = provider_user(db.session, name="Agence Lyon", department="69", regions=("84",))
        approved_label(db.session, lyon, admin, (first, second))
        breton = provider_user(db.session, name="Agence Breizh", regions=("53",))
        approved_label(db.session, breton, admin, (first,))
        on_site = {"category": first, "needs": [first], "delivery_mode": "on_site"}
        specs = [
            (lyon, offer_input(title=f"Offre locale n°{n}", regions=["84"], **on_site))
            for n in range(1, 5)
        ]
        specs += [
            (
                lyon,
                offer_input(
                    title="Offre à distance",
                    category=second,
                    needs=[second, first],
                    delivery_mode="remote",
                    regions=[],
                ),
            ),
            (breton, offer_input(title="Offre bretonne", regions=["53"], **on_site)),
        ]
        for user, data in specs:
            offer = create_offer(db.session, user, user.provider, data)
            publish_offer(db.session, user, offer, TODAY)
        db.session.commit()
        process_outbox(db.session(), app.extensions["search"], TODAY, loader=CatalogueLoader())
        db.session.commit()
    return {"email": email, "diagnosis_id": diagnosis_id, "needs": (first, second)}


# --- What the pages show -------------------------------------------------------------------


def result_page(client: FlaskClient, diagnosis_id: int) -> tuple[str, list[dict[str, Any]]]:
    """The page's language and, per need in page order: its code, priority, reasons, guides
    (url, title) and advisors (id, name)."""
    page = client.get(f"/diagnosis/{diagnosis_id}").get_data(as_text=True)
    language = re.search(r'<html lang="(\w+)"', page).group(1)
    needs_list = page.split('<ol class="needs" id="needs">')[1].split("</ol>\n")[0]
    needs = []
    for code, body in re.findall(
        r'<li class="need" id="need-([\w-]+)">(.*?)</li>\n\s*(?=<li class="need"|$)',
        needs_list,
        re.S,
    ):
        reasons = body.split('<ul class="reasons">')[1].split("</ul>")[0]
        guides = re.search(r'<ul class="resource-list">(.*?)</ul>', body, re.S)
        advisors = re.search(r'<ul class="advisor-list">(.*?)</ul>', body, re.S)
        needs.append(
            {
                "need": code,
                "priority": re.search(r'class="badge priority-(\w+)"', body).group(1),
                "reasons": [html.unescape(r) for r in re.findall(r"<li>(.*?)</li>", reasons)],
                "resources": [
                    (html.unescape(href), html.unescape(title))
                    for href, title in re.findall(
                        r'<a href="([^"]+)" rel="noopener">([^<]*)</a>',
                        guides.group(1) if guides else "",
                    )
                ],
                "advisors": [
                    (int(pid), html.unescape(name))
                    for pid, name in re.findall(
                        r'<a href="/providers/(\d+)">([^<]*)</a>',
                        advisors.group(1) if advisors else "",
                    )
                ],
            }
        )
    return language, needs


def recommended_page(client: FlaskClient) -> list[dict[str, Any]]:
    """Per need section of "recommended for you", in order: offers (id, title) and the count
    of its "see all" link (None without one)."""
    page = client.get("/recommended").get_data(as_text=True)
    sections = re.findall(r'<section class="panel"[^>]*>(.*?)</section>', page, re.S)
    groups = []
    for section in sections:
        see_all = re.search(r'<a href="/search\?need=[^"]*&amp;region=[^"]*">[^<]*?(\d+)', section)
        groups.append(
            {
                "offers": [
                    (int(oid), html.unescape(title))
                    for oid, title in re.findall(
                        r'<h3><a href="/offers/(\d+)">([^<]*)</a></h3>', section
                    )
                ],
                "see_all": int(see_all.group(1)) if see_all else None,
            }
        )
    return groups


def test_the_api_recommends_what_the_pages_show(
    app: Flask, client: FlaskClient, scene: dict[str, Any]
) -> None:
    """Per need and in the same order: are the guides and advisors those of the result page,
    and the offers (and their "see all" count) those of the "recommended for you" page?"""
    response = app.test_client().get(
        url(scene["diagnosis_id"]), headers=bearer(client, scene["email"])
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    login(client, scene["email"])
    language, page_needs = result_page(client, scene["diagnosis_id"])
    groups = recommended_page(client)

    assert body["diagnosis_id"] == scene["diagnosis_id"]
    assert [n["need"] for n in body["needs"]] == [n["need"] for n in page_needs]
    assert len(groups) == len(body["needs"])
    for need, shown, group in zip(body["needs"], page_needs, groups, strict=True):
        assert need["priority"] == shown["priority"]
        assert [r["text"][language] for r in need["reasons"]] == shown["reasons"]
        assert [(r["url"], r["title"]) for r in need["resources"]] == shown["resources"]
        assert [(a["id"], a["name"]) for a in need["advisors"]] == shown["advisors"]
        assert [(o["id"], o["title"]) for o in need["offers"]] == group["offers"]
        if group["see_all"] is None:
            assert need["offers_total"] == len(need["offers"])
        else:
            assert need["offers_total"] == group["see_all"] > len(need["offers"])

    # Not a comparison of two empty lists: the scene's rules show through.
    first, second = body["needs"][0], body["needs"][1]
    assert [r["title"] for r in first["resources"]] == [
        "Outils & méthodes d'artisans",
        "Zèbre : les bases",
        "Étape suivante",
    ]
    assert [a["name"] for a in first["advisors"]] == ["Conseil Lyonnais", "Bénévole à distance"]
    assert len(first["offers"]) == 3 and first["offers_total"] == 5  # four local, one remote
    assert all(o["title"].startswith("Offre locale") for o in first["offers"])
    assert [o["title"] for o in second["offers"]] == ["Offre à distance"]
    offer = second["offers"][0]
    assert offer["provider"]["name"] == "Agence Lyon" and offer["provider"]["kind"] == "expert"
    assert offer["price_excl_vat_cents"] == 240_000 and offer["delivery_mode"] == "remote"
    published = datetime.fromisoformat(offer["published_at"])
    assert abs(datetime.now(UTC) - published) < timedelta(hours=1)  # an aware instant, just now


def test_a_diagnosis_without_needs_recommends_nothing_without_searching(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    email = make_company(app)
    diagnosis_id = submitted(app, email, "best")
    with app.app_context():
        needs = db.session.get(Diagnosis, diagnosis_id).needs
    if needs:
        pytest.skip("the best answers still raise a need")
    monkeypatch.setattr(app.extensions["search"], "multi_search", _failing_search)
    response = client.get(url(diagnosis_id), headers=bearer(client, email))
    assert response.status_code == 200
    assert response.get_json() == {"diagnosis_id": diagnosis_id, "needs": []}


def _failing_search(queries: object) -> object:
    raise SearchError("search engine down")


def test_search_failure_is_a_json_503(
    app: Flask, client: FlaskClient, scene: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app.extensions["search"], "multi_search", _failing_search)
    response = client.get(url(scene["diagnosis_id"]), headers=bearer(client, scene["email"]))
    assert response.status_code == 503
    assert response.get_json()["code"] == 503


# --- Who may call it -----------------------------------------------------------------------


def test_only_the_company_itself_may_read_its_recommendations(
    app: Flask, client: FlaskClient, scene: dict[str, Any]
) -> None:
    """Another company gets a 404 (as for the diagnosis), a provider a 403, anyone else 401."""
    target = url(scene["diagnosis_id"])
    assert client.get(target).status_code == 401
    assert client.get(target, headers=bearer(client, make_user(app))).status_code == 404
    provider = bearer(client, make_user(app, provider_user))
    assert client.get(target, headers=provider).status_code == 403
    own = bearer(client, scene["email"])
    assert client.get(url(scene["diagnosis_id"] + 1000), headers=own).status_code == 404


# --- The OpenAPI document says what the server returns ------------------------------------


def resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = doc
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


JSON_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def conforms(doc: dict[str, Any], schema: dict[str, Any], value: Any, where: str = "$") -> None:
    """Assert `value` fits the OpenAPI 3.1 schema: types, enums, required and no extra keys."""
    schema = resolve(doc, schema)
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else types
    if types:
        fits = any(
            isinstance(value, JSON_TYPES[t])
            and not (t in ("integer", "number") and isinstance(value, bool))
            for t in types
        )
        assert fits, f"{where}: {value!r} is not {types}"
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
    if isinstance(value, str) and schema.get("format") == "date-time":
        datetime.fromisoformat(value)
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        missing = set(schema.get("required", [])) - set(value)
        assert not missing, f"{where}: missing {missing}"
        if schema.get("additionalProperties") is False:
            assert set(value) <= set(properties), (
                f"{where}: undocumented {set(value) - set(properties)}"
            )
        for key, item in value.items():
            if key in properties:
                conforms(doc, properties[key], item, f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            conforms(doc, schema["items"], item, f"{where}[{index}]")


def strict(doc: dict[str, Any], schema: dict[str, Any], where: str) -> None:
    """Every property of every object reachable from `schema` is typed and required."""
    schema = resolve(doc, schema)
    if "items" in schema:
        strict(doc, schema["items"], f"{where}[]")
    properties = schema.get("properties", {})
    assert set(schema.get("required", [])) == set(properties), where
    for key, prop in properties.items():
        prop = resolve(doc, prop)
        assert "type" in prop, f"{where}.{key} has no type"
        strict(doc, prop, f"{where}.{key}")


def test_response_matches_the_openapi_document(
    app: Flask, client: FlaskClient, scene: dict[str, Any]
) -> None:
    """Is the operation documented with its answers, and does a real answer fit its schema
    exactly (every field typed and required, nothing undocumented)?"""
    doc = openapi(client)
    operation = doc["paths"][PATH]["get"]
    assert {"200", "401", "403", "404", "503"} <= set(operation["responses"])
    assert {"bearerAuth": []} in operation["security"]
    assert operation["summary"].startswith("Companies:")
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    strict(doc, schema, "$")

    headers = bearer(client, scene["email"])
    body = client.get(url(scene["diagnosis_id"]), headers=headers).get_json()
    assert body["needs"][0]["offers"] and body["needs"][0]["resources"]
    conforms(doc, schema, body)
    for status, response in [
        ("401", app.test_client().get(url(scene["diagnosis_id"]))),
        ("404", client.get(url(scene["diagnosis_id"] + 1000), headers=headers)),
    ]:
        error = resolve(doc, operation["responses"][status])
        conforms(doc, error["content"]["application/json"]["schema"], response.get_json())
