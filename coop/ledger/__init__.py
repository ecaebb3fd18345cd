"""积分账本: the points ledger, double-entry and append-only. Other features call ``service``."""
