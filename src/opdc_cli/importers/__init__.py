"""Bringing an existing archive into opdc: one reader per source kind (wordpress,
feed, jsonl/json, csv) turning its source into items, and `plan` deciding and
writing the articles."""

from __future__ import annotations

KINDS = ("wordpress", "feed", "jsonl", "json", "csv")
