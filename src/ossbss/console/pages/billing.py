"""PLACEHOLDER: its helper replaces this module."""

from __future__ import annotations

from fastapi import APIRouter

from ossbss.console.web import Web


def register(router: APIRouter, web: Web) -> None:
    del router, web
