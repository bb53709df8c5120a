"""The money ledger: every charge, payment, credit, refund and write-off is one balanced
double-entry transaction of append-only legs. An account's balance is derived from its
RECEIVABLE legs and nowhere else (ADR 0019)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from ossbss.account.models import LedgerEntry
from ossbss.kernel.errors import InvalidInput
from ossbss.kernel.ids import new_id
from ossbss.kernel.money import check_currency

# The ledgers (chart of accounts). RECEIVABLE is what a customer owes (negative: credit).
RECEIVABLE = "RECEIVABLE"
REVENUE = "REVENUE"
TAX = "TAX"
CASH = "CASH"
WRITE_OFF = "WRITE_OFF"
REFUND_DUE = "REFUND_DUE"
LEDGERS = frozenset({RECEIVABLE, REVENUE, TAX, CASH, WRITE_OFF, REFUND_DUE})
KINDS = frozenset({"charge", "payment", "credit", "refund", "writeOff", "adjustment"})


@dataclass(frozen=True, slots=True)
class Posting:
    """One leg: debit positive, credit negative, in minor units of the transaction's currency."""

    billing_account_id: str
    ledger: str
    amount_minor: int


@dataclass(frozen=True, slots=True)
class Transaction:
    kind: str
    currency: str
    postings: tuple[Posting, ...]
    reference_type: str
    reference_id: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class LedgerLine:
    """A ledger leg as other rooms read it."""

    transaction_id: str
    kind: str
    ledger: str
    currency: str
    amount_minor: int
    reference_type: str
    reference_id: str
    description: str
    posted_at: datetime


def check_transaction(transaction: Transaction) -> None:
    """A transaction is postable when its kind and ledgers are known, its amounts are integers
    and its legs balance to zero (the double-entry rule)."""
    if transaction.kind not in KINDS:
        raise InvalidInput("Invalid ledger transaction", field="kind", detail=transaction.kind)
    check_currency(transaction.currency)
    if len(transaction.postings) < 2:
        raise InvalidInput("Invalid ledger transaction", field="postings", detail="needs two legs")
    for leg in transaction.postings:
        if leg.ledger not in LEDGERS:
            raise InvalidInput("Invalid ledger transaction", field="ledger", detail=leg.ledger)
        if not isinstance(leg.amount_minor, int) or isinstance(leg.amount_minor, bool):
            raise InvalidInput(
                "Invalid ledger transaction", field="amount", detail="minor units, an integer"
            )
    if sum(leg.amount_minor for leg in transaction.postings) != 0:
        raise InvalidInput(
            "Unbalanced ledger transaction",
            field="postings",
            detail=f"{transaction.kind} {transaction.reference_id}: debits and credits differ",
        )


def post_transaction(
    session: Session,
    *,
    kind: str,
    currency: str,
    postings: Sequence[Posting],
    reference_type: str,
    reference_id: str,
    now: datetime,
    description: str = "",
) -> str:
    """Append one balanced transaction; its id."""
    transaction = Transaction(
        kind, currency, tuple(postings), reference_type, reference_id, description
    )
    return post_transactions(session, transactions=[transaction], now=now)[0]


def post_transactions(
    session: Session, *, transactions: Sequence[Transaction], now: datetime
) -> list[str]:
    """Append many transactions in one bulk INSERT (a bill run posts one per bill)."""
    rows: list[dict[str, object]] = []
    ids: list[str] = []
    for transaction in transactions:
        check_transaction(transaction)
        transaction_id = new_id()
        ids.append(transaction_id)
        rows.extend(
            {
                "transaction_id": transaction_id,
                "kind": transaction.kind,
                "billing_account_id": leg.billing_account_id,
                "ledger": leg.ledger,
                "currency": transaction.currency,
                "amount_minor": leg.amount_minor,
                "reference_type": transaction.reference_type,
                "reference_id": transaction.reference_id,
                "description": transaction.description[:255],
                "posted_at": now,
            }
            for leg in transaction.postings
        )
    if rows:
        session.execute(insert(LedgerEntry), rows)
    return ids


def account_balance(session: Session, *, billing_account_id: str) -> dict[str, int]:
    """What the customer owes per currency (negative: a credit in their favour)."""
    return account_balances(session, account_ids=[billing_account_id]).get(billing_account_id, {})


def account_balances(
    session: Session, *, account_ids: Sequence[str] | None = None
) -> dict[str, dict[str, int]]:
    """Balances of many accounts at once (None: every account with a ledger entry)."""
    query = (
        select(
            LedgerEntry.billing_account_id, LedgerEntry.currency, func.sum(LedgerEntry.amount_minor)
        )
        .where(LedgerEntry.ledger == RECEIVABLE)
        .group_by(LedgerEntry.billing_account_id, LedgerEntry.currency)
    )
    if account_ids is not None:
        query = query.where(LedgerEntry.billing_account_id.in_(list(account_ids)))
    balances: dict[str, dict[str, int]] = defaultdict(dict)
    for account_id, currency, total in session.execute(query):
        balances[account_id][currency] = int(total or 0)
    return dict(balances)


def ledger_entries(session: Session, *, billing_account_id: str) -> list[LedgerLine]:
    """The account's RECEIVABLE history, oldest first (what a statement of account shows)."""
    rows = session.scalars(
        select(LedgerEntry)
        .where(
            LedgerEntry.billing_account_id == billing_account_id,
            LedgerEntry.ledger == RECEIVABLE,
        )
        .order_by(LedgerEntry.pk)
    )
    return [
        LedgerLine(
            row.transaction_id,
            row.kind,
            row.ledger,
            row.currency,
            row.amount_minor,
            row.reference_type,
            row.reference_id,
            row.description,
            row.posted_at,
        )
        for row in rows
    ]
