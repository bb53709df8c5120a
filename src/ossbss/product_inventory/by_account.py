"""Products of a billing account, by status (collections acts on an account's products)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ossbss.product_inventory.models import Product
from ossbss.product_inventory.service import get_product
from ossbss.tmf import Document


def products_of_account(
    session: Session, *, billing_account_id: str, statuses: Iterable[str]
) -> list[Document]:
    """The account's products whose status is one of ``statuses``, oldest first."""
    query = (
        select(Product.id)
        .where(
            Product.billing_account_id == billing_account_id,
            Product.status.in_(list(statuses)),
        )
        .order_by(Product.pk)
    )
    return [get_product(session, product_id=product_id) for product_id in session.scalars(query)]
