"""Checks on how the app is deployed, run by the server before it takes requests."""


def rate_limit_storage_warning(config: type, workers: int) -> str | None:
    """A warning when rate limits are counted in memory by several worker processes.

    Each process keeps its own counts in memory://, so with 3 workers a "10 per minute" sign-in
    limit lets 30 attempts through. Shared storage (redis://…, docs/deploy.md) counts them once.
    """
    storage = config.RATELIMIT_STORAGE_URI
    if not config.RATELIMIT_ENABLED or not storage.startswith("memory://") or workers <= 1:
        return None
    return (
        f"Rate limits are kept in memory (RATELIMIT_STORAGE_URI={storage}) by {workers} "
        f"workers: each counts on its own, so every limit is {workers} times as loose. "
        "Set RATELIMIT_STORAGE_URI=redis://… to share them (docs/deploy.md)."
    )
