"""reporting: read-only revenue, MRR, ARPU, aging and collection figures, and revenue
assurance (usage received vs rated vs billed; products vs recurring charges billed)."""

__all__: list[str] = []
