"""The app on a real loopback port, in a thread (for peers and browsers that need a socket)."""

from __future__ import annotations

import threading
import time

import uvicorn

from ossbss import bootstrap
from ossbss.app import create_app
from ossbss.lab.peers import free_port


class ServedApp:
    def __init__(self, platform: bootstrap.Platform) -> None:
        self.port = free_port(kind=1)
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_app(platform=platform, run_dispatcher=False),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def __enter__(self) -> ServedApp:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
