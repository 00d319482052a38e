"""Registered-domain lookup with tldextract's bundled Public Suffix List snapshot (never the network)."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _extractor():
    import tldextract

    # suffix_list_urls=() and cache_dir=None: use only the snapshot shipped in the wheel, no HTTP, no cache.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@lru_cache(maxsize=4096)
def registered_domain(host: str) -> tuple[str, str]:
    """Return ``(registered_domain, public_suffix)`` for a host; empty strings when unknown."""
    parts = _extractor()(host)
    if not parts.suffix:
        return "", ""
    return (f"{parts.domain}.{parts.suffix}" if parts.domain else parts.suffix), parts.suffix
