"""account: TMF666 billing accounts, party accounts, bill cycles, payment methods, credit limits."""

from ossbss.account.api import router
from ossbss.account.domain import BillCycle, billing_period
from ossbss.account.ledger import (
    CASH,
    RECEIVABLE,
    REFUND_DUE,
    REVENUE,
    TAX,
    WRITE_OFF,
    LedgerLine,
    Posting,
    Transaction,
    account_balance,
    account_balances,
    ledger_entries,
    post_transaction,
    post_transactions,
)
from ossbss.account.resources import (
    ACCOUNT_API,
    BILLING_ACCOUNT,
    BILLING_CYCLE_SPECIFICATION,
    PARTY_ACCOUNT,
    RESOURCES,
)
from ossbss.account.service import (
    BillingTerms,
    bill_cycle_for,
    billing_account_ids_on_cycle,
    billing_account_ids_owned_by,
    billing_account_is_active,
    billing_countries,
    billing_terms,
    credit_limit,
    get_billing_account,
)

__all__ = [
    "ACCOUNT_API",
    "BILLING_ACCOUNT",
    "BILLING_CYCLE_SPECIFICATION",
    "CASH",
    "PARTY_ACCOUNT",
    "RECEIVABLE",
    "REFUND_DUE",
    "RESOURCES",
    "REVENUE",
    "TAX",
    "WRITE_OFF",
    "BillCycle",
    "BillingTerms",
    "LedgerLine",
    "Posting",
    "Transaction",
    "account_balance",
    "account_balances",
    "bill_cycle_for",
    "billing_account_ids_on_cycle",
    "billing_account_ids_owned_by",
    "billing_account_is_active",
    "billing_countries",
    "billing_period",
    "billing_terms",
    "credit_limit",
    "get_billing_account",
    "ledger_entries",
    "post_transaction",
    "post_transactions",
    "router",
]

# A stored billingCycleSpecification as the BillCycle read model (billing's desk lists cycles).
from ossbss.account.domain import bill_cycle

__all__ += ["bill_cycle"]
