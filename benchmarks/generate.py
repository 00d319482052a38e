"""Deterministic generator of synthetic Chinese SMS for benchmarks.

    python benchmarks/generate.py 100000 messages.jsonl      # or messages.parquet (needs pyarrow)

Every row has ``id``, ``text``, ``sender`` and ``received_at``. Texts are assembled from templates
written for this file (none are copied from the project corpus) and cover the five message kinds:
collection notices, messages to third parties, fake-collection scams, debt-relief ads and ordinary
messages (bank notices, verification codes, marketing, personal). The same ``n`` and ``seed`` always
give the same file. The kind mix and the length distribution are meant to look like a bulk screening
feed, not like a balanced test set: these rows carry no labels and are for timing only.
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

GENERATOR_VERSION = 1  # bump when the output changes, so cached files are regenerated

# -- vocabulary ----------------------------------------------------------------------------------
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁"
    "潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国玉兰红梅志鹏飞宇浩然思雨欣怡子涵俊杰"
KNOWN_PLATFORMS = [
    "借呗", "花呗", "微粒贷", "京东金条", "京东白条", "360借条", "安逸花", "分期乐", "招联金融", "美团借钱",
    "度小满", "有钱花", "好期贷", "捷信", "平安普惠", "网商贷", "拍拍贷", "洋钱罐", "众安小贷", "省呗",
]
MADE_UP_PLATFORMS = [
    "鑫融易贷", "速贷宝", "金满仓", "易借花", "闪电借款", "融360快贷", "乐享借", "随心花", "钱多多", "快易贷",
    "盛鑫普惠", "优分期", "e借通", "大象分期", "小橙信用",
]
BANKS = [
    "工商银行", "建设银行", "农业银行", "中国银行", "招商银行", "交通银行", "邮储银行", "浦发银行",
    "中信银行", "光大银行", "民生银行", "兴业银行", "平安银行", "广发银行",
]
AGENCIES = [
    "华信资产管理有限公司", "诚和商务咨询有限公司", "安达信息服务有限公司", "恒通法务调解中心",
    "正和律师事务所", "鼎盛资产管理有限公司", "明德律师事务所", "汇通商务服务有限公司",
]
CITIES = ["北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "西安", "南京", "重庆", "长沙", "郑州",
          "合肥"]
SHOPS = ["京东", "天猫", "拼多多", "唯品会", "美团外卖", "饿了么", "滴滴出行", "中国移动", "中国联通",
         "顺丰速运"]
SCAM_DOMAINS = [
    "jb-huankuan.top", "wld-kefu.cc", "jdjt-vip.xyz", "zx-chuli.com.cn.ac", "360jt-pay.net", "yuqi-help.vip",
    "dxm-kf.club", "kuaichu-li.site",
]
SHORT_LINKS = ["t.cn", "dwz.cn", "url.cn", "suo.im", "c7.gg"]
RELIEF_WORDS = [
    "征信修复", "消除逾期记录", "停息挂账", "个性化分期", "债务优化", "反催收", "协商减免", "逾期上岸",
    "网贷延期", "信用卡停息",
]


# -- helpers -------------------------------------------------------------------------------------
def masked_name(r: random.Random) -> str:
    s = r.choice(SURNAMES)
    style = r.random()
    if style < 0.45:
        return s + "**"
    if style < 0.65:
        return s + "*" + r.choice(GIVEN)
    if style < 0.8:
        return s + "某某"
    if style < 0.9:
        return s + r.choice(["先生", "女士"])
    return s + r.choice(GIVEN) + (r.choice(GIVEN) if r.random() < 0.5 else "")


def amount(r: random.Random, low: int = 200, high: int = 80000) -> str:
    value = r.randint(low, high) + (r.randint(0, 99) / 100 if r.random() < 0.5 else 0)
    style = r.random()
    if style < 0.35:
        return f"{value:,.2f}元"
    if style < 0.6:
        return f"{int(value)}元"
    if style < 0.75:
        return f"人民币{value:.2f}元"
    if style < 0.9:
        return f"¥{value:,.2f}"
    wan, qian = divmod(int(value) // 1000, 10)
    if not (wan or qian):
        return f"{int(value)}元"
    return (f"{wan}万" if wan else "") + (f"{qian}千" if qian else "") + "元"


def a_date(r: random.Random, base: datetime) -> str:
    d = base + timedelta(days=r.randint(-20, 10))
    style = r.random()
    if style < 0.4:
        return f"{d.month}月{d.day}日"
    if style < 0.65:
        return f"{d.year}年{d.month}月{d.day}日"
    if style < 0.8:
        return d.strftime("%Y-%m-%d")
    if style < 0.9:
        return r.choice(["今日", "明日", "今天", "24小时内", "本周五"])
    return f"{d.month}月{d.day}日{r.randint(9, 20)}:00"


def platform(r: random.Random) -> str:
    return r.choice(KNOWN_PLATFORMS) if r.random() < 0.7 else r.choice(MADE_UP_PLATFORMS)


def mobile(r: random.Random) -> str:
    prefix = r.choice(["130", "131", "135", "138", "139", "150", "152", "158", "166", "170", "171", "176",
                       "177", "180", "185", "186", "188", "189", "191", "199"])
    return prefix + "".join(r.choice("0123456789") for _ in range(8))


def card_number(r: random.Random) -> str:
    digits = r.choice(["6222", "6217", "6228", "6214", "6230"])
    digits += "".join(str(r.randint(0, 9)) for _ in range(15))
    if r.random() < 0.4:
        return " ".join(digits[i:i + 4] for i in range(0, len(digits), 4))
    return digits


def url(r: random.Random, short: bool = False) -> str:
    if short or r.random() < 0.45:
        code = "".join(r.choice("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(6))
        return f"{r.choice(['', 'http://', 'https://'])}{r.choice(SHORT_LINKS)}/{code}"
    path = r.choice(["", "/pay", "/h5/repay", "/zx", "/login?id=" + str(r.randint(1000, 99999))])
    return f"{r.choice(['http://', 'https://', ''])}{r.choice(SCAM_DOMAINS)}{path}"


def contract_no(r: random.Random) -> str:
    digits = "".join(str(r.randint(0, 9)) for _ in range(r.randint(8, 14)))
    return r.choice(["HT", "JK", "No.", "CF"]) + digits


def tail(r: random.Random, options: tuple[str, ...] | None = None) -> str:
    return r.choice(options or ("", "", "", "退订回T", "拒收请回复R", "回TD退订", "如已还款请忽略。",
                                "详询客服。"))


def extras(r: random.Random, pool: list[str], p: float = 0.75) -> str:
    """Zero, one or two extra sentences, so lengths spread like real SMS (mostly 40-150 chars)."""
    out = ""
    while pool and r.random() < p and len(out) < 80:
        out += r.choice(pool)
        p *= 0.5
    return out


def sign(name: str, r: random.Random) -> tuple[str, str]:
    """(prefix, suffix) signature: most SMS put 【签名】 in front, some at the end, some none."""
    x = r.random()
    if x < 0.65:
        return f"【{name}】", ""
    if x < 0.8:
        return "", f"【{name}】"
    return "", ""


# -- message kinds -------------------------------------------------------------------------------
def collection(r: random.Random, base: datetime) -> str:
    p = platform(r)
    pre, post = sign(p, r)
    name = masked_name(r)
    days = r.randint(1, 400)
    body = r.choice([
        f"尊敬的{name}，您在{p}的借款{amount(r)}已逾期{days}天，请于{a_date(r, base)}前还款，"
        "以免影响个人征信。",
        f"{name}您好，您的{p}账单应还{amount(r)}，已逾期{days}天，请尽快登录APP处理。",
        f"您好{name}，您于{a_date(r, base)}借款的合同{contract_no(r)}已严重逾期，欠款{amount(r)}，"
        "请今日内结清。",
        f"{name}，你在{p}的欠款{amount(r)}逾期{days}天未处理，我司已受委托进行催收，"
        f"请于{a_date(r, base)}前还清。",
        f"提醒：{name}本期应还{amount(r)}将于{a_date(r, base)}到期，请确保还款账户余额充足。",
        f"{name}，逾期{days}天了还不还？再不处理我们将联系你的家人和单位，后果自负！",
        f"{name}你已恶意拖欠{amount(r)}，案件已提交法务部，{a_date(r, base)}前不还款将起诉至法院"
        "并申请强制执行。",
        f"{name}，{p}最后通知：你的账户已移交{r.choice(AGENCIES)}，请主动联系{mobile(r)}协商还款，"
        "否则安排上门走访。",
        f"您的{p}账户逾期{days}天，累计欠款{amount(r)}，逾期将产生罚息并上报征信系统，请及时还款。",
    ])
    more = extras(r, [
        "如有疑问请致电官方客服热线核实。", "为避免产生更多罚息，请尽快处理。",
        "请通过官方APP或绑定银行卡还款。",
        f"当前应还总额{amount(r)}，其中罚息{amount(r, 10, 2000)}。", "逾期信息将按规定报送征信系统。",
        f"催收专员{masked_name(r)}，工号{r.randint(1000, 99999)}。", "请勿相信任何要求转账到个人账户的信息。",
        f"还款后请保留凭证，如需协商请在{a_date(r, base)}前联系我们。",
    ])
    return pre + body + more + tail(r) + post


def third_party(r: random.Random, base: datetime) -> str:
    p = platform(r)
    pre, post = sign(p, r)
    debtor = masked_name(r)
    body = r.choice([
        f"您好，{debtor}在{p}的借款已逾期，他预留的紧急联系人是您，请转告其尽快还款，谢谢。",
        f"{debtor}是你朋友吧？他在我司欠款{amount(r)}逾期不还，麻烦通知他联系{mobile(r)}。",
        f"打扰了，请问您认识{debtor}吗？其在{p}的账单已逾期{r.randint(3, 300)}天，请帮忙转告他处理。",
        f"你的亲属{debtor}欠{p}{amount(r)}至今未还，作为通讯录联系人请督促其{a_date(r, base)}前还款。",
        f"您好，我是{p}的工作人员，{debtor}留了您的电话，他的欠款问题请让他今天回电。",
        f"{debtor}欠钱不还还玩失踪，你作为他的联系人有义务通知他，不然我们会联系他所有通讯录好友。",
        f"致{debtor}的家属：其借款{amount(r)}已逾期，若继续拖欠将上门到{r.choice(CITIES)}户籍地核实情况。",
    ])
    more = extras(r, [
        "如您不认识此人请忽略本短信。", "感谢您的配合。", "我们也不想打扰您，请您理解。",
        f"联系人{masked_name(r)}，电话{mobile(r)}。", "如他已处理请忽略。",
    ], 0.5)
    return pre + body + more + tail(r) + post


def fake_collection(r: random.Random, base: datetime) -> str:
    p = platform(r)
    pre, post = sign(r.choice([p, p + "客服", "金融监管", "征信中心"]), r)
    name = masked_name(r)
    body = r.choice([
        f"尊敬的用户，您的{p}账户因逾期将被注销并影响征信，请立即登录{url(r)}处理，逾期不候。",
        f"{name}您好，您的欠款{amount(r)}需转入安全账户{card_number(r)}（户名：{masked_name(r)}），方可消除逾期记录。",
        f"【法院传票】{name}，你因借款纠纷被列为被告，请点击{url(r)}查看传票并于{a_date(r, base)}前到庭。",
        f"您在{p}的学生贷未注销，将影响征信，请添加客服QQ{r.randint(10000000, 999999999)}办理注销。",
        f"{p}：您的逾期已上报，现可申请减免，请将{amount(r, 100, 5000)}手续费转至{card_number(r)}，"
        f"收款人{masked_name(r)}。",
        f"{name}，我是{r.choice(CITIES)}公安局经侦大队，你涉嫌恶意逃废债，请立即回拨{mobile(r)}配合调查。",
        f"您的{p}额度异常，为保障资金安全，请将收到的验证码告诉客服，完成身份核验。{url(r)}",
        f"温馨提示：您的借款逾期{r.randint(1, 90)}天，点此还款享受免息 {url(r)} 过期将由律师上门。",
        f"{name}，你的网贷已逾期，征信即将被拉黑，下载APP {url(r)} 一键结清，客服{mobile(r)}。",
    ])
    more = extras(r, [
        "本通知为最后一次提醒。", "如未处理将冻结名下所有银行卡。", "征信系统将永久留档，影响子女上学。",
        "办理期间请勿告知他人，以免影响进度。",
        f"专属客服工号{r.randint(100, 9999)}，{a_date(r, base)}前有效。",
    ], 0.5)
    return pre + body + more + tail(r) + post


def debt_relief(r: random.Random, base: datetime) -> str:
    w1, w2 = r.sample(RELIEF_WORDS, 2)
    contact = r.choice([f"加V：{r.choice(['zx', 'sh', 'yq', 'hb'])}{r.randint(1000, 99999)}",
                        f"电话{mobile(r)}", f"微信同号{mobile(r)}", f"咨询{url(r)}"])
    body = r.choice([
        f"专业{w1}、{w2}，不成功不收费，已帮助上万人上岸。{contact}",
        f"网贷逾期被催收爆通讯录？我们帮您{w1}，最长可{w2}60期，{contact}",
        f"信用卡、网贷逾期的朋友注意：正规团队代办{w1}，{r.randint(3, 15)}个工作日见效，{contact}",
        f"还不上钱别怕，律师团队一对一{w1}+{w2}，先服务后付费。{contact}",
        f"【{r.choice(['上岸', '安心', '和信'])}咨询】{w1}名额有限，本月仅剩{r.randint(3, 30)}个，{contact}",
    ])
    more = extras(r, ["专业团队，合法合规。", f"已上岸客户超过{r.randint(1, 9)}000人。",
                      "免费咨询，一对一服务。", "全国可办，隐私保密。"], 0.55)
    return body + more + tail(r, ("", "", "退订回T", "回T退订"))


def ordinary(r: random.Random, base: datetime) -> str:
    bank = r.choice(BANKS)
    x = r.random()
    if x < 0.2:
        code = str(r.randint(100000, 999999))
        who = r.choice([bank, *SHOPS])
        return r.choice([
            f"【{who}】验证码{code}，{r.choice([5, 10, 15])}分钟内有效，请勿泄露给他人。",
            f"【{who}】您正在登录，验证码：{code}。如非本人操作，请忽略本短信。",
            f"{code}（{who}动态验证码），用于身份验证，请勿告诉任何人。【{who}】",
            f"【{who}】您正在进行{r.choice(['绑卡', '修改密码', '快捷支付', '实名认证'])}操作，"
            f"验证码{code}。",
        ]) + extras(r, ["工作人员不会向您索要验证码。", "谨防诈骗。", "如有疑问请拨打官方客服电话。"], 0.6)
    if x < 0.45:
        d = base + timedelta(days=r.randint(-3, 0))
        card = r.randint(1000, 9999)
        return r.choice([
            f"【{bank}】您尾号{card}的储蓄卡{d.month}月{d.day}日{r.randint(0, 23):02d}:{r.randint(0, 59):02d}"
            f"{r.choice(['支出', '收入', '消费', '转账支出'])}人民币"
            f"{r.randint(1, 9999)}.{r.randint(0, 99):02d}元，"
            f"余额{r.randint(0, 99999)}.{r.randint(0, 99):02d}元。",
            f"【{bank}】您的信用卡本期账单{amount(r, 100, 20000)}，最低还款{amount(r, 10, 2000)}，"
            f"最后还款日{a_date(r, base)}，请按时还款。",
            f"【{bank}】尊敬的客户，您的账户已成功还款{amount(r, 100, 20000)}，感谢您的支持。",
            f"【{bank}】您尾号{card}的信用卡于{d.month}月{d.day}日在{r.choice(SHOPS)}"
            f"消费{amount(r, 5, 3000)}。",
        ]) + extras(r, [f"如非本人操作，请致电{bank}官方客服。", "详情请登录手机银行查看。",
                        "【温馨提示】请勿向他人透露密码和验证码。"], 0.7)
    if x < 0.65:
        shop = r.choice(SHOPS)
        return r.choice([
            f"【{shop}】双十一狂欢开启，全场满300减{r.randint(30, 80)}，限时{r.randint(2, 72)}小时，"
            f"戳 {url(r, short=True)} 退订回T",
            f"【{shop}】亲爱的会员，您有{r.randint(2, 20)}张优惠券即将过期，快去使用吧！拒收请回复R",
            f"【{shop}】您的包裹已到{r.choice(CITIES)}{r.choice(['菜鸟驿站', '丰巢柜', '快递站'])}，取件码"
            f"{r.randint(1, 9)}-{r.randint(1, 9)}-{r.randint(1000, 9999)}，请及时领取。",
            f"【{shop}】您本月话费账单{amount(r, 20, 300)}，已从账户余额扣除。",
            f"【{shop}】会员日专享：新人首单立减{r.randint(5, 50)}元，老用户充值满100送{r.randint(5, 30)}，"
            f"活动截止{a_date(r, base)}。",
        ]) + extras(r, ["活动详情以页面为准。", "更多好礼请打开APP查看。", "感谢您的信任与支持。"], 0.5)
    if x < 0.8:
        p = platform(r)
        return r.choice([
            f"【{p}】恭喜您获得{r.randint(2, 20)}万元借款额度，最快3分钟到账，"
            f"日息低至万{r.randint(2, 5)}，退订回T",
            f"【{p}】您的借款{amount(r)}已到账，首期还款日{a_date(r, base)}，请按时还款。",
            f"【{p}】您已成功结清全部借款，感谢使用。",
            f"【{p}】您的本期账单{amount(r)}将于{a_date(r, base)}自动扣款，请保持银行卡余额充足。",
        ]) + extras(r, ["借款利率以实际审批为准。", "请理性借贷，按时还款。", "贷款有风险，借款需谨慎。"],
                    0.6)
    return r.choice([
        "妈，我今天加班，晚点回家，不用等我吃饭。",
        f"老{r.choice(SURNAMES)}，明天{r.randint(7, 10)}点{r.choice(CITIES)}南站见，别迟到啊。",
        "好的，收到，谢谢！",
        f"你上次借我的{r.randint(100, 2000)}块钱什么时候方便还一下？不急哈。",
        "周末一起吃饭吗？我订了位子，晚上六点半，就在上次那家火锅店，你带上孩子一起来吧。",
        f"各位家长好，本周{r.choice('三四五')}下午{r.randint(2, 5)}点召开家长会，"
        f"地点在{r.randint(1, 6)}楼多媒体教室，请准时参加，谢谢配合。",
        f"会议改到下午{r.randint(2, 5)}点，{r.randint(3, 12)}楼会议室，请准时参加，"
        "记得带上季度报表和项目进度材料。",
        "到家了吗？下雨了记得带伞。",
    ])


KINDS: list[tuple[Callable[[random.Random, datetime], str], float]] = [
    (collection, 0.27), (third_party, 0.12), (fake_collection, 0.12), (debt_relief, 0.09), (ordinary, 0.40),
]


def notice_clauses(r: random.Random, base: datetime, p: str) -> list[str]:
    """Sentences of a formal overdue notice, for medium and long messages."""
    return [
        f"截至{a_date(r, base)}，您尚欠本金{amount(r)}，利息及罚息{amount(r, 50, 3000)}。",
        f"根据双方签订的借款合同第{r.randint(3, 18)}条约定，您应按期足额还款。",
        f"我司已多次通过电话、短信联系您，但您始终未予处理，合同编号{contract_no(r)}。",
        "如您对欠款金额有异议，可在收到本函后七日内通过官方客服渠道提出并提供相关材料。",
        f"请于{a_date(r, base)}前通过{p}官方APP还款，切勿向任何个人账户转账。",
        "逾期不处理的，我司将依法采取进一步措施，由此产生的费用由您承担。",
        "本函仅作催告之用，不代表我司放弃任何权利。",
        f"联系电话：{mobile(r)}，工作时间9:00-18:00。",
    ]


def medium_text(r: random.Random, base: datetime, make: Callable[[random.Random, datetime], str]) -> str:
    """A 150-500 character message: a short message followed by formal notice sentences."""
    target = r.randint(150, 500)
    text = make(r, base)
    clauses = notice_clauses(r, base, platform(r))
    while len(text) < target:
        text += r.choice(clauses)
    return text


def long_text(r: random.Random, base: datetime) -> str:
    """A 1,000-3,000 character message: a long formal notice or several SMS pasted together."""
    target = r.randint(1000, 3000)
    if r.random() < 0.5:
        p = platform(r)
        parts = [f"【{r.choice(AGENCIES)}】关于{masked_name(r)}在{p}借款逾期的告知函："]
        clauses = notice_clauses(r, base, p)
        while sum(map(len, parts)) < target:
            parts.append(r.choice(clauses))
        return "".join(parts)[:target]
    parts = []
    while sum(map(len, parts)) < target:
        make = r.choices([k for k, _ in KINDS], weights=[w for _, w in KINDS])[0]
        parts.append(make(r, base))
    return "\n".join(parts)[:target]


# Cumulative thresholds for sender types per message kind: 106 gateway, 95xxx, mobile, +63, 400/landline.
SENDER_PROFILES = {
    "collection": (0.5, 0.55, 0.88, 0.93, 0.97),
    "third_party": (0.25, 0.27, 0.85, 0.92, 0.96),
    "fake_collection": (0.2, 0.23, 0.7, 0.9, 0.95),
    "debt_relief": (0.3, 0.3, 0.85, 0.92, 0.95),
    "ordinary": (0.5, 0.68, 0.9, 0.91, 0.95),
}


def sender(r: random.Random, profile: str = "ordinary") -> str | None:
    gateway, bank, mob, ph, landline = SENDER_PROFILES[profile]
    x = r.random()
    if x < gateway:
        return "106" + r.choice(["90", "91", "55", "57", "58", "9"]) + "".join(
            str(r.randint(0, 9)) for _ in range(r.randint(6, 10)))
    if x < bank:
        if r.random() < 0.7:
            return r.choice(["95588", "95533", "95599", "95566", "95555", "95559", "95188", "95384", "95508"])
        return "95" + "".join(str(r.randint(0, 9)) for _ in range(r.randint(3, 4)))
    if x < mob:
        return mobile(r) if r.random() < 0.85 else "+86" + mobile(r)
    if x < ph:
        return "+63" + r.choice(["9", "9", "2"]) + "".join(str(r.randint(0, 9)) for _ in range(9))
    if x < landline:
        return r.choice(["400", "0"]) + "".join(str(r.randint(0, 9)) for _ in range(r.randint(7, 9)))
    return None


HOUR_WEIGHTS = [2, 1, 1, 1, 1, 2, 3, 5, 8, 10, 10, 9, 8, 9, 10, 10, 9, 8, 7, 7, 6, 5, 4, 3]


def received_at(r: random.Random, base: datetime) -> str | None:
    if r.random() < 0.05:
        return None
    day = base + timedelta(days=r.randint(-30, 0))
    hour = r.choices(range(24), weights=HOUR_WEIGHTS)[0]
    t = day.replace(hour=hour, minute=r.randint(0, 59), second=r.randint(0, 59))
    x = r.random()
    if x < 0.7:
        return t.strftime("%Y-%m-%dT%H:%M:%S")
    if x < 0.9:
        return t.strftime("%Y-%m-%dT%H:%M:%S+08:00")
    return (t - timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M:%SZ")


def generate_rows(n: int, seed: int = 20261120) -> Iterator[dict[str, Any]]:
    """Yield ``n`` rows; the same ``n`` and ``seed`` always give the same rows."""
    r = random.Random(seed)
    makers = [k for k, _ in KINDS]
    weights = [w for _, w in KINDS]
    for i in range(n):
        base = datetime(2026, 1, 1) + timedelta(days=r.randint(0, 330))
        make = r.choices(makers, weights=weights)[0]
        x = r.random()
        if x < 0.02:
            text = long_text(r, base)
        elif x < 0.06 and make in (collection, third_party, fake_collection):
            text = medium_text(r, base, make)
        else:
            text = make(r, base)
        yield {"id": f"m{i:07d}", "text": text, "sender": sender(r, make.__name__),
               "received_at": received_at(r, base)}


def write(path: Path, n: int, seed: int = 20261120) -> Path:
    """Write ``n`` rows to ``path`` (.jsonl, or .parquet via pyarrow)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    if path.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = pa.schema([("id", pa.string()), ("text", pa.string()), ("sender", pa.string()),
                            ("received_at", pa.string())])
        rows = list(generate_rows(n, seed))
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), tmp, compression="zstd")
    else:
        with tmp.open("w", encoding="utf-8") as fh:
            for row in generate_rows(n, seed):
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    tmp.replace(path)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, help="number of messages")
    ap.add_argument("out", type=Path, help="output file, .jsonl or .parquet")
    ap.add_argument("--seed", type=int, default=20261120)
    args = ap.parse_args()
    write(args.out, args.n, args.seed)
    print(f"{args.n} messages → {args.out}")


if __name__ == "__main__":
    main()
