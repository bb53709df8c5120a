"""Invoice PDF rendering: N invoices of ~10 lines on three products (the template the bills
use, WeasyPrint), timed in this process on one core, then through the process pool the
background renderer uses. Prints invoices/s per core (CPU time, so other load on the machine
counts less) and, measured in the same run:

- the floor: WeasyPrint rendering a one-line HTML page the same number of times (the fixed cost
  of a WeasyPrint document: fonts, subsetting, PDF writing);
- the template alone: Jinja2 producing our HTML without any PDF.

The ratio ours/floor says how much the invoice's layout costs on top of what any PDF costs.

    .venv/bin/python bench/invoice_pdf.py --invoices 200 --lines 10
    .venv/bin/python bench/invoice_pdf.py --invoices 200 --processes 2
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from dataclasses import replace

from ossbss.billing.documents import render_html, render_pdf, render_pool
from ossbss.billing.documents.render import _fonts
from ossbss.billing.documents.sample import sample_view
from ossbss.billing.documents.view import InvoiceView

TARGET_PER_CORE = 20.0


def views(count: int, lines: int) -> list[InvoiceView]:
    base = sample_view(lines=lines)
    return [
        replace(
            base,
            reference=f"INV-2026-{n:06d}",
            bill=replace(base.bill, bill_no=f"INV-2026-{n:06d}", id=f"bill-{n}"),
            recipient=replace(base.recipient, customer_name=f"Customer {n}"),
        )
        for n in range(count)
    ]


def timed(work: Callable[[], object]) -> tuple[float, float]:
    """(CPU seconds of this process, wall seconds)."""
    cpu, wall = time.process_time(), time.perf_counter()
    work()
    return time.process_time() - cpu, time.perf_counter() - wall


def floor_page() -> bytes:
    from weasyprint import HTML

    pdf: bytes = HTML(string="<p>Invoice INV-2026-000001 €1.00</p>").write_pdf(font_config=_fonts())
    return pdf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=100)
    parser.add_argument("--lines", type=int, default=10, help="lines per invoice")
    parser.add_argument(
        "--processes", type=int, default=0, help="pool size (0: one per core; -1: skip the pool)"
    )
    args = parser.parse_args()
    batch = views(args.invoices, args.lines)
    render_pdf(batch[0])  # warm: fonts, stylesheets, template
    floor_page()

    sizes: list[int] = []
    ours_cpu, ours_wall = timed(lambda: sizes.extend(len(render_pdf(v)) for v in batch))
    floor_cpu, _ = timed(lambda: [floor_page() for _ in batch])
    html_cpu, _ = timed(lambda: [render_html(v) for v in batch])

    n = len(batch)
    per_core = n / ours_cpu
    print(f"{n} invoices x {args.lines} lines, one process:")
    print(
        f"  ours     {per_core:7.1f} invoices/s per core  ({ours_cpu / n * 1000:6.1f} ms CPU, "
        f"{ours_wall / n * 1000:6.1f} ms wall each; {sum(sizes) / n / 1024:.1f} KiB)"
    )
    print(f"  floor    {n / floor_cpu:7.1f} one-line pages/s  ({floor_cpu / n * 1000:6.1f} ms CPU)")
    print(f"  template {n / html_cpu:7.1f} HTML pages/s      ({html_cpu / n * 1000:6.1f} ms CPU)")
    print(
        f"  ratio ours/floor: {ours_cpu / floor_cpu:.1f}x; template share {html_cpu / ours_cpu:.1%}"
    )
    verdict = "meets" if per_core >= TARGET_PER_CORE else "misses"
    print(f"  target >= {TARGET_PER_CORE:.0f} invoices/s per core: {verdict}")

    if args.processes >= 0:
        count = args.processes or os.cpu_count() or 1
        with render_pool(count) as pool:
            list(pool.map(render_pdf, batch[:count], chunksize=1))  # start and warm the workers
            start = time.perf_counter()
            list(pool.map(render_pdf, batch, chunksize=max(1, n // (4 * count))))
            wall = time.perf_counter() - start
        print(
            f"pool of {count}: {n / wall:.1f} invoices/s ({n / wall / count:.1f} per process, "
            f"wall clock; {os.cpu_count()} cores, shared with whatever else runs)"
        )


if __name__ == "__main__":
    main()
