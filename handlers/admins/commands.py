"""Editors' commands, only for the ids in NEWSBOT_ADMINS: /stats, /broadcast and /urgent (with a
confirmation), /ingest URL."""

from __future__ import annotations

import re
import secrets

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.ingest.reasons import arabic_reason
from bot.runtime.context import NewsContext
from bot.services.editors import BROADCAST_LIMIT, BroadcastPlan, BroadcastRefused, BroadcastRequest

BROADCAST_DATA = re.compile(r"^bc:(ok|no):([A-Za-z0-9_-]{1,16})$")
_DRAFTS = "broadcast_drafts"
# /broadcast [--item ID] [--topic SLUG]… [--at TIME] TEXT: the options of `newsbot broadcast`, before the text
_OPTION = re.compile(r"^--(item|topic|at)[ \t]+(\S+)[ \t]*(\n?)")
_CLOCK_AFTER_DAY = re.compile(r"^(\d{1,2}:\d{2}(?::\d{2})?)[ \t]*(\n?)")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_broadcast(rest: str) -> BroadcastRequest | None:
    """The options before the text; None when an option is not one of them (the usage is shown)."""
    item: str | None = None
    topics: list[str] = []
    at: str | None = None
    rest = rest.strip()
    while rest.startswith("--"):
        option = _OPTION.match(rest)
        if option is None:
            return None
        name, value = option[1], option[2]
        rest = rest[option.end() :]
        if name == "at" and _DAY.match(value) and (clock := _CLOCK_AFTER_DAY.match(rest)):
            value, rest = f"{value} {clock[1]}", rest[clock.end() :]  # «--at 2026-12-01 18:30»
        if name == "item":
            item = value
        elif name == "topic":
            topics.append(value)
        else:
            at = value
        rest = rest.lstrip(" \t\n")
    if item is not None and not item.isdigit():
        raise BroadcastRefused("unknown_item", item)
    return BroadcastRequest(rest.strip(), int(item) if item is not None else None, tuple(topics), at)


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


def _confirm_keyboard(token: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("✅ أرسل", callback_data=f"bc:ok:{token}"),
                InlineKeyboardButton("✖️ إلغاء", callback_data=f"bc:no:{token}"),
            ]
        ]
    )


def _draft(context: NewsContext, draft: tuple[str, BroadcastPlan]) -> str:
    """Keep a checked plan until the editor confirms it; the token goes in the buttons' data."""
    token = secrets.token_urlsafe(6)
    drafts: dict[str, tuple[str, BroadcastPlan]] = (
        context.chat_data if context.chat_data is not None else {}
    ).setdefault(_DRAFTS, {})
    drafts[token] = draft
    return token


async def broadcast(update: Update, context: NewsContext) -> None:
    """/broadcast [--item ID] [--topic SLUG]… [--at TIME] نص: a preview with the readers it reaches
    (and the cost when paid) and «أرسل» / «إلغاء»; nothing is recorded before the confirmation."""
    message = update.effective_message
    if not await _admin(update, context) or message is None or message.text is None:
        return
    _, _, rest = message.text.partition(" ")
    render = context.renderer.render
    try:
        request = parse_broadcast(rest)
        if request is None or (not request.text and request.item_id is None and not rest.strip()):
            await message.reply_text(render("broadcast_usage.html.j2", too_long=False, limit=BROADCAST_LIMIT))
            return
        plan = await context.editors.plan_broadcast(request)
    except BroadcastRefused as exc:
        await message.reply_text(render("broadcast_refused.html.j2", code=exc.code, subject=exc.subject))
        return
    token = _draft(context, ("broadcast", plan))
    await message.reply_text(
        render("broadcast_confirm.html.j2", plan=plan, urgent=False), reply_markup=_confirm_keyboard(token)
    )


async def urgent(update: Update, context: NewsContext) -> None:
    """/urgent ID: send a stored item to its subscribers as breaking news, before routine pushes
    (`newsbot items urgent ID`), after a confirmation showing whom it reaches and the cost when paid."""
    message = update.effective_message
    if not await _admin(update, context) or message is None:
        return
    args = context.args or []
    render = context.renderer.render
    try:
        if len(args) != 1 or not args[0].isdigit():
            raise BroadcastRefused("unknown_item", " ".join(args))
        plan = await context.editors.plan_urgent(int(args[0]))
    except BroadcastRefused as exc:
        await message.reply_text(render("broadcast_refused.html.j2", code=exc.code, subject=exc.subject))
        return
    token = _draft(context, ("urgent", plan))
    await message.reply_text(
        render("broadcast_confirm.html.j2", plan=plan, urgent=True), reply_markup=_confirm_keyboard(token)
    )


async def broadcast_answer(update: Update, context: NewsContext) -> None:
    """The confirmation buttons: store the broadcast (durable) or mark the item urgent, or drop the draft."""
    query = update.callback_query
    if query is None:
        return
    match = BROADCAST_DATA.match(query.data or "")
    if not context.news.is_admin(query.from_user.id) or match is None:
        await query.answer(context.renderer.render_plain("admin_button.html.j2", view="editors_only"))
        return
    choice, token = match.groups()
    drafts: dict[str, tuple[str, BroadcastPlan]] = (context.chat_data or {}).get(_DRAFTS, {})
    draft = drafts.pop(token, None)
    if draft is None:
        await query.answer(context.renderer.render_plain("admin_button.html.j2", view="expired", command="broadcast"))
        return
    kind, plan = draft
    render = context.renderer.render
    if choice != "ok":
        result = render("broadcast_result.html.j2", sent=False)
    elif kind == "urgent" and plan.article is not None:
        try:
            marked = await context.editors.mark_urgent(plan.article.id, query.from_user.id)
            result = render("broadcast_result.html.j2", sent=True, urgent=True, broadcast_id=marked.article.id)
        except BroadcastRefused as exc:
            result = render("broadcast_refused.html.j2", code=exc.code, subject=exc.subject)
    else:
        broadcast_id, recorded = await context.editors.send_broadcast(plan, query.from_user.id)
        result = render(
            "broadcast_result.html.j2", sent=True, broadcast_id=broadcast_id, recorded=recorded, send_at=plan.send_at
        )
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
