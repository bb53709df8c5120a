"""Documents of issued bills rendered after a bill run, in the background: batches of bills
without a document are read, rendered (in a process pool when given one: WeasyPrint is
CPU-bound pure Python, so threads would not help) and stored, each batch committed. A bill that
fails to render is logged and skipped; the others go on. Restartable: what is stored is done."""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor

from ossbss.billing.documents.render import render_pdf
from ossbss.billing.documents.service import invoice_view, invoice_views
from ossbss.billing.documents.store import (
    bills_without_document,
    documents_present,
    get_document,
    store_document,
)
from ossbss.billing.documents.view import InvoiceView
from ossbss.kernel import Clock, Database

log = logging.getLogger(__name__)
BATCH = 64


def render_pool(processes: int = 0) -> ProcessPoolExecutor:
    """One rendering process per core (``processes`` 0), started from a clean fork server:
    forking a process that runs threads (the API, the dispatcher) is unsafe."""
    count = processes or os.cpu_count() or 1
    return ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("forkserver"))


def _render_safely(view: InvoiceView) -> bytes | str:
    """The PDF, or why it could not be rendered (exceptions may not pickle back)."""
    try:
        return render_pdf(view)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


def render_views(views: Sequence[InvoiceView], pool: Executor | None) -> list[bytes | str]:
    if pool is None:
        return [_render_safely(view) for view in views]
    chunk = max(1, len(views) // (4 * (os.cpu_count() or 1)))
    return list(pool.map(_render_safely, views, chunksize=chunk))


def render_pending(
    database: Database,
    *,
    clock: Clock,
    limit: int | None = None,
    run_id: str | None = None,
    cycle_id: str | None = None,
    pool: Executor | None = None,
    batch: int = BATCH,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Render and store the documents of issued bills that have none (of one run or cycle,
    if given; at most ``limit``). Returns how many were stored; ``on_batch`` hears how many
    bills each batch handled (a progress bar)."""
    stored, handled = 0, 0
    failed: list[str] = []
    while limit is None or handled < limit:
        size = batch if limit is None else min(batch, limit - handled)
        with database.unit_of_work(write=False) as session:
            ids = bills_without_document(
                session, limit=size, run_id=run_id, cycle_id=cycle_id, skip=failed
            )
            views = invoice_views(session, bill_ids=ids) if ids else []
        if not views:
            break
        results = render_views(views, pool)
        with database.unit_of_work() as session:
            # Another renderer (a second worker, a download) may have stored some meanwhile.
            present = documents_present(session, bill_ids=ids)
            now = clock.now()
            for view, result in zip(views, results, strict=True):
                if isinstance(result, str):
                    log.error("invoice %s could not be rendered: %s", view.reference, result)
                    failed.append(view.bill.id)
                elif view.bill.id not in present:
                    store_document(session, bill_id=view.bill.id, content=result, now=now)
                    stored += 1
        handled += len(views)
        if on_batch is not None:
            on_batch(len(views))
    return stored


def render_on_demand(
    database: Database, *, clock: Clock, bill_id: str, rerender: bool = False
) -> bytes:
    """The PDF of one bill (id or number) for a download: the kept one, else rendered outside
    any transaction (a SQLite writer would hold every other writer meanwhile) and kept when
    the bill is issued. A draft is rendered each time, with its watermark."""
    with database.unit_of_work(write=False) as session:
        view = invoice_view(session, bill_id=bill_id)
        stored = None if rerender else get_document(session, bill_id=view.bill.id)
    if stored is not None:
        return stored.content
    pdf = render_pdf(view)
    if not view.draft:
        with database.unit_of_work() as session:
            if rerender or get_document(session, bill_id=view.bill.id) is None:
                store_document(session, bill_id=view.bill.id, content=pdf, now=clock.now())
    return pdf


class DocumentRenderer:
    """A thread beside ``serve`` or ``worker`` that renders the documents of newly issued
    bills every ``interval`` seconds (or at once when woken, e.g. after an approval)."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        *,
        interval: float = 30.0,
        processes: int = 0,
    ) -> None:
        self._database = database
        self._clock = clock
        self._interval = interval
        self._processes = processes
        self._pool: ProcessPoolExecutor | None = None
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="invoice-documents", daemon=True)

    def start(self) -> DocumentRenderer:
        self._thread.start()
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout=60)
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def render_now(self) -> int:
        with self._database.unit_of_work(write=False) as session:
            if not bills_without_document(session, limit=1):
                return 0
        # The pool starts with the first work: an idle server keeps no rendering processes.
        if self._pool is None and self._processes != 1:
            self._pool = render_pool(self._processes)
        return render_pending(self._database, clock=self._clock, pool=self._pool)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                count = self.render_now()
                if count:
                    log.info("rendered %d invoice documents", count)
            except Exception:
                log.exception("invoice documents: a rendering pass failed")
            self._wake.wait(self._interval)
            self._wake.clear()
