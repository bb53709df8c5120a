"""What the composition root plugs into charging: the subscriber lookup, the pricer, and
settings. One process-wide instance (the routes are built before requests arrive)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ossbss.charging import domain
from ossbss.charging.ports import NoDirectory, Pricer, SubscriberDirectory
from ossbss.charging.tariff_pricer import TariffPricer


@dataclass(frozen=True)
class Wiring:
    directory: SubscriberDirectory = field(default_factory=NoDirectory)
    pricer: Pricer = field(default_factory=TariffPricer)
    rating_groups: dict[int, str] = field(
        default_factory=lambda: dict(domain.DEFAULT_RATING_GROUPS)
    )
    # A prepaid money bucket below this many minor units raises LowBalance.
    low_balance_minor: int = 500
    # The longest a grant is valid before the network must report (3GPP validityTime).
    validity_seconds: int = 3600


_current = [Wiring()]


def wiring() -> Wiring:
    return _current[0]


def configure(**changes: object) -> Wiring:
    """Replace parts of the wiring (bootstrap at start; tests with a dict directory).
    Returns the previous wiring so a test can put it back."""
    previous = _current[0]
    _current[0] = replace(previous, **changes)  # type: ignore[arg-type]
    return previous


def restore(previous: Wiring) -> None:
    _current[0] = previous
