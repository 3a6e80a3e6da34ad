"""The sync engine: one run of one vendor integration, from the vendor's API to the database."""

from .engine import AlreadyRunning, SyncNotPossible, confirm_review, dismiss_review, review_is_open, run_sync

__all__ = ["AlreadyRunning", "SyncNotPossible", "confirm_review", "dismiss_review", "review_is_open", "run_sync"]
