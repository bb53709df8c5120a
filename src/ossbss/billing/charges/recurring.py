"""Recurring, one-time and discount charges of one product over a bill period, pure (ADR 0017).

- in arrears: the bill for period P charges P as it happened, one line per stretch of time a
  price was active;
- in advance: the bill for P charges the next period at the state the product is in when P
  ends, and corrects P: what was charged in advance for P (the state when P began) against
  what P really was — a credit for the time it was not active, a pro-rata charge for a price
  that started within P. Over consecutive bills, corrections and advances add up to the
  in-arrears total plus the one period charged ahead;
- one-time prices bill on the bill whose period contains the product's first activation
  (periods do not overlap, so no two bills can both charge them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from ossbss.billing.charges import proration as p
from ossbss.billing.charges.lines import DISCOUNT, ONE_TIME, RECURRING
from ossbss.kernel.time import Period

IN_ADVANCE = "inAdvance"
IN_ARREARS = "inArrears"


@dataclass(frozen=True, slots=True)
class Price:
    """A price a product carries (its productPrice), with the catalog's billing timing."""

    key: str  # productOfferingPrice id and amount: one price, one stretch of lines
    name: str
    price_type: str  # recurring | oneTime
    amount_minor: Fraction  # per charge period (recurring) or once (oneTime)
    period_type: str | None = "month"
    timing: str = IN_ADVANCE
    offering_id: str | None = None  # the offering the product was when it had this price


@dataclass(frozen=True, slots=True)
class Segment:
    """The product over ``[start, end)``: active (charged) or not, with its prices then."""

    start: datetime
    end: datetime | None
    active: bool
    prices: tuple[Price, ...]

    def contains(self, instant: datetime) -> bool:
        return self.start <= instant and (self.end is None or instant < self.end)


@dataclass(frozen=True, slots=True)
class Draft:
    """A line before tax. ``share`` is how many of the price's charge periods it covers
    (negative for a credit): a fixed-amount discount is taken in the same share."""

    type: str
    description: str
    start: datetime
    end: datetime
    amount_minor: int
    share: Fraction = Fraction(0)
    offering_id: str | None = None


@dataclass(frozen=True, slots=True)
class Discount:
    name: str
    percentage: Fraction | None  # off each recurring line, or
    amount_minor: Fraction | None  # per charge period, prorated like the line
    valid_from: datetime | None = None
    valid_to: datetime | None = None

    def valid_at(self, instant: datetime) -> bool:
        return (self.valid_from is None or self.valid_from <= instant) and (
            self.valid_to is None or instant < self.valid_to
        )


@dataclass(frozen=True, slots=True)
class _Piece:
    start: datetime
    end: datetime
    price: Price


def full_charge(price: Price, period: Period) -> Fraction:
    return price.amount_minor * p.price_periods(period, price.period_type)


def recurring_drafts(segments: Sequence[Segment], period: Period) -> list[Draft]:
    """The recurring lines of one product (``segments`` in time order) for bill ``period``."""
    assert period.end is not None
    total = p.span(period)
    pieces = _active_pieces(segments, period)
    drafts: list[Draft] = []
    at_start = _state_at(segments, period.start)
    charged = {
        price.key: price
        for price in (at_start.prices if at_start and at_start.active else ())
        if price.price_type == RECURRING and price.timing == IN_ADVANCE
    }
    for key, price in charged.items():
        drafts.extend(_correction(price, pieces.get(key, []), period))
    for key, stretch in pieces.items():
        if key in charged:
            continue
        for piece in stretch:
            full = full_charge(piece.price, period)
            part = p.seconds(piece.start, piece.end)
            drafts.append(
                Draft(
                    type=RECURRING,
                    description=p.describe_part(piece.price.name, piece.start, piece.end, period),
                    start=piece.start,
                    end=piece.end,
                    amount_minor=p.prorate(full, part, total),
                    share=p.price_periods(period, piece.price.period_type) * Fraction(part, total),
                    offering_id=piece.price.offering_id,
                )
            )
    drafts.extend(_advance(segments, period))
    return drafts


def _correction(price: Price, stretch: list[_Piece], period: Period) -> list[Draft]:
    """The period was charged in advance as fully active at ``price``: credit what was not."""
    assert period.end is not None
    total = p.span(period)
    full = full_charge(price, period)
    active = sum(p.seconds(piece.start, piece.end) for piece in stretch)
    if active == total:
        return []
    actual = sum(p.prorate(full, p.seconds(pc.start, pc.end), total) for pc in stretch)
    amount = actual - p.round_minor(full)
    dates = p.date_range(period.start, period.end)
    return [
        Draft(
            type=RECURRING,
            description=f"{price.name}, {dates}: charged in advance for {p.day_count(total)} "
            f"days, active {p.day_count(active)} (credit for the rest)",
            start=period.start,
            end=period.end,
            amount_minor=amount,
            share=p.price_periods(period, price.period_type) * Fraction(active - total, total),
            offering_id=price.offering_id,
        )
    ]


def _advance(segments: Sequence[Segment], period: Period) -> list[Draft]:
    assert period.end is not None
    at_end = _state_at(segments, period.end)
    if at_end is None or not at_end.active:
        return []
    ahead = p.next_period(period)
    assert ahead.end is not None
    return [
        Draft(
            type=RECURRING,
            description=f"{price.name}, {p.date_range(ahead.start, ahead.end)} (in advance)",
            start=ahead.start,
            end=ahead.end,
            amount_minor=p.round_minor(full_charge(price, ahead)),
            share=p.price_periods(ahead, price.period_type),
            offering_id=price.offering_id,
        )
        for price in at_end.prices
        if price.price_type == RECURRING and price.timing == IN_ADVANCE
    ]


def arrears_drafts_only(segments: Sequence[Segment], period: Period) -> list[Draft]:
    """What P was, priced as it happened (every price taken as in arrears): the reference the
    in-advance lines add up to over consecutive bills."""
    assert period.end is not None
    total = p.span(period)
    return [
        Draft(
            type=RECURRING,
            description=p.describe_part(pc.price.name, pc.start, pc.end, period),
            start=pc.start,
            end=pc.end,
            amount_minor=p.prorate(
                full_charge(pc.price, period), p.seconds(pc.start, pc.end), total
            ),
        )
        for stretch in _active_pieces(segments, period).values()
        for pc in stretch
    ]


def _state_at(segments: Sequence[Segment], instant: datetime) -> Segment | None:
    return next((segment for segment in segments if segment.contains(instant)), None)


def _active_pieces(segments: Sequence[Segment], period: Period) -> dict[str, list[_Piece]]:
    """Per price, the stretches of ``period`` the product was active at it (touching
    stretches of the same price joined)."""
    assert period.end is not None
    pieces: dict[str, list[_Piece]] = {}
    for segment in segments:
        if not segment.active:
            continue
        start = max(segment.start, period.start)
        end = period.end if segment.end is None else min(segment.end, period.end)
        if start >= end:
            continue
        for price in segment.prices:
            if price.price_type != RECURRING:
                continue
            stretch = pieces.setdefault(price.key, [])
            if stretch and stretch[-1].end == start:
                stretch[-1] = _Piece(stretch[-1].start, end, price)
            else:
                stretch.append(_Piece(start, end, price))
    return pieces


def one_time_drafts(
    segments: Sequence[Segment], period: Period, activated_at: datetime | None, product_name: str
) -> list[Draft]:
    """One-time prices, on the bill whose period contains the first activation."""
    if activated_at is None or not period.contains(activated_at):
        return []
    segment = _state_at(segments, activated_at) or (segments[0] if segments else None)
    if segment is None:
        return []
    return [
        Draft(
            type=ONE_TIME,
            description=f"{price.name}, {product_name} (activated {activated_at:%-d %b %Y})",
            start=activated_at,
            end=activated_at,
            amount_minor=p.round_minor(price.amount_minor),
            offering_id=price.offering_id,
        )
        for price in segment.prices
        if price.price_type == ONE_TIME
    ]


def discount_drafts(drafts: Sequence[Draft], discounts: Sequence[Discount]) -> list[Draft]:
    """A negative line per recurring line and discount valid when the line's time starts."""
    result: list[Draft] = []
    for draft in drafts:
        if draft.type != RECURRING or draft.amount_minor == 0:
            continue
        for discount in discounts:
            if not discount.valid_at(draft.start):
                continue
            off = _discount_amount(draft, discount)
            if off:
                result.append(
                    Draft(
                        type=DISCOUNT,
                        description=f"{discount.name} on {draft.description}",
                        start=draft.start,
                        end=draft.end,
                        amount_minor=-off,
                        offering_id=draft.offering_id,
                    )
                )
    return result


def _discount_amount(draft: Draft, discount: Discount) -> int:
    if discount.percentage is not None:
        return p.round_minor(draft.amount_minor * discount.percentage / 100)
    assert discount.amount_minor is not None
    off = p.round_minor(discount.amount_minor * draft.share)
    # Never more than the line itself (a discount does not turn a charge into a credit).
    return max(-abs(draft.amount_minor), min(abs(draft.amount_minor), off))
