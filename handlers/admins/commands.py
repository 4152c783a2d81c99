"""Editors' commands, only for the ids in NEWSBOT_ADMINS: /stats, /broadcast (with a confirmation), /ingest URL."""

from __future__ import annotations

import re
import secrets

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.ingest.reasons import arabic_reason
from bot.runtime.context import NewsContext

BROADCAST_LIMIT = 3500  # characters of an admin's text; «عاجل» and the markup fit in 4096 with it
BROADCAST_DATA = re.compile(r"^bc:(ok|no):([A-Za-z0-9_-]{1,16})$")
_DRAFTS = "broadcast_drafts"


async def _admin(update: Update, context: NewsContext) -> bool:
    """True for an admin; anyone else is told the command is for editors."""
    user = update.effective_user
    if context.news.is_admin(user.id if user else None):
        return True
    if update.effective_message is not None:
        await update.effective_message.reply_text(context.renderer.render("admin_only.html.j2"))
    return False


async def stats(update: Update, context: NewsContext) -> None:
    if not await _admin(update, context) or update.effective_message is None:
        return
    await context.chats.refresh_members(context.bot)  # channels' and groups' members, as Telegram says
    raw = context.args[0] if context.args else "7"
    days = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 5 else 0
    report = await context.editors.reading(days, int(context.news.clock().timestamp()))
    numbers = await context.editors.stats()
    topics = [(name, n) for name, n in numbers.subscriptions_by_topic if n][:15]
    text = context.renderer.render("stats.html.j2", stats=numbers, topics=topics, report=report, raw_days=raw)
    await update.effective_message.reply_text(text)


async def broadcast(update: Update, context: NewsContext) -> None:
    """/broadcast نص: a preview with «أرسل» / «إلغاء»; nothing is recorded before the confirmation."""
    message = update.effective_message
    if not await _admin(update, context) or message is None or message.text is None:
        return
    _, _, text = message.text.partition(" ")
    text = text.strip()
    if not text or len(text) > BROADCAST_LIMIT:
        await message.reply_text(
            context.renderer.render("broadcast_usage.html.j2", too_long=bool(text), limit=BROADCAST_LIMIT)
        )
        return
    token = secrets.token_urlsafe(6)
    drafts: dict[str, str] = (context.chat_data if context.chat_data is not None else {}).setdefault(_DRAFTS, {})
    drafts[token] = text
    readers = await context.editors.active_readers()
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("✅ أرسل", callback_data=f"bc:ok:{token}"),
                InlineKeyboardButton("✖️ إلغاء", callback_data=f"bc:no:{token}"),
            ]
        ]
    )
    await message.reply_text(
        context.renderer.render("broadcast_confirm.html.j2", text=text, readers=readers), reply_markup=keyboard
    )


async def broadcast_answer(update: Update, context: NewsContext) -> None:
    """The confirmation buttons: record one delivery per active reader (durable), or drop the draft."""
    query = update.callback_query
    if query is None:
        return
    match = BROADCAST_DATA.match(query.data or "")
    if not context.news.is_admin(query.from_user.id) or match is None:
        await query.answer("هذا الزر للمحررين فقط.")
        return
    choice, token = match.groups()
    drafts: dict[str, str] = (context.chat_data or {}).get(_DRAFTS, {})
    text = drafts.pop(token, None)
    if text is None:
        await query.answer("انتهت صلاحية هذه المعاينة: أرسل /broadcast من جديد.")
        return
    if choice == "ok":
        broadcast_id, recorded = await context.editors.broadcast(text, query.from_user.id)
        result = context.renderer.render(
            "broadcast_result.html.j2", sent=True, broadcast_id=broadcast_id, recorded=recorded
        )
    else:
        result = context.renderer.render("broadcast_result.html.j2", sent=False, broadcast_id=0, recorded=0)
    await query.answer()
    await query.edit_message_text(result)


async def ingest(update: Update, context: NewsContext) -> None:
    """/ingest URL: store the feed's or page's items now; new ones are pushed at the next round."""
    message = update.effective_message
    if not await _admin(update, context) or message is None:
        return
    sources = [a for a in (context.args or []) if a.startswith(("http://", "https://"))]
    if not sources:
        await message.reply_text(context.renderer.render("admin_ingest.html.j2", usage=True))
        return
    report = await context.editors.ingest(sources[0])
    await message.reply_text(
        context.renderer.render(
            "admin_ingest.html.j2",
            usage=False,
            source=sources[0],
            report=report,
            not_modified=bool(report.not_modified),
            failures=[(source, arabic_reason(reason, source)) for source, reason in report.failed_sources],
            rejections=[(p.item, arabic_reason(p.reason, p.source)) for p in report.rejected[:5]],
        )
    )
