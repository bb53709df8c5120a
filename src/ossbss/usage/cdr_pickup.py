"""CDR files picked up from a directory: every ``*.csv`` that appears is imported once
(``import_file`` records each file's hash with its records, so a copy or a rename of a file
already taken counts nothing, and a file cut short by a crash resumes). Runs as a thread beside
``serve`` or ``worker`` (``OSSBSS_USAGE_CDR_DIR``) and behind ``ossbss usage watch``."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from ossbss.usage.cdr import FileReport, pending_files

log = logging.getLogger(__name__)

Importer = Callable[[Path], FileReport]


class CdrPickup:
    def __init__(
        self,
        directory: Path,
        importer: Importer,
        *,
        interval: float = 5.0,
        on_file: Callable[[FileReport], None] | None = None,
    ) -> None:
        self.directory = directory
        self._import = importer
        self._interval = interval
        self._on_file = on_file
        # (path, mtime) already handled: a file is looked at again only when it changes.
        self._seen: set[tuple[str, float]] = set()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cdr-pickup", daemon=True)

    def scan(self) -> list[FileReport]:
        """Import what is new in the directory now; a file that fails is logged and tried
        again once it changes (the others go on)."""
        reports = []
        for path in pending_files(self.directory):
            stamp = (str(path), path.stat().st_mtime)
            if stamp in self._seen:
                continue
            self._seen.add(stamp)
            try:
                report = self._import(path)
            except Exception:
                log.exception("CDR file %s could not be imported", path)
                continue
            reports.append(report)
            if self._on_file is not None:
                self._on_file(report)
        return reports

    def start(self) -> CdrPickup:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            self.scan()
            if self._stopping.wait(self._interval):
                return
