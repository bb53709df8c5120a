"""Bank statement import: each credit line of a CSV statement is matched by its reference (a
bill number -> that bill's account, paid first; a billing account id -> that account) and
recorded as a bank-transfer payment; what matches nothing, or is in another currency than
the account, or was imported before, is held in suspense for review. A line is never
applied twice, also across re-imports of the same file."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ossbss import account, billing
from ossbss.kernel.errors import InvalidInput
from ossbss.kernel.money import Money, UnknownCurrency, check_currency, minor_unit_exponent
from ossbss.kernel.time import parse_datetime
from ossbss.payment.gateway import BANK_TRANSFER, PaymentGateway
from ossbss.payment.models import BankStatementLine, table
from ossbss.payment.service import DONE, HELD, PaymentRequest, record_payments

BILL_NUMBER = re.compile(r"\bINV-[0-9A-Za-z-]+\b")


@dataclass(frozen=True, slots=True)
class StatementMapping:
    """Which CSV column holds what (the header names of the bank's export)."""

    date: str = "date"
    amount: str = "amount"
    currency: str = "currency"
    reference: str = "reference"
    payer_name: str = "payer_name"
    bank_transaction_id: str = "bank_transaction_id"
    delimiter: str = ","


@dataclass(frozen=True, slots=True)
class StatementLine:
    line_no: int
    booked_at: datetime
    amount: Money
    reference: str
    payer_name: str | None
    bank_transaction_id: str | None
    line_hash: str

    def raw(self) -> dict[str, str | int | None]:
        return {
            "line": self.line_no,
            "date": self.booked_at.isoformat(),
            "amount": str(self.amount.to_decimal()),
            "currency": self.amount.currency,
            "reference": self.reference,
            "payerName": self.payer_name,
            "bankTransactionId": self.bank_transaction_id,
        }


@dataclass
class StatementReport:
    lines: int = 0
    applied: int = 0
    held: int = 0
    duplicates: int = 0
    ignored: int = 0  # debits: money going out is not a payment
    rejected: list[tuple[int, str]] = field(default_factory=list)  # unreadable lines
    held_lines: list[tuple[int, str]] = field(default_factory=list)
    applied_minor: Counter[str] = field(default_factory=Counter)  # currency -> amount

    def add(self, other: StatementReport) -> None:
        self.lines += other.lines
        self.applied += other.applied
        self.held += other.held
        self.duplicates += other.duplicates
        self.ignored += other.ignored
        self.rejected += other.rejected
        self.held_lines += other.held_lines
        self.applied_minor.update(other.applied_minor)


def parse_statement(
    text: str, *, mapping: StatementMapping = StatementMapping()
) -> tuple[list[StatementLine], StatementReport]:
    """The statement's lines; unreadable lines and debits are counted in the report. The
    hash of a line counts its identical predecessors in the file, so two equal payments on
    one statement are two lines, and the same file read again gives the same hashes."""
    reader = csv.DictReader(io.StringIO(text), delimiter=mapping.delimiter)
    missing = [
        column
        for column in (mapping.date, mapping.amount, mapping.currency, mapping.reference)
        if column not in (reader.fieldnames or [])
    ]
    if missing:
        raise InvalidInput("Missing statement columns", field="header", detail=", ".join(missing))
    report = StatementReport()
    lines: list[StatementLine] = []
    seen: Counter[str] = Counter()
    for line_no, row in enumerate(reader, start=2):
        report.lines += 1
        try:
            booked_at, amount = _read(row, mapping)
        except ValueError as exc:
            report.rejected.append((line_no, str(exc)))
            continue
        if amount.minor <= 0:
            report.ignored += 1
            continue
        reference = (row.get(mapping.reference) or "").strip()
        payer = (row.get(mapping.payer_name) or "").strip() or None
        bank_id = (row.get(mapping.bank_transaction_id) or "").strip() or None
        content = "|".join(
            [
                booked_at.isoformat(),
                str(amount.minor),
                amount.currency,
                reference,
                payer or "",
                bank_id or "",
            ]
        )
        seen[content] += 1
        digest = hashlib.sha256(f"{content}|{seen[content]}".encode()).hexdigest()
        lines.append(StatementLine(line_no, booked_at, amount, reference, payer, bank_id, digest))
    return lines, report


def _read(row: dict[str, str], mapping: StatementMapping) -> tuple[datetime, Money]:
    try:
        booked_at = parse_datetime((row.get(mapping.date) or "").strip())
    except ValueError:
        raise ValueError(f"unreadable date {row.get(mapping.date)!r}") from None
    currency = (row.get(mapping.currency) or "").strip().upper()
    try:
        check_currency(currency)
    except UnknownCurrency:
        raise ValueError(f"unknown currency {currency!r}") from None
    text = (row.get(mapping.amount) or "").strip().replace(" ", "")
    try:
        minor = Decimal(text).scaleb(minor_unit_exponent(currency))
    except InvalidOperation:
        raise ValueError(f"unreadable amount {text!r}") from None
    if not minor.is_finite() or minor != minor.to_integral_value():
        raise ValueError(f"amount {text!r} has too many decimals for {currency}")
    return booked_at, Money(currency, int(minor))


def import_lines(
    session: Session,
    *,
    lines: Sequence[StatementLine],
    file_name: str,
    now: datetime,
    gateway: PaymentGateway,
) -> StatementReport:
    """Record a batch of statement lines as payments, in a few bulk queries (the caller's
    transaction; the CLI commits every few hundred lines)."""
    report = StatementReport()
    known_hashes, known_bank_ids = _imported(session, lines)
    accounts = _matching_accounts(session, lines)
    requests: list[PaymentRequest] = []
    fresh: list[StatementLine] = []
    for line in lines:
        duplicate = line.line_hash in known_hashes or (
            line.bank_transaction_id is not None and line.bank_transaction_id in known_bank_ids
        )
        if duplicate:
            report.duplicates += 1
            why = "duplicate bank line: already imported" + (
                f" (bank transaction {line.bank_transaction_id})"
                if line.bank_transaction_id
                else ""
            )
            requests.append(_request(line, _match(line, accounts)[0], (), why, external=False))
            continue
        known_hashes.add(line.line_hash)
        if line.bank_transaction_id:
            known_bank_ids.add(line.bank_transaction_id)
        fresh.append(line)
        matched, bills = _match(line, accounts)
        reason = None if matched else f"no bill or billing account matches {line.reference!r}"
        requests.append(_request(line, matched, bills, reason, external=True))
    recorded = record_payments(session, requests=requests, now=now, gateway=gateway)
    payment_of: dict[str | None, str] = {}
    for request, result in zip(requests, recorded, strict=True):
        line_no = int(request.raw["line"]) if request.raw else 0
        if result.status == DONE and not result.duplicate:
            report.applied += 1
            report.applied_minor[request.amount.currency] += request.amount.minor
        elif result.status == HELD:
            report.held += 1
            report.held_lines.append((line_no, result.reason or "held"))
        payment_of[request.external_id] = result.payment_id
    if fresh:
        session.execute(
            insert(table(BankStatementLine)),
            [
                {
                    "line_hash": line.line_hash,
                    "bank_transaction_id": line.bank_transaction_id,
                    "payment_id": payment_of.get(_external_id(line)),
                    "file_name": file_name[:255],
                    "imported_at": now,
                }
                for line in fresh
            ],
        )
    return report


def import_statement(
    session: Session,
    *,
    text: str,
    file_name: str,
    now: datetime,
    gateway: PaymentGateway,
    mapping: StatementMapping = StatementMapping(),
) -> StatementReport:
    """Parse and import a whole statement in the caller's transaction."""
    lines, report = parse_statement(text, mapping=mapping)
    report.add(import_lines(session, lines=lines, file_name=file_name, now=now, gateway=gateway))
    return report


def read_statement(path: Path) -> str:
    return path.read_text(encoding="utf-8-sig")


def chunks(lines: Sequence[StatementLine], size: int) -> Iterator[Sequence[StatementLine]]:
    for start in range(0, len(lines), size):
        yield lines[start : start + size]


def _external_id(line: StatementLine) -> str:
    """The payment's idempotency key: the bank's transaction id, else the line's hash."""
    return (
        f"bank:{line.bank_transaction_id}" if line.bank_transaction_id else f"line:{line.line_hash}"
    )


def _request(
    line: StatementLine,
    account_id: str | None,
    bills: tuple[tuple[str, int | None], ...],
    hold_reason: str | None,
    *,
    external: bool,
) -> PaymentRequest:
    return PaymentRequest(
        billing_account_id=account_id,
        amount=line.amount,
        method=BANK_TRANSFER,
        received_at=line.booked_at,
        reference=line.reference or None,
        external_id=_external_id(line) if external else None,
        source="csv",
        payer_name=line.payer_name,
        bills=bills,
        hold_reason=hold_reason,
        raw=line.raw(),
    )


def _imported(session: Session, lines: Sequence[StatementLine]) -> tuple[set[str], set[str]]:
    hashes = [line.line_hash for line in lines]
    bank_ids = [line.bank_transaction_id for line in lines if line.bank_transaction_id]
    known_hashes: set[str] = set()
    known_ids: set[str] = set()
    for start in range(0, len(hashes), 500):
        known_hashes.update(
            session.scalars(
                select(BankStatementLine.line_hash).where(
                    BankStatementLine.line_hash.in_(hashes[start : start + 500])
                )
            )
        )
    for start in range(0, len(bank_ids), 500):
        known_ids.update(
            str(found)
            for found in session.scalars(
                select(BankStatementLine.bank_transaction_id).where(
                    BankStatementLine.bank_transaction_id.in_(bank_ids[start : start + 500])
                )
            )
        )
    return known_hashes, known_ids


@dataclass(frozen=True, slots=True)
class _Accounts:
    by_bill_no: dict[str, str]  # bill number -> its account
    existing: set[str]  # billing account ids named in references


def _tokens(reference: str) -> Iterable[str]:
    return (token.strip(".,;:") for token in reference.split())


def _matching_accounts(session: Session, lines: Sequence[StatementLine]) -> _Accounts:
    by_bill_no: dict[str, str] = {}
    for bill_no in {m for line in lines for m in BILL_NUMBER.findall(line.reference)}:
        bill = billing.find_bill(session, bill_no=bill_no)
        if bill is not None:
            by_bill_no[bill_no] = bill.billing_account_id
    candidates = sorted({token for line in lines for token in _tokens(line.reference) if token})
    existing = set(account.billing_terms(session, account_ids=candidates))
    return _Accounts(by_bill_no, existing)


def _match(
    line: StatementLine, accounts: _Accounts
) -> tuple[str | None, tuple[tuple[str, int | None], ...]]:
    """A bill number names its account, and that bill is paid first; else a billing
    account id in the reference names the account."""
    for bill_no in BILL_NUMBER.findall(line.reference):
        if bill_no in accounts.by_bill_no:
            return accounts.by_bill_no[bill_no], ((bill_no, None),)
    for token in _tokens(line.reference):
        if token in accounts.existing:
            return token, ()
    return None, ()
