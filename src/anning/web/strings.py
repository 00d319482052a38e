"""Words of the web pages, Chinese first. Labels of kinds, flags, risk levels, binding levels and the
verdict's sections come from the knowledge pack (``ui.yaml``, ``taxonomy.yaml``); these are the page's own."""

from __future__ import annotations

LANGS = ("zh", "en")

STRINGS: dict[str, dict[str, str]] = {
    "app_name": {"zh": "安宁", "en": "Anning"},
    "tagline": {"zh": "催收短信离线分析", "en": "Debt-collection SMS, checked offline"},
    "nav_check": {"zh": "检查短信", "en": "Check"},
    "nav_evidence": {"zh": "证据", "en": "Evidence"},
    "nav_letters": {"zh": "文书", "en": "Letters"},
    "nav_guide": {"zh": "指南", "en": "Guide"},
    "switch_lang": {"zh": "English", "en": "中文"},
    "offline_note": {"zh": "只在你的电脑上运行：短信不会离开这台设备。",
                     "en": "Runs only on this computer: nothing leaves it."},
    # check
    "check_title": {"zh": "这条短信是什么？", "en": "What is this message?"},
    "check_intro": {"zh": "把收到的短信粘贴到下面，几秒内告诉你：是什么、有多大风险、为什么、"
                          "可能违反哪些规定、下一步怎么做。",
                    "en": "Paste the message below to learn what it is, how risky it is, why, which rules it may "
                          "break and what to do next."},
    "text_label": {"zh": "短信内容", "en": "Message text"},
    "text_placeholder": {"zh": "粘贴短信全文", "en": "Paste the whole message"},
    "more_fields": {"zh": "发送号码和时间（可选）", "en": "Sender and time (optional)"},
    "sender_label": {"zh": "发送号码", "en": "Sender number"},
    "at_label": {"zh": "收到时间", "en": "Time received"},
    "submit_check": {"zh": "检查", "en": "Check"},
    "empty_text": {"zh": "请先粘贴短信内容。", "en": "Paste a message first."},
    "text_too_long": {"zh": "短信太长（最多 {n} 字）。", "en": "The message is too long (at most {n} characters)."},
    "bad_time": {"zh": "收到时间的格式不对，请用 2026-11-20T23:15 这样的格式。",
                 "en": "The time is not valid; use a form like 2026-11-20T23:15."},
    # verdict
    "verdict": {"zh": "判断结果", "en": "Verdict"},
    "scam_warning": {"zh": "很可能是诈骗：不要点链接、不要转账、不要给验证码。",
                     "en": "Very likely a scam: do not tap links, transfer money or give codes."},
    "tap_hint": {"zh": "点高亮的文字，查看对应的规则和分值。", "en": "Tap a highlight to see its rule and weight."},
    "rule": {"zh": "规则", "en": "Rule"},
    "weight": {"zh": "分值", "en": "Weight"},
    "received": {"zh": "收到于", "en": "Received"},
    "from": {"zh": "来自", "en": "From"},
    "binding": {"zh": "效力", "en": "Binding level"},
    "done_hint": {"zh": "做完一项就勾上（只在本页记录）。", "en": "Tick each step when done (kept on this page only)."},
    "read_guide": {"zh": "看指南", "en": "Read the guide"},
    "keep_evidence": {"zh": "保存为证据", "en": "Keep as evidence"},
    "make_letter": {"zh": "用它生成文书", "en": "Make a letter from it"},
    "check_another": {"zh": "再查一条", "en": "Check another"},
    "kept": {"zh": "已保存到证据库（编号 {id}）。", "en": "Kept in the evidence log (id {id})."},
    "kept_duplicate": {"zh": "这条短信已经在证据库里（编号 {id}）。", "en": "Already in the evidence log (id {id})."},
    "show_all_laws": {"zh": "全部 {n} 条规定", "en": "All {n} rules"},
    # guide
    "guide_title": {"zh": "指南：常见问题", "en": "Guide: common questions"},
    "search": {"zh": "搜索", "en": "Search"},
    "search_placeholder": {"zh": "例如：紧急联系人", "en": "e.g. emergency contact"},
    "no_hits": {"zh": "没有找到和“{q}”相关的主题。", "en": "No topic matches “{q}”."},
    "hits": {"zh": "和“{q}”相关的主题：", "en": "Topics about “{q}”:"},
    "related": {"zh": "相关主题", "en": "Related"},
    "all_topics": {"zh": "全部主题", "en": "All topics"},
    "questions": {"zh": "常见问法", "en": "People ask"},
    # evidence
    "evidence_title": {"zh": "证据", "en": "Evidence"},
    "evidence_missing": {"zh": "证据库功能还没有安装。", "en": "The evidence store is not available."},
    "import_title": {"zh": "导入手机短信备份", "en": "Import a phone backup"},
    "import_help": {"zh": "支持 Android “SMS Backup & Restore” 的 XML、iPhone 的 sms.db、CSV 和 JSONL，"
                          "最大 {mb} MB。文件只保存在本机。",
                    "en": "Android “SMS Backup & Restore” XML, iPhone sms.db, CSV or JSONL, up to {mb} MB. "
                          "The file stays on this computer."},
    "choose_file": {"zh": "选择文件", "en": "Choose a file"},
    "upload": {"zh": "导入", "en": "Import"},
    "uploading": {"zh": "正在上传…", "en": "Uploading…"},
    "importing": {"zh": "正在导入和校验…", "en": "Importing and checking…"},
    "bad_type": {"zh": "不支持这种文件（只接受 {exts}）。", "en": "This kind of file is not supported (only {exts})."},
    "too_big": {"zh": "文件太大（最大 {mb} MB）。", "en": "The file is too large (at most {mb} MB)."},
    "no_file": {"zh": "请选择一个文件。", "en": "Choose a file first."},
    "import_done": {"zh": "导入完成：新增 {added} 条，重复 {dupes} 条，无法读取 {rejected} 条。",
                    "en": "Imported: {added} new, {dupes} duplicates, {rejected} unreadable."},
    "import_failed": {"zh": "导入失败：{error}", "en": "Import failed: {error}"},
    "messages": {"zh": "短信", "en": "Messages"},
    "filter": {"zh": "筛选", "en": "Filter"},
    "all": {"zh": "全部", "en": "All"},
    "text_contains": {"zh": "包含文字", "en": "Text contains"},
    "since": {"zh": "从", "en": "From"},
    "until": {"zh": "到", "en": "Until"},
    "no_messages": {"zh": "还没有短信。", "en": "No messages yet."},
    "prev": {"zh": "上一页", "en": "Previous"},
    "next": {"zh": "下一页", "en": "Next"},
    "cases": {"zh": "案件", "en": "Cases"},
    "stats_line": {"zh": "{messages} 条记录 · {senders} 个号码 · {cases} 个案件",
                   "en": "{messages} records · {senders} numbers · {cases} cases"},
    "with_pdf": {"zh": "含 PDF 报告", "en": "with the PDF report"},
    "no_cases": {"zh": "还没有案件。", "en": "No cases yet."},
    "new_case": {"zh": "新建案件", "en": "New case"},
    "case_title": {"zh": "案件名称", "en": "Case title"},
    "case_notes": {"zh": "备注", "en": "Notes"},
    "case_with_filtered": {"zh": "包含当前筛选出的短信", "en": "Include the messages listed"},
    "create": {"zh": "创建", "en": "Create"},
    "status": {"zh": "状态", "en": "Status"},
    "set_status": {"zh": "更新", "en": "Update"},
    "timeline": {"zh": "时间线", "en": "Timeline"},
    "per_day": {"zh": "每天", "en": "Per day"},
    "per_hour": {"zh": "按钟点（灰色为夜间 22:00—8:00）", "en": "By hour (grey: night, 22:00–08:00)"},
    "per_sender": {"zh": "按号码", "en": "By sender"},
    "night_count": {"zh": "夜间短信：{n} 条", "en": "Night-time messages: {n}"},
    "verify": {"zh": "校验完整性", "en": "Verify integrity"},
    "verify_ok": {"zh": "完整：{count} 条记录的哈希链没有被改动（链头 {head}）。",
                  "en": "Intact: the hash chain of {count} records is unbroken (head {head})."},
    "verify_bad": {"zh": "发现问题：", "en": "Problems found:"},
    "package": {"zh": "下载证据包", "en": "Download the evidence package"},
    "package_help": {"zh": "报告（HTML 和 PDF，含图表）、原始短信和哈希清单，打包为 zip。",
                     "en": "Report (HTML and PDF with charts), the raw messages and a manifest of hashes, as a zip."},
    "message": {"zh": "短信", "en": "Message"},
    "case": {"zh": "案件", "en": "Case"},
    "all_messages": {"zh": "全部短信", "en": "All messages"},
    # letters
    "letters_title": {"zh": "文书", "en": "Letters"},
    "letters_missing": {"zh": "文书功能还没有安装。", "en": "Letters are not available."},
    "letters_intro": {"zh": "填几项个人信息，生成可以直接发送的文书。信息只用于生成文件，不会保存或发送。",
                      "en": "Fill in a few details to make letters ready to send. They are used only to make the "
                            "file; nothing is kept or sent."},
    "letter_kind": {"zh": "文书类型", "en": "Letter"},
    "format": {"zh": "格式", "en": "Format"},
    "preview": {"zh": "预览", "en": "Preview"},
    "download": {"zh": "下载", "en": "Download"},
    "from_message": {"zh": "依据的短信", "en": "Based on the message"},
    # errors
    "error": {"zh": "出错了", "en": "Something went wrong"},
    "not_found": {"zh": "没有这个页面。", "en": "Page not found."},
    "csrf_failed": {"zh": "表单已过期或来源不明，请返回刷新后再试。",
                    "en": "The form expired or came from elsewhere. Go back, reload and try again."},
    "back_home": {"zh": "回到首页", "en": "Back to the start"},
}


def t(key: str, lang: str, **kw: object) -> str:
    entry = STRINGS.get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry["zh"]
    return text.format(**kw) if kw else text
