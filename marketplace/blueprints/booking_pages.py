"""What the booking pages of every audience share: forms, labels, firing a transition."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, current_app, flash, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import FileStorage
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    MultipleFileField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from marketplace import clock
from marketplace.auth import current_actor
from marketplace.billing.invoices import invoice_terms
from marketplace.billing.split import Split, split_as_dict
from marketplace.blueprints.forms import SafeForm, apply_service_errors, options
from marketplace.blueprints.helpers import page_number
from marketplace.blueprints.offer_forms import (
    EuroField,
    cents_to_euros,
    euro_amount,
    euros_to_cents,
)
from marketplace.bookings.evidence import MAX_FILE_BYTES, MAX_FILES, EvidenceStore, Upload
from marketplace.bookings.lifecycle import Party, State, TransitionName
from marketplace.bookings.models import Booking, BookingEvent
from marketplace.bookings.operations import (
    MAX_QUANTITY,
    MESSAGE_MAX,
    REASON_MAX,
    REASON_MIN,
    QuoteData,
    RequestData,
    TransitionInput,
    TransitionNotAllowed,
    bookings_of,
    fire,
    parties_of,
    post_message,
    waiting_for,
)
from marketplace.bookings.wording import WAITING_LABELS, state_label, transition_label
from marketplace.errors import Conflict, ValidationFailed
from marketplace.extensions import db

# Service field names → form field names, so the services' errors show in place.
QUOTE_ALIASES = {"unit_price_cents": "unit_price"}
AID_ALIASES = {"amount_cents": "amount"}
# A delivery's body: every evidence file at its largest, plus the note and the multipart framing.
DELIVERY_MAX_BYTES = MAX_FILES * MAX_FILE_BYTES + 1024 * 1024
PER_PAGE = 20


# --- Labels ---------------------------------------------------------------------------------


def event_label(event: BookingEvent) -> str:
    """A history line's title: the request, or the transition fired."""
    if event.transition == "request":
        return _("Request")
    return transition_label(event.transition)


def waiting_label(booking: Booking) -> str:
    """Whom the booking waits for, as the reader sees it ("your turn" when it is theirs)."""
    party = waiting_for(booking)
    if party is None:
        return ""
    if current_user.is_authenticated and party in parties_of(current_user, booking) - {Party.ADMIN}:
        return _("Your turn")
    return str(WAITING_LABELS[party])


def state_choices() -> list[tuple[str, str]]:
    return [(state.value, state_label(state)) for state in State]


def split_view(split: Split | dict[str, Any]) -> dict[str, Any]:
    """One shape for a live split and a frozen one (an agreement's), with the lines' words in
    the reader's language: `subsidised` lines pay, `others` say why they do not."""
    data: dict[str, Any] = split_as_dict(split) if isinstance(split, Split) else split
    locale = get_locale()
    key = "explanation_en" if locale is not None and locale.language == "en" else "explanation_fr"
    lines = [{**line, "explanation": line[key]} for line in data["lines"]]
    return {
        **data,
        "subsidised": [line for line in lines if line["amount_cents"] > 0],
        "others": [line for line in lines if line["amount_cents"] == 0],
    }


def state_filter() -> State | None:
    """`?state=` of a dashboard: a known state, or every state."""
    raw = request.args.get("state", "")
    return State(raw) if raw in {s.value for s in State} else None


# --- Firing a transition from a page --------------------------------------------------------


def evidence_store() -> EvidenceStore:
    return current_app.extensions["evidence_store"]


def fire_from_page(booking: Booking, name: str, given: TransitionInput | None = None) -> str | None:
    """Fire the transition and commit; None when done, else why not (the state moved meanwhile).

    Field errors (`ValidationFailed`) and a moved split (`SplitChanged`) reach the caller after
    the rollback, to show them in the form.
    """
    try:
        fire(
            db.session(),
            current_actor(),
            booking,
            name,
            current_app.extensions["mailer"],
            clock.today(),
            given,
            evidence_store=evidence_store(),
            terms=invoice_terms(current_app.config),
        )
    except TransitionNotAllowed as error:
        db.session.rollback()
        return error.message
    except StaleDataError:  # someone else moved it between our read and our write
        db.session.rollback()
        return _("This booking changed meanwhile: here it is as it stands now.")
    except (ValidationFailed, Conflict):
        db.session.rollback()
        raise
    db.session.commit()
    return None


def render_booking_list(template: str, other_party: Any) -> str:
    """The caller's bookings filtered by `?state=`, a page of them, with the other party's
    name loaded along (`other_party`: Booking.company or Booking.provider)."""
    state = state_filter()
    query = bookings_of(current_actor(), state).options(
        selectinload(Booking.offer), selectinload(other_party)
    )
    page = db.paginate(query, page=page_number(), per_page=PER_PAGE, error_out=False)
    return render_template(
        template, page=page, state=state.value if state else "", state_choices=state_choices()
    )


def send_message_from_page(booking: Booking, form: MessageForm) -> bool:
    """Post the form's message in the booking's thread and commit; False: errors on the form."""
    if not form.validate_on_submit():
        return False
    try:
        post_message(
            db.session(),
            current_actor(),
            booking,
            form.body.data or "",
            current_app.extensions["mailer"],
        )
    except ValidationFailed as error:
        db.session.rollback()
        apply_service_errors(form, error)
        return False
    db.session.commit()
    flash(_("Message sent."), "success")
    return True


def add_booking_filters(bp: Blueprint) -> None:
    """The labels and helpers booking templates use (each booking blueprint adds them)."""
    bp.add_app_template_filter(state_label, "booking_state")
    bp.add_app_template_filter(event_label, "booking_event")
    bp.add_app_template_filter(waiting_label, "booking_waiting")
    bp.add_app_template_global(split_view)


# --- Forms ----------------------------------------------------------------------------------


class RequestForm(SafeForm):
    quantity = IntegerField(
        _l("Quantity"),
        validators=[InputRequired(), NumberRange(min=1, max=MAX_QUANTITY)],
        default=1,
        render_kw={"inputmode": "numeric", "min": 1, "max": MAX_QUANTITY},
    )
    wished_start = DateField(_l("Wished start"), validators=[Optional()])
    wished_end = DateField(_l("Wished end"), validators=[Optional()])
    message = TextAreaField(
        _l("Message to the provider"),
        validators=[Optional(), Length(max=MESSAGE_MAX)],
        description=_l("Your project, your constraints, your questions."),
    )

    def to_data(self, per_unit: bool) -> RequestData:
        return RequestData(
            quantity=(self.quantity.data or 1) if per_unit else 1,
            wished_start=self.wished_start.data,
            wished_end=self.wished_end.data,
            message=self.message.data or "",
        )


class QuoteForm(SafeForm):
    quantity = IntegerField(
        _l("Quantity"),
        validators=[InputRequired(), NumberRange(min=1, max=MAX_QUANTITY)],
        render_kw={"inputmode": "numeric", "min": 1, "max": MAX_QUANTITY},
    )
    unit_price = EuroField(
        _l("Unit price excl. VAT (EUR)"),
        validators=[InputRequired(), euro_amount],
        render_kw={"inputmode": "decimal"},
    )
    start = DateField(_l("Start"), validators=[Optional()])
    end = DateField(_l("End"), validators=[Optional()])
    note = TextAreaField(
        _l("Note to the company"),
        validators=[Optional(), Length(max=MESSAGE_MAX)],
        description=_l("What the quote includes, the steps, what you need from the company."),
    )

    def fill(self, booking: Booking) -> None:
        """The current quote, or else the request at the offer's price."""
        self.quantity.data = booking.quote_quantity or booking.quantity
        cents = booking.quote_unit_price_cents
        self.unit_price.data = cents_to_euros(
            booking.offer.price_excl_vat_cents if cents is None else cents
        )
        self.start.data = booking.quote_start or booking.wished_start
        self.end.data = booking.quote_end or booking.wished_end
        self.note.data = booking.quote_note

    def to_data(self) -> QuoteData:
        return QuoteData(
            quantity=self.quantity.data or 0,
            unit_price_cents=euros_to_cents(self.unit_price.data or Decimal(0)),
            start=self.start.data,
            end=self.end.data,
            note=self.note.data or "",
        )


class ReasonForm(SafeForm):
    reason = TextAreaField(
        _l("Reason (shown to the other party)"),
        validators=[DataRequired(), Length(min=REASON_MIN, max=REASON_MAX)],
    )


class CancelForm(SafeForm):
    """Before the agreement a cancellation needs no reason; after it, the service asks one."""

    reason = TextAreaField(
        _l("Reason (shown to the other party)"),
        validators=[Optional(), Length(max=REASON_MAX)],
    )


class AcceptForm(SafeForm):
    # The company share the page showed: the service refuses if the split moved since.
    expected_company_share_cents = HiddenField(validators=[DataRequired()])

    def expected(self) -> int | None:
        raw = self.expected_company_share_cents.data or ""
        return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else None


class DeliveryForm(SafeForm):
    delivery_note = TextAreaField(
        _l("What was delivered"),
        validators=[Optional(), Length(max=MESSAGE_MAX)],
    )
    evidence = MultipleFileField(
        _l("Evidence files"),
        description=_l(
            "PDF, PNG or JPEG; up to %(count)d files of %(size)d MB each.",
            count=MAX_FILES,
            size=MAX_FILE_BYTES // (1024 * 1024),
        ),
        render_kw={"accept": ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"},
    )

    def uploads(self) -> list[Upload]:
        """The files sent (a browser sends one empty part when none is chosen)."""
        files: list[FileStorage] = [
            f for f in (self.evidence.data or []) if isinstance(f, FileStorage) and f.filename
        ]
        return [Upload(f.filename or "", f.read(MAX_FILE_BYTES + 1)) for f in files]


class MessageForm(SafeForm):
    body = TextAreaField(_l("Your message"), validators=[DataRequired(), Length(max=MESSAGE_MAX)])


class SettleForm(SafeForm):
    outcome = RadioField(
        _l("Decision"),
        validators=[InputRequired()],
        choices=options(
            [
                (TransitionName.SETTLE_FOR_PROVIDER.value, _l("For the provider: delivery stands")),
                (
                    TransitionName.SETTLE_FOR_COMPANY.value,
                    _l("For the company: the booking is cancelled, subsidies released"),
                ),
            ]
        ),
    )
    reason = TextAreaField(
        _l("Reason (sent to both parties)"),
        validators=[DataRequired(), Length(min=REASON_MIN, max=REASON_MAX)],
    )


class DeclareAidForm(SafeForm):
    granted_on = DateField(_l("Date granted"), validators=[InputRequired()])
    amount = EuroField(
        _l("Amount (EUR)"),
        validators=[InputRequired(), euro_amount],
        description=_l("The gross grant equivalent written on the funder's decision."),
        render_kw={"inputmode": "decimal"},
    )
    funder = StringField(
        _l("Granted by"),
        validators=[DataRequired(), Length(max=160)],
        description=_l("For example: Région Bretagne, Bpifrance."),
    )

    def amount_cents(self) -> int | None:
        return None if self.amount.data is None else euros_to_cents(self.amount.data)
