"""操作记录: the audit log read back, per community, in words (pages, export, API, 历史)."""
