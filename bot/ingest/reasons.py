"""Ingest reasons in Arabic, for editors' replies (/ingest).

Parsers and the fetcher give their reasons in English, for `newsbot ingest` and the log; an
editor in Telegram reads the same reason in Arabic. Each known reason is matched here once, its
values (addresses, numbers, dates) carried over; a reason not known here is shown after an Arabic
label, so nothing an editor needs is lost.
"""

from __future__ import annotations

import re

_KINDS = {
    "loopback": "الجهاز نفسه",
    "private": "شبكة خاصة",
    "link-local": "شبكة محلية",
    "multicast": "بث جماعي",
    "reserved": "نطاق محجوز",
    "unspecified": "عنوان غير محدد",
    "not public": "ليس على الإنترنت العامة",
}

_REASONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.DOTALL), arabic)
    for pattern, arabic in (
        (
            r"refused: (?P<host>\S+) resolves to (?P<ip>\S+), an internal address \((?P<kind>[^)]+)\)",
            "رُفض: الخادم {host} يشير إلى {ip}، وهو عنوان داخلي ({kind})",
        ),
        (r"refused: (?P<url>\S+) is not an http or https address", "رُفض: {url} ليس عنوان http أو https"),
        (r"refused: .*", "رُفض: عنوان غير صالح"),
        (r"(?:unreachable \(ConnectError: )?(?P<host>\S+) does not resolve", "لا يُعرف خادم بالاسم {host}"),
        (r"HTTP (?P<code>\d{3})\b.*", "أجاب الخادم بالخطأ HTTP {code}"),
        (r".*?(?P<cap>\d+)-byte cap", "المصدر أكبر من الحد المسموح ({cap} بايت)"),
        (r"(?:no complete answer within|timed out after) (?P<s>[\d.]+) s", "لم يُجب المصدر خلال {s} ثانية"),
        (r"more than (?P<n>\d+) redirects", "تحويلات كثيرة (أكثر من {n})"),
        (r"unreachable.*", "تعذّر الوصول إلى المصدر"),
        (r"empty source", "المصدر فارغ"),
        (r"binary content.*", "محتوى ثنائي، ليس مصدر أخبار"),
        (r"not UTF-8 text.*", "نص بترميز غير UTF-8"),
        (r"unknown content.*", "محتوى غير معروف: ليس خلاصة RSS/Atom ولا صفحة خبر ولا ملف بذور"),
        (r"malformed XML.*", "ملف XML تالف"),
        (r"not valid JSON.*", "ملف JSON غير صالح"),
        (r"a seed file is an object.*", "ملف البذور ليس بالشكل المتوقع"),
        (r"no title(?: \(.*\))?", "بلا عنوان"),
        (r"no (?:GUID|guid) and no (?:link|url)", "بلا معرّف (GUID) ولا رابط"),
        (r"date in the future \((?P<date>[^)]*)\)", "تاريخه في المستقبل ({date})"),
        (
            r"duplicate: item (?P<n>\d+) repeats the GUID of item (?P<m>\d+).*",
            "مكرر: العنصر {n} يكرر معرّف العنصر {m} في المصدر نفسه، فأُبقي الأول",
        ),
        (r"no article found on the page.*", "لا خبر في الصفحة: نصها الرئيسي قصير جدًا"),
        (r"no title on the page", "لا عنوان في الصفحة"),
        (r"no article: .*", "لا خبر في الصفحة"),
        (r"unparseable date.*", "تاريخ غير مقروء، فخُزّن بلا تاريخ"),
    )
)
_REDIRECTED = re.compile(r"^ \(redirected to (?P<url>\S+)\)")


def arabic_reason(reason: str, source: str | None = None) -> str:
    """`reason` in Arabic; `source` is the address the reason may start with («URL: …»)."""
    detail, after = reason, ""
    if source and detail.startswith(source):
        detail = detail[len(source) :]
        redirected = _REDIRECTED.match(detail)
        if redirected:
            after = f" (بعد التحويل إلى {redirected['url']})"
            detail = detail[redirected.end() :]
        detail = detail.removeprefix(":").strip()
    for pattern, arabic in _REASONS:
        match = pattern.fullmatch(detail)
        if match:
            values = {k: _KINDS.get(v, v) if k == "kind" else v for k, v in match.groupdict().items()}
            return arabic.format(**values) + after
    return f"خطأ: {detail}{after}"
