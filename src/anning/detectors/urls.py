"""Links: shorteners, bare IP hosts, risky top-level domains, look-alikes of known platforms, and
links to a platform's official domain. Lists live in ``lexicons.yaml`` and ``platforms.yaml``."""

from __future__ import annotations

import re
from functools import lru_cache

from anning.detectors import Prepared
from anning.knowledge import Knowledge
from anning.model import Signal, Span


@lru_cache(maxsize=4)
def _official(k: Knowledge) -> tuple[frozenset[str], tuple[str, ...]]:
    domains = frozenset(d for p in k.platforms.values() for d in p.official_domains)
    tokens = {d.split(".")[0] for d in domains if len(d.split(".")[0]) >= 5}
    tokens |= {t for p in k.platforms.values() for t in p.url_tokens}
    return domains, tuple(sorted(tokens, key=len, reverse=True))


def detect(p: Prepared, k: Knowledge) -> list[Signal]:
    links = p.entities.get("urls") or []
    if not links:
        return []
    official, brand_tokens = _official(k)
    shorteners = set(k.lexicons["url_shorteners"])
    risky_tlds = set(k.lexicons["risky_tlds"])
    debt_words = set(k.lexicons["scam_domain_words"])
    signals: list[Signal] = []
    for u in links:
        span = (Span(u["span"][0], u["span"][1], u["text"]),)
        domain, host = u["domain"], u["host"]
        signals.append(Signal("URL_LINK", "urls", span, u["text"], {"domain": domain}))
        if domain in official:
            signals.append(Signal("URL_OFFICIAL_DOMAIN", "urls", span, domain))
            continue
        if domain in shorteners:
            signals.append(Signal("URL_SHORTENER", "urls", span, domain))
        if host.replace(".", "").isdigit():
            signals.append(Signal("URL_IP_HOST", "urls", span, host))
        if u.get("suffix") in risky_tlds:
            signals.append(Signal("URL_RISKY_TLD", "urls", span, u["suffix"]))
        path = u["text"].lower().split(host, 1)[-1]
        if any(w in path for w in ("apk", "/down", "download")):
            signals.append(Signal("URL_APP_DOWNLOAD", "urls", span, u["text"]))
        label = domain.split(".")[0]
        # the words of the registered name (not of a subdomain: "cl.tenpay.com" is Tencent's)
        if any(part in debt_words for part in re.split(r"[\-\d]+", domain.replace(".", "-")) if part):
            signals.append(Signal("URL_DEBT_WORDS", "urls", span, host))
        parts = [x for x in re.split(r"[\-\d]+", label) if x]
        for token in brand_tokens:
            if label != token and (token in parts or (len(token) >= 5 and token in label)):
                signals.append(Signal("URL_LOOKALIKE", "urls", span, domain, {"brand": token}))
                break
    return signals
