"""Entity extraction: amounts, dates and deadlines, overdue days, contract numbers, URLs, phone
numbers, bank cards and accounts, person names and platform signatures.

Pure functions over a ``NormalizedText``; every entity carries a span into the original text.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from anning.text.jit import DualPattern
from anning.text.normalize import NormalizedText

_CN_DIGITS = "零〇一二两三四五六七八九十百千万亿壹贰贰叁肆伍陆柒捌玖拾佰仟萬"
_CN_NUM = f"[{_CN_DIGITS}]+"
_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"

# Currencies as written (normalised: lower case, simplified) → ISO code; a bare "$" says no more than "dollars".
_CURRENCY = {"¥": "CNY", "￥": "CNY", "人民币": "CNY", "rmb": "CNY", "元": "CNY", "块": "CNY", "圆": "CNY",
             "hk$": "HKD", "hkd": "HKD", "港币": "HKD", "港元": "HKD", "nt$": "TWD", "ntd": "TWD", "twd": "TWD",
             "新台币": "TWD", "台币": "TWD", "mop": "MOP", "mop$": "MOP", "澳门币": "MOP", "澳门元": "MOP",
             "s$": "SGD", "sgd": "SGD", "新币": "SGD", "rm": "MYR", "myr": "MYR", "马币": "MYR", "令吉": "MYR",
             "us$": "USD", "usd": "USD", "美元": "USD", "$": None}
_CUR_WORD = "港币|港元|新台币|台币|澳门币|澳门元|新币|马币|令吉|美元"
_AMOUNT = DualPattern(re.compile(
    rf"(?:(?P<cur>(?<![a-z])(?:hk\$|hkd|nt\$|ntd|twd|mop\$?|s\$|sgd|rm|myr|us\$|usd)|[¥￥$]|人民币|rmb|{_CUR_WORD})"
    rf"\s*(?P<n1>{_NUM})(?P<u1>万|千|w|k)?(?:元|块|圆)?(?:整)?"
    rf"|(?<![\d,.])(?P<n2>{_NUM})\s*(?P<u2>万|千|百|w|k)?\s*(?P<sfx>元|块|圆|{_CUR_WORD})(?:整)?"
    rf"|(?:人民币)?(?P<n3>{_CN_NUM})(?P<sfx3>元|块|圆|{_CUR_WORD})(?:整)?"
    rf"|(?<![\d,.])(?P<n4>{_NUM})(?P<u4>万|千)(?=[^\d年月日天]|$))"
))
_MULT = {"万": 10_000, "w": 10_000, "千": 1_000, "k": 1_000, "百": 100}

_DATE = DualPattern(re.compile(
    r"(?:\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?|\d{1,2}月\d{1,2}[日号]|(?<!\d)\d{1,2}[日号](?=前|之前|\d|[上下中]午|晚|$))"
))
_TIME_WORD = rf"(?:\d{{1,2}}(?::\d{{2}})?|{_CN_NUM})\s*(?:点|时|:00)(?:\d{{1,2}}分|半|整)?"
_DEADLINE = DualPattern(re.compile(
    rf"(?:今日|今天|今晚|明日|明天|明早|后天|本日|当日|次日|即日|本周|本月|月底|周[一二三四五六日末])?"
    rf"(?:[上下中]午|早上|晚上|凌晨|傍晚)?"
    rf"(?:{_TIME_WORD}\s*(?:前|之前|以前)"
    rf"|(?:(?<!\d)\d+|{_CN_NUM})\s*(?:个)?(?:小时|分钟|天|日|个工作日)(?:内|之内|以内)"
    rf"|(?:今日|今天|当天|本日|明天|明日)内)"
))
_RELATIVE = re.compile(r"今日|今天|今晚|明日|明天|后天|即日起|立即|立刻|马上|尽快|限期")
_OVERDUE = DualPattern(re.compile(
    rf"(?:已|已经)?(?:逾期|超期|拖欠|欠款|违约逾期|超过还款日)(?:了)?\s*(?P<n>\d+|{_CN_NUM}|多)\s*(?:天|日)"
))
_CONTRACT = re.compile(
    r"(?P<label>合同编号|合同号|借款编号|借据号|贷款编号|订单编号|订单号|订单|案件编号|案号|编号)"
    r"\s*[:：(（]?\s*(?P<value>[a-z0-9][a-z0-9\-]{5,})"
)
_URL = DualPattern(re.compile(
    r"(?:https?://)?(?:(?:\d{1,3}\.){3}\d{1,3}|(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9\-]{1,62})"
    r"(?::\d{2,5})?"
    r"(?:/[A-Za-z0-9_\-./?%&=#~+:@!$*,;]*)?",  # ASCII only: \w would run on into Chinese text
))
_SCHEME = re.compile(r"^https?://")
_IPV4 = re.compile(r"^(?:\d{1,3}\.){3}\d{1,3}$")
_MOBILE = DualPattern(re.compile(
    r"(?<![\d*])(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?(?:\d{4}|\*{4}|x{4}))"
    r"(?:[\s-]?(?:\d{4}|\d{2}xx|xx\d{2}|x{4}))(?!\d)"
))
_LANDLINE = DualPattern(re.compile(
    r"(?<![\d*])0\d{2,3}\s*[-—–]?\s*\d{7,8}(?!\d)|(?<![\d*])0\d{2,3}\s*[-—–]\s*\d{3,6}x{1,4}(?![\dx])"
))
_SERVICE = DualPattern(re.compile(
    r"(?<![\d*])(?:[48]00[\s-]?\d{3}[\s-]?\d{4}|[48]00-\d{3}-\d{4}|9[56]\d{3,4}|1[02]\d{3,4}"
    r"|1069\d{4,16}|106\d{8,17})(?!\d)"
))
_INTL = DualPattern(re.compile(r"(?<![\d*])(?:\+|00)(?!86)[1-9]\d{0,2}[\s-]?\d[\d\s-]{5,14}\d"))
_CARD = DualPattern(re.compile(r"(?<![\d*])\d{4}[\s-]?(?:[\d*x]{4}[\s-]?){2}[\d*x]{0,3}\d{4}(?!\d)"))
_CARD_TAIL = re.compile(r"(?:尾号|尾数|末四位|后四位|卡号后四位)(?:为|是)?\s*(?P<d>[\dx*]{3,4})")
_ACCOUNT = re.compile(r"(?:账号|帐号|账户|帐户|卡号|收款账户|收款卡号)\s*[:：为是]?\s*(?P<d>\d[\d\s*x-]{7,30}\d)")
_QQ_WX = re.compile(r"(?:微信|vx|v信|wx|qq|扣扣|tg|telegram|飞机)\s*(?:号)?\s*[:：@]?\s*(?P<d>[a-z0-9_@\-]{5,30})")
_SIGNATURE = DualPattern(re.compile(r"^\s*[【\[]([^【】\[\]]{2,20})[】\]]|[【\[]([^【】\[\]]{2,20})[】\]]\s*$"))
_MASKED_NAME = DualPattern(re.compile(
    r"(?P<name>[\u4e00-\u9fff](?:\*{1,3}|某某|某|x{1,2}|○{1,2}))(?:先生|女士|小姐)?"
))


# Guards: each pattern below needs one of these characters (or strings) to match at all, so a text
# without them skips the regex. They only save time; the results are the same.
_HAS_DIGIT = re.compile(r"\d").search
_AMOUNT_CHARS = frozenset("¥￥$元块圆万千币吉")  # alternatives 2–4 need 元/块/圆/a currency word or 万/千;
_AMOUNT_WORDS = ("人民币", "rmb", "hkd", "ntd", "twd", "mop", "sgd", "rm", "myr", "usd")  # 1 a sign or a currency
_SIGNATURE_CHARS = frozenset("【[】]")
_MASK_CHARS = frozenset("*某x○")


def _span_dict(nt: NormalizedText, start: int, end: int) -> dict[str, Any]:
    s = nt.span(start, end)
    return {"text": s.text, "span": [s.start, s.end]}


@lru_cache(maxsize=1)
def _cn2an():
    import cn2an  # lazily: only needed when an amount is written in Chinese numerals

    return cn2an


def chinese_number(token: str) -> float | None:
    try:
        return float(_cn2an().cn2an(token, "smart"))
    except (ValueError, KeyError, TypeError):
        return None


def amounts(nt: NormalizedText) -> list[dict[str, Any]]:
    text = nt.text
    if _AMOUNT_CHARS.isdisjoint(text) and not any(w in text for w in _AMOUNT_WORDS):
        return []
    out = []
    for m in _AMOUNT.finditer(nt.text):
        if m.group("n3"):
            value = chinese_number(m.group("n3"))
        else:
            num = m.group("n1") or m.group("n2") or m.group("n4")
            try:
                value = float(num.replace(",", ""))
            except (TypeError, ValueError):
                value = None
            unit = m.group("u1") or m.group("u2") or m.group("u4")
            if value is not None and unit:
                value *= _MULT[unit]
        if value is None:
            continue
        d = _span_dict(nt, m.start(), m.end())
        d["value"] = round(value, 2)
        written = m.group("cur") or m.group("sfx") or m.group("sfx3")
        d["currency"] = _CURRENCY[written] if written else "CNY"  # 3.2万 with no sign: in China, yuan
        out.append(d)
    return out


def dates(nt: NormalizedText) -> list[dict[str, Any]]:
    if not _HAS_DIGIT(nt.text):  # every alternative starts with digits
        return []
    return [_span_dict(nt, m.start(), m.end()) for m in _DATE.finditer(nt.text)]


def deadlines(nt: NormalizedText) -> list[dict[str, Any]]:
    if "前" not in nt.text and "内" not in nt.text:  # every alternative ends in …前 or …内
        return []
    out = []
    for m in _DEADLINE.finditer(nt.text):
        if m.end() - m.start() >= 2:
            out.append(_span_dict(nt, m.start(), m.end()))
    return out


def relative_times(nt: NormalizedText) -> list[dict[str, Any]]:
    return [_span_dict(nt, m.start(), m.end()) for m in _RELATIVE.finditer(nt.text)]


def days_overdue(nt: NormalizedText) -> list[dict[str, Any]]:
    if "天" not in nt.text and "日" not in nt.text:
        return []
    out = []
    for m in _OVERDUE.finditer(nt.text):
        token = m.group("n")
        value = None if token == "多" else (int(token) if token.isdigit() else chinese_number(token))
        d = _span_dict(nt, m.start(), m.end())
        d["days"] = int(value) if value is not None else None
        out.append(d)
    return out


def contract_numbers(nt: NormalizedText) -> list[dict[str, Any]]:
    if "号" not in nt.text and "单" not in nt.text:  # every label but 订单 contains 号
        return []
    out = []
    for m in _CONTRACT.finditer(nt.text):
        if sum(c.isdigit() for c in m.group("value")) < 4:
            continue
        d = _span_dict(nt, m.start("value"), m.end("value"))
        d["label"] = nt.span(m.start("label"), m.end("label")).text
        out.append(d)
    return out


def urls(nt: NormalizedText) -> list[dict[str, Any]]:
    if "." not in nt.text:  # hosts and IP addresses have a dot
        return []
    out = []
    for m in _URL.finditer(nt.text):
        raw = m.group(0).rstrip(".,;:!?)")
        host = _SCHEME.sub("", raw).split("/", 1)[0].split(":", 1)[0]
        if _IPV4.match(host) and (_SCHEME.match(raw) or "/" in raw):
            d = _span_dict(nt, m.start(), m.start() + len(raw))
            d.update(host=host, domain=host, suffix="")
            out.append(d)
            continue
        labels = host.split(".")
        if "." not in host or not any(c.isalpha() for c in labels[-1]):
            continue
        from anning.text.domains import registered_domain  # lazily: tldextract loads on first URL

        domain, suffix = registered_domain(host)
        has_scheme = bool(_SCHEME.match(raw))
        if not suffix and not has_scheme:
            continue
        d = _span_dict(nt, m.start(), m.start() + len(raw))
        d.update(host=host, domain=domain or host, suffix=suffix)
        out.append(d)
    return out


def phones(nt: NormalizedText, taken: list[tuple[int, int]] | None = None) -> list[dict[str, Any]]:
    """Phone numbers by class; ``taken`` are normalised ranges already used by URLs or cards."""
    if not _HAS_DIGIT(nt.text):  # every pattern needs digits
        return []
    found: list[tuple[int, int, str]] = []
    busy = list(taken or [])

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in busy)

    for kind, rx in (("international", _INTL), ("mobile", _MOBILE), ("service", _SERVICE),
                     ("fixed_line", _LANDLINE)):
        for m in rx.finditer(nt.text):
            if free(m.start(), m.end()):
                found.append((m.start(), m.end(), kind))
                busy.append((m.start(), m.end()))
    out = []
    for start, end, kind in sorted(found):
        d = _span_dict(nt, start, end)
        digits = re.sub(r"[\s\-—–]", "", nt.text[start:end])
        d["number"] = digits
        d["masked"] = "*" in digits or "x" in digits
        d["type"] = kind
        out.append(d)
    return out


def accounts(nt: NormalizedText) -> list[dict[str, Any]]:
    out = []
    for m in _CARD_TAIL.finditer(nt.text):
        d = _span_dict(nt, m.start(), m.end())
        d["type"] = "card_tail"
        out.append(d)
    seen = set()
    for m in _ACCOUNT.finditer(nt.text):
        d = _span_dict(nt, m.start("d"), m.end("d"))
        d["type"] = "account_number"
        seen.add((m.start("d"), m.end("d")))
        out.append(d)
    for m in _CARD.finditer(nt.text):
        if any(s <= m.start() < e for s, e in seen):
            continue
        d = _span_dict(nt, m.start(), m.end())
        d["type"] = "card_number"
        out.append(d)
    for m in _QQ_WX.finditer(nt.text):
        d = _span_dict(nt, m.start("d"), m.end("d"))
        d["type"] = "im_contact"
        out.append(d)
    return out


def signatures(nt: NormalizedText) -> list[dict[str, Any]]:
    if _SIGNATURE_CHARS.isdisjoint(nt.text):
        return []
    out = []
    for m in _SIGNATURE.finditer(nt.text):
        g = 1 if m.group(1) else 2
        d = _span_dict(nt, m.start(g), m.end(g))
        out.append(d)
    return out


def persons(nt: NormalizedText, surnames: frozenset[str]) -> list[dict[str, Any]]:
    """Names as they appear: masked (张**, 李某某, 王x) or after an address word (尊敬的/请转告)."""
    out: list[dict[str, Any]] = []
    used: set[int] = set()
    for m in (() if _MASK_CHARS.isdisjoint(nt.text) else _MASKED_NAME.finditer(nt.text)):
        if nt.text[m.start()] not in surnames:
            continue
        d = _span_dict(nt, m.start("name"), m.end("name"))
        d["masked"] = True
        out.append(d)
        used.add(m.start())
    for m in _ADDRESSED_NAME.finditer(nt.text):
        start = m.start("name")
        if start in used or nt.text[start] not in surnames:
            continue
        d = _span_dict(nt, start, m.end("name"))
        d["masked"] = False
        out.append(d)
    return out


_ADDRESSED_NAME = re.compile(
    r"(?:尊敬的|亲爱的|您好|你好|通知|转告|告知|提醒|联系|朋友|亲属|同事|家人|借款人|客户)[:：,]?\s*"
    r"(?P<name>[\u4e00-\u9fff]{2,3}?)(?=先生|女士|小姐|[,，:：在的欠于已(（]|$)"
)
