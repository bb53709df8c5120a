"""The ceiling: a bare FastAPI app that returns canned JSON, served like ossbss (one uvicorn
worker). Whatever ossbss reaches is compared with what this reaches in the same run."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request

samples = json.loads(Path(sys.argv[1]).read_text())
app = FastAPI()


@app.get("/list")
def list_items() -> Any:
    return samples["list"]


@app.get("/item/{item_id}")
def get_item(item_id: str) -> Any:
    return samples["item"]


@app.post("/item", status_code=201)
async def create_item(request: Request) -> Any:
    await request.body()
    return samples["item"]


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
