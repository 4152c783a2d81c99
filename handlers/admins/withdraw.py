"""/withdraw ID (editors only): a preview of the item with «اسحب» / «إلغاء»; on confirmation the item
is withdrawn (bot/delivery/corrections.py) and the editor sees, in Arabic, how many of its messages
were deleted, how many were too old to delete and how many pending pushes were cancelled."""

from __future__ import annotations

import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.delivery.corrections import MessageJobs, withdraw_item, withdraw_preview
from bot.runtime.context import NewsContext
from handlers.admins.commands import _admin

WITHDRAW_DATA = re.compile(r"^wd:(ok|no):([0-9]{1,18})$")


async def withdraw(update: Update, context: NewsContext) -> None:
    message = update.effective_message
    if not await _admin(update, context) or message is None:
        return
    args = context.args or []
    if len(args) != 1 or not args[0].isdigit() or len(args[0]) > 18:
        await message.reply_text(context.renderer.render("withdraw_usage.html.j2", unknown=False))
        return
    article_id = int(args[0])
    preview = await withdraw_preview(context.news, article_id)
    if preview is None:
        await message.reply_text(context.renderer.render("withdraw_usage.html.j2", unknown=True, article_id=article_id))
        return
    headline, sent = preview
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("🗑 اسحب", callback_data=f"wd:ok:{article_id}"),
                InlineKeyboardButton("✖️ إلغاء", callback_data=f"wd:no:{article_id}"),
            ]
        ]
    )
    await message.reply_text(
        context.renderer.render("withdraw_confirm.html.j2", article_id=article_id, headline=headline, sent=sent),
        reply_markup=keyboard,
    )


async def withdraw_answer(update: Update, context: NewsContext) -> None:
    """The confirmation buttons: withdraw now (deleting what Telegram still allows), or nothing."""
    query = update.callback_query
    if query is None:
        return
    match = WITHDRAW_DATA.match(query.data or "")
    if not context.news.is_admin(query.from_user.id) or match is None:
        await query.answer(context.renderer.render_plain("admin_button.html.j2", view="editors_only"))
        return
    choice, raw_id = match.groups()
    if choice == "no":
        await query.answer()
        await query.edit_message_text(context.renderer.render("withdraw_result.html.j2", report=None))
        return
    await query.answer(context.renderer.render_plain("admin_button.html.j2", view="withdrawing"))
    # Where delivery runs (the leader), its job runner and budget; elsewhere one over this process's budget.
    jobs = getattr(context.news.delivery, "jobs", None)
    if not isinstance(jobs, MessageJobs):
        jobs = MessageJobs(context.news, context.bot)
    report = await withdraw_item(context.news, jobs, int(raw_id))
    if report is None:
        await query.edit_message_text(
            context.renderer.render("withdraw_usage.html.j2", unknown=True, article_id=int(raw_id))
        )
        return
    await query.edit_message_text(context.renderer.render("withdraw_result.html.j2", report=report))
