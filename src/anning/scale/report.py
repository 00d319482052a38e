"""``report.html`` for ``anning aggregate``: one self-contained page (no scripts, no CDN) with SVG bar
charts drawn from the tables and the key tables themselves. Message texts are escaped (autoescape)."""

from __future__ import annotations

import math
from typing import Any

FONT = "'Noto Sans CJK SC', 'Noto Sans SC', 'Microsoft YaHei', 'PingFang SC', sans-serif"

LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "催收短信筛查汇总报告", "source": "数据", "messages": "短信数", "errors": "无法分析",
        "collection": "催收类短信", "third_party_share": "联系第三人占比", "night_share": "夜间催收占比",
        "threat_share": "含威胁占比", "scam": "诈骗类", "senders": "发送号码数", "platforms": "平台数",
        "period": "时间范围", "kinds": "短信类型", "flags": "问题标记",
        "hours": "按小时（北京时间；深色为 22:00—8:00）",
        "days": "按日期", "top_violating": "违规线索最多的平台（催收类短信，附示例）", "platform": "平台",
        "violating": "涉嫌违规", "third_party": "联系第三人", "threat": "威胁", "night": "夜间",
        "example": "示例短信", "clusters": "诈骗线索聚类（同一链接域名、收款账户或联系方式出现在多个号码）",
        "key_type": "类型", "key": "线索", "agencies": "催收机构", "agency": "机构", "domains": "链接域名",
        "domain": "域名", "violations": "可能违反的法律与规范", "law": "条目", "binding": "效力",
        "by_platform": "按平台", "risk": "平均风险",
        "note": "本报告由 anning 离线生成；“涉嫌违规”只是线索，需人工核实。",
        "url_domain": "链接域名", "payment_account": "收款账户", "contact": "联系方式", "none": "（无）",
    },
    "en": {
        "title": "Collection SMS screening report", "source": "Data", "messages": "Messages", "errors": "Errors",
        "collection": "Collection messages", "third_party_share": "Third-party share", "night_share": "Night share",
        "threat_share": "Threat share", "scam": "Scams", "senders": "Senders", "platforms": "Platforms",
        "period": "Period", "kinds": "Message kinds", "flags": "Flags",
        "hours": "By hour (China time; dark: 22:00–08:00)",
        "days": "By day",
        "top_violating": "Platforms with most possible violations (collection messages, with example)",
        "platform": "Platform", "violating": "Possible violations", "third_party": "Third party", "threat": "Threats",
        "night": "Night", "example": "Example message",
        "clusters": "Scam clusters (same link domain, payment account or contact across senders)",
        "key_type": "Type", "key": "Key", "agencies": "Collection agencies", "agency": "Agency",
        "domains": "Link domains", "domain": "Domain", "violations": "Laws and rules possibly broken", "law": "Entry",
        "binding": "Binding level", "by_platform": "By platform", "risk": "Mean risk",
        "note": "Generated offline by anning; possible violations are leads to be checked by a person.",
        "url_domain": "link domain", "payment_account": "payment account", "contact": "contact", "none": "(none)",
    },
}

KIND_LABELS = {
    "zh": {"collection_notice": "催收/还款通知", "third_party_contact": "第三方催收",
           "fake_collection": "冒充催收的诈骗",
           "debt_relief_scam": "征信修复/债务代办骗局", "other": "其他"},
    "en": {},
}
FLAG_LABELS = {
    "zh": {"threat": "威胁", "legal_intimidation": "法律恐吓", "privacy_disclosure": "泄露隐私/联系第三人",
           "phishing_link": "钓鱼链接", "payment_redirect": "转账到指定账户", "urgency": "催促施压", "insult": "侮辱",
           "impersonation": "冒充", "night_contact": "夜间催收"},
    "en": {},
}


def bar_chart(items: list[tuple[str, float]], width: int = 640, bar: int = 22, color: str = "#3b6ea8") -> str:
    """Horizontal bars with the label on the left and the value on the right (SVG markup)."""
    from markupsafe import escape

    if not items:
        return ""
    label_w, value_w = 190, 70
    top = max(v for _, v in items) or 1
    height = bar * len(items) + 8
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'font-family="{FONT}" font-size="13">']
    for i, (label, value) in enumerate(items):
        y = 4 + i * bar
        w = (width - label_w - value_w) * value / top
        parts.append(f'<text x="{label_w - 8}" y="{y + bar * 0.68:.1f}" text-anchor="end">{escape(label)}</text>'
                     f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{bar - 6}" fill="{color}"/>'
                     f'<text x="{label_w + w + 6:.1f}" y="{y + bar * 0.68:.1f}">{value:,.0f}</text>')
    parts.append("</svg>")
    return "".join(parts)


def column_chart(items: list[tuple[str, float, bool]], width: int = 760, height: int = 200) -> str:
    """Vertical columns (label, value, highlighted) with a label every few columns (SVG markup)."""
    from markupsafe import escape

    if not items:
        return ""
    top = max(v for _, v, _ in items) or 1
    n = len(items)
    step = (width - 20) / n
    widest = max(len(label) for label, _, _ in items) * 7 + 6  # pixels a label needs at 11 px
    every = max(1, math.ceil(n * widest / (width - 20)))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 40}" role="img" '
             f'font-family="{FONT}" font-size="11">']
    for i, (label, value, dark) in enumerate(items):
        h = height * value / top
        x = 10 + i * step
        parts.append(f'<rect x="{x:.1f}" y="{10 + height - h:.1f}" width="{max(step - 1, 0.5):.1f}" height="{h:.1f}" '
                     f'fill="{"#1f3b5c" if dark else "#7aa6d6"}"><title>{escape(label)}: {value:,.0f}</title></rect>')
        if i % every == 0:
            parts.append(f'<text x="{x + step / 2:.1f}" y="{height + 26}" text-anchor="middle">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


TEMPLATE = """<!doctype html>
<html lang="{{ 'zh-CN' if lang == 'zh' else 'en' }}"><head><meta charset="utf-8">
<title>{{ L.title }}</title>
<style>
body { font-family: {{ font }}; margin: 2em auto; max-width: 1000px; color: #222; line-height: 1.5; }
h1 { font-size: 1.6em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.9em; }
td, th { border: 1px solid #ddd; padding: 3px 8px; vertical-align: top; }
th { background: #f3f5f8; } td.num { text-align: right; } .cards { display: flex; flex-wrap: wrap; gap: 10px; }
.card { border: 1px solid #ccd; border-radius: 6px; padding: 8px 14px; min-width: 120px; }
.card b { display: block; font-size: 1.4em; } .ex { max-width: 420px; } .note { color: #666; font-size: 0.9em; }
</style></head><body>
<h1>{{ L.title }}</h1>
<p class="note">{{ L.source }}：{{ source }} · {{ L.period }}：
{{ s.first_day or L.none }} — {{ s.last_day or L.none }}</p>
<div class="cards">
{% for key, value in cards %}<div class="card">{{ L[key] }}<b>{{ value }}</b></div>{% endfor %}
</div>
<h2>{{ L.kinds }}</h2>{{ charts.kinds }}
<h2>{{ L.flags }}</h2>{{ charts.flags }}
<h2>{{ L.hours }}</h2>{{ charts.hours }}
<h2>{{ L.days }}</h2>{{ charts.days }}
<h2>{{ L.top_violating }}</h2>{{ charts.violating }}
<table><tr><th>{{ L.platform }}</th><th>{{ L.collection }}</th><th>{{ L.violating }}</th><th>{{ L.third_party }}</th>
<th>{{ L.threat }}</th><th>{{ L.night }}</th><th>{{ L.risk }}</th><th>{{ L.example }}</th></tr>
{% for r in top %}<tr><td>{{ r.platform }}</td><td class="num">{{ r.messages }}</td>
<td class="num">{{ r.violating }}</td><td class="num">{{ r.third_party_contact }}</td>
<td class="num">{{ r.threat }}</td><td class="num">{{ r.night_contact }}</td><td class="num">{{ r.mean_risk }}</td>
<td class="ex">{{ (r.example_text or '') | truncate(160) }}</td></tr>{% endfor %}
</table>
<h2>{{ L.clusters }}</h2>
<table><tr><th>{{ L.key_type }}</th><th>{{ L.key }}</th><th>{{ L.senders }}</th><th>{{ L.messages }}</th>
<th>{{ L.period }}</th></tr>
{% for r in clusters %}<tr><td>{{ L[r.key_type] }}</td><td>{{ r.key }}</td><td class="num">{{ r.senders }}</td>
<td class="num">{{ r.messages }}</td><td>{{ r.first_day or '' }} — {{ r.last_day or '' }}</td></tr>{% endfor %}
</table>
<h2>{{ L.agencies }}</h2>
<table><tr><th>{{ L.agency }}</th><th>{{ L.messages }}</th><th>{{ L.third_party }}</th><th>{{ L.threat }}</th>
<th>{{ L.night }}</th><th>{{ L.violating }}</th></tr>
{% for r in agencies %}<tr><td>{{ r.agency }}</td><td class="num">{{ r.messages }}</td>
<td class="num">{{ r.third_party_contact }}</td><td class="num">{{ r.threat }}</td>
<td class="num">{{ r.night_contact }}</td><td class="num">{{ r.violating }}</td></tr>{% endfor %}
</table>
<h2>{{ L.domains }}</h2>{{ charts.domains }}
<h2>{{ L.violations }}</h2>
<table><tr><th>{{ L.law }}</th><th>{{ L.binding }}</th><th>{{ L.messages }}</th></tr>
{% for r in violations %}<tr><td>{{ r.title }}</td><td>{{ r.binding_level }}</td>
<td class="num">{{ r.messages }}</td></tr>
{% endfor %}</table>
<p class="note">{{ L.note }}</p>
</body></html>
"""


def _pct(value: float | None) -> str:
    return "—" if value is None or value != value else f"{value * 100:.1f}%"


def render_report(tables: dict[str, Any], lang: str = "zh", source: str = "", top: int = 20) -> str:
    """The HTML page for the aggregation ``tables`` ({name: pyarrow.Table})."""
    from jinja2 import Environment
    from markupsafe import Markup

    L = LABELS.get(lang, LABELS["zh"])
    kinds_l, flags_l = KIND_LABELS.get(lang, {}), FLAG_LABELS.get(lang, {})
    rows = {name: t.to_pylist() for name, t in tables.items()}
    s = rows["summary"][0]
    cards = [("messages", f"{s['messages']:,}"), ("collection", f"{s['collection']:,}"),
             ("third_party_share", _pct(s["third_party_share"])), ("night_share", _pct(s["night_share"])),
             ("threat_share", _pct(s["threat_share"])),
             ("scam", f"{(s['fake_collection'] or 0) + (s['debt_relief_scam'] or 0):,}"),
             ("senders", f"{s['senders']:,}"), ("errors", f"{s['errors']:,}")]
    hours = {r["hour"]: r["messages"] for r in rows["by_hour"]}
    charts = {
        "kinds": bar_chart([(kinds_l.get(r["kind"], r["kind"]), r["messages"]) for r in rows["by_kind"]]),
        "flags": bar_chart([(flags_l.get(r["flag"], r["flag"]), r["messages"]) for r in rows["by_flag"]],
                           color="#b5523b"),
        "hours": column_chart([(f"{h}", hours.get(h, 0), h >= 22 or h < 8) for h in range(24)]),
        "days": column_chart([(str(r["day"]), r["messages"], False) for r in rows["by_day"]]),
        "violating": bar_chart([(r["platform"], r["violating"]) for r in rows["top_violating_platforms"][:top]],
                               color="#b5523b"),
        "domains": bar_chart([(r["domain"], r["messages"]) for r in rows["by_url_domain"][:top]]),
    }
    env = Environment(autoescape=True)
    return env.from_string(TEMPLATE).render(
        lang=lang, L=L, font=Markup(FONT), source=source, s=s, cards=cards,
        charts={k: Markup(v) for k, v in charts.items()},
        top=rows["top_violating_platforms"][:top], clusters=rows["scam_clusters"][:top],
        agencies=rows["by_agency"][:top], violations=rows["violations"][:top],
    )
