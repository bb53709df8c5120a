"""usage: TMF635 usage records: collectors (RADIUS accounting, CDR files), de-duplication,
subscriber resolution and suspense, normalisation."""

from ossbss.usage.api import router

__all__ = ["router"]
