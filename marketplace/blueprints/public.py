"""Pages anyone can see: home, provider directory and profiles, offer pages, "am I eligible?",
language switch."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import MapAdapter, RequestRedirect
from werkzeug.wrappers import Response

from marketplace import clock
from marketplace.accounts.models import Provider
from marketplace.billing.eligibility import check_eligibility, visitor_company
from marketplace.blueprints.auth import safe_next
from marketplace.blueprints.eligibility_forms import EligibilityForm, answered
from marketplace.blueprints.forms import options
from marketplace.blueprints.helpers import page_number
from marketplace.blueprints.offer_forms import (
    UnpublishForm,
    delivery_mode_label,
    hidden_because,
    offer_status_label,
    pricing_unit_label,
    vat_rate_text,
)
from marketplace.blueprints.quoting import (
    QuantityForm,
    offer_price,
    offer_prices,
    split_explanation,
)
from marketplace.catalog.indexing import indexable, visible_offers
from marketplace.catalog.models import Offer
from marketplace.directory import listed_providers
from marketplace.extensions import db
from marketplace.reviews.operations import rating_of, visible_reviews

bp = Blueprint("public", __name__)
# Offer labels for every audience's pages (a provider's list, an offer page, a profile).
bp.add_app_template_filter(offer_status_label, "offer_status")
bp.add_app_template_filter(pricing_unit_label, "pricing_unit")
bp.add_app_template_filter(delivery_mode_label, "delivery_mode")
bp.add_app_template_filter(vat_rate_text, "vat_rate")
bp.add_app_template_filter(split_explanation, "split_explanation")

PER_PAGE = 20
EXAMPLE_OFFERS = 8  # offers the eligibility page proposes for an example split


@bp.get("/")
def home() -> str:
    """Public: what the platform does, in four steps."""
    return render_template("public/home.html")


@bp.post("/language")
def set_language() -> Response:
    """Public: switch between French and English (saved on the account when logged in)."""
    locale = request.form.get("locale", "fr")
    if locale not in ("fr", "en"):
        abort(400)
    session["locale"] = locale
    if current_user.is_authenticated:
        current_user.locale = locale
        db.session.commit()
    return redirect(page_to_show_again(safe_next(request.form.get("next"))))


def page_to_show_again(target: str | None) -> str:
    """`target` if a browser can GET it, else the nearest parent path that can, else home.

    The switch sits on every page, including one rendered by a refused POST (a form shown
    again with its errors, at a URL such as /bookings/3/accept that only takes POST): sending
    the visitor back there would be a 405.
    """
    if target is None:
        return url_for("public.home")
    original = path = target.partition("?")[0]
    adapter = current_app.url_map.bind("localhost")
    while path not in ("", "/"):
        found = _takes_get(adapter, path)
        if found or (found is None and path == original):
            # A page; or the visitor's own link, whose 404 is the honest answer.
            return target if path == original else path
        path = path.rstrip("/").rsplit("/", 1)[0]
    return url_for("public.home")


def _takes_get(adapter: MapAdapter, path: str) -> bool | None:
    """True: a page; False: a URL that only takes other methods; None: no such URL."""
    try:
        adapter.match(path, method="GET")
    except RequestRedirect:  # e.g. a trailing slash to add: the browser follows it
        return True
    except MethodNotAllowed:
        return False
    except NotFound:
        return None
    return True


@bp.get("/providers")
def providers() -> str:
    """Public: labelled providers and volunteer advisors, filtered by region, category, kind."""
    region = request.args.get("region") or None
    category = request.args.get("category") or None
    kind = request.args.get("kind") or None
    q = (request.args.get("q") or "").strip()[:100] or None
    page = db.paginate(
        listed_providers(clock.today(), region, category, kind, q),
        page=page_number(),
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template(
        "public/providers.html",
        page=page,
        filters={"region": region, "category": category, "kind": kind, "q": q},
    )


@bp.get("/providers/<int:provider_id>")
def provider_profile(provider_id: int) -> str:
    """Public for labelled providers; the provider itself and admins see any."""
    provider = db.session.get(Provider, provider_id) or abort(404)
    is_own = current_user.is_authenticated and (
        current_user.is_admin or (current_user.provider and current_user.provider.id == provider.id)
    )
    if not provider.has_active_label and not is_own:
        abort(404)
    offers = published_offers_of(provider)
    prices = offer_prices(db.session(), offers, clock.today())
    return render_template(
        "public/provider.html",
        provider=provider,
        is_own=is_own,
        offers=offers,
        prices=prices,
        rating=rating_of(db.session(), provider_id=provider.id),
        reviews=db.session.scalars(
            visible_reviews(provider_id=provider.id).limit(LATEST_REVIEWS)
        ).all(),
    )


def published_offers_of(provider: Provider) -> list[Offer]:
    """What the provider's public profile lists: its offers the public may see."""
    query = visible_offers(clock.today()).where(Offer.provider_id == provider.id)
    return list(db.session.scalars(query.options(selectinload(Offer.regions))))


def _may_preview(offer: Offer) -> bool:
    if not current_user.is_authenticated:
        return False
    return current_user.is_admin or (
        current_user.provider is not None and current_user.provider.id == offer.provider_id
    )


LATEST_REVIEWS = 10


def render_offer(
    offer: Offer, form: UnpublishForm | None = None, quantity_form: QuantityForm | None = None
) -> str:
    """The offer page with its price as the reader lives it (a per-unit offer at the quantity
    asked); admins' unpublish form comes back with its errors after a refusal."""
    today = clock.today()
    visible = indexable(offer, today)
    if quantity_form is None and offer.is_per_unit:
        quantity_form = QuantityForm(formdata=None)
    quantity = quantity_form.chosen() if quantity_form is not None else 1
    return render_template(
        "offers/detail.html",
        offer=offer,
        visible=visible,
        hidden_reason=hidden_because(offer, today),
        price_view=offer_price(db.session(), offer, today, quantity),
        quantity_form=quantity_form,
        unpublish_form=form or UnpublishForm(),
        rating=rating_of(db.session(), offer_id=offer.id),
        reviews=db.session.scalars(visible_reviews(offer_id=offer.id).limit(LATEST_REVIEWS)).all(),
    )


@bp.get("/offers/<int:offer_id>")
def offer_page(offer_id: int) -> tuple[str, int] | str:
    """Public: a published offer of a labelled provider; its owner and admins preview any.

    A per-unit offer (per day, hour…) is quoted for `?quantity=` units (1 to 999).
    """
    offer = db.session.get(Offer, offer_id) or abort(404)
    if not indexable(offer, clock.today()) and not _may_preview(offer):
        abort(404)
    if not offer.is_per_unit:
        return render_offer(offer)  # a fixed price is for one: any quantity asked is ignored
    form = QuantityForm(formdata=request.args)
    valid = form.validate()
    page = render_offer(offer, quantity_form=form)
    return page if valid else (page, 400)


@bp.get("/aides/eligibilite")
def eligibility() -> tuple[str, int] | str:
    """Public: "am I eligible?" without an account: the subsidy programmes open to a
    company of this size in this department today, and an example split on an offer."""
    today = clock.today()
    form = EligibilityForm(formdata=request.args)
    examples = list(
        db.session.scalars(
            visible_offers(today).where(Offer.price_excl_vat_cents > 0).limit(EXAMPLE_OFFERS)
        )
    )
    wanted = request.args.get("offer", "")
    if wanted.isascii() and wanted.isdigit() and all(str(o.id) != wanted for o in examples):
        chosen = db.session.get(Offer, int(wanted[:10]))
        if chosen is not None and indexable(chosen, today) and not chosen.is_free:
            examples.insert(0, chosen)
    form.offer.choices = options([("", "—"), *((str(o.id), o.title) for o in examples)])
    answer = None
    if answered(request.args):
        if not form.validate():
            return render_template("public/eligibility.html", form=form, answer=None), 400
        company = visitor_company(form.size_band.data, form.department.data)
        offer = next((o for o in examples if str(o.id) == form.offer.data), None)
        answer = check_eligibility(db.session(), company, today, offer)
    return render_template(
        "public/eligibility.html",
        form=form,
        answer=answer,
        offer=next((o for o in examples if str(o.id) == (form.offer.data or "")), None),
    )
