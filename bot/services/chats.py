"""Channels and groups (issue 15): the newsroom's channels linked to topics, groups that follow
topics, and what the bot's membership there means for posting.

A channel is linked by an editor (`newsbot channels add @name_or_id TOPIC_SLUG…`, or `/channels
add …` in the admin chat): the bot must be an administrator there allowed to post, which Telegram
is asked (getChat, getChatMember) before anything is stored. A group is subscribed by one of its
administrators with /topics in the group. Either is a reader row with the chat's id (bot.store
ChatStore), so its posts go through the one durable delivery queue.

Membership: the bot removed, banned, restricted or no longer allowed to post pauses the chat
(nothing retried, subscriptions kept) and the admins are told; added back with the right to post,
it resumes with new items only.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from telegram import Bot, ChatMember, ChatMemberAdministrator, ChatMemberRestricted
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.models import ChatKind, NewsChat, ReaderStatus
from bot.services.newsroom import Newsroom, Refused
from bot.services.reading import Reading, TopicsPage
from bot.store.protocols import NewsStore

_USERNAME = re.compile(r"@[A-Za-z][A-Za-z0-9_]{3,31}")
_CHAT_ID = re.compile(r"-?\d{1,16}")
MEMBER_REFRESH_LIMIT = 200  # chats whose member counts /stats asks Telegram for at most

Event = Literal["added", "paused", "resumed"]
# Why a chat was paused: the bot left or was removed, banned, may not post (a channel's
# administrator without «Post messages», restricted in a group), or Telegram refused a post.
Reason = Literal["left", "kicked", "cannot_post", "restricted", "refused"]


@dataclass(frozen=True, slots=True)
class MembershipNotice:
    """What a change of the bot's membership did, for the people to tell."""

    event: Event
    chat: NewsChat
    reason: Reason | None
    tell: tuple[int, ...]  # user ids: the editors (NEWSBOT_ADMINS) and whoever linked the chat


def chat_kind(telegram_type: str) -> ChatKind | None:
    """A Telegram chat type as the store's kind; None for a private chat or anything else."""
    try:
        kind = ChatKind(telegram_type)
    except ValueError:
        return None
    return None if kind is ChatKind.PRIVATE else kind


def may_post(kind: ChatKind, member: ChatMember) -> Reason | None:
    """None when the bot, as `member`, may post in a chat of `kind`; else why not."""
    status = member.status
    if status == ChatMember.BANNED:
        return "kicked"
    if status == ChatMember.LEFT:
        return "left"
    if kind is ChatKind.CHANNEL:
        if isinstance(member, ChatMemberAdministrator) and member.can_post_messages:
            return None
        return "cannot_post"
    if isinstance(member, ChatMemberRestricted) and not (member.is_member and member.can_send_messages):
        return "restricted" if member.is_member else "left"
    return None


class Chats:
    """Channels and groups over the store; `admins` are NEWSBOT_ADMINS (told about pauses)."""

    def __init__(self, store: NewsStore, reading: Reading, admins: frozenset[int] = frozenset()) -> None:
        self.store = store
        self.reading = reading
        self.admins = admins
        self.newsroom = Newsroom(store)

    # -- the newsroom's channels -----------------------------------------------------------------

    async def link_channel(self, bot: Bot, ref: str, slugs: Sequence[str], linked_by: int | None = None) -> NewsChat:
        """Link the channel `ref` (@username or its -100… id) to these topics, once Telegram says
        the bot may post there. Refused (nothing stored) for a malformed or unknown channel, a
        private chat or a group, the bot not an administrator allowed to post, an unknown topic."""
        target = _target(ref)
        if not slugs:
            raise Refused("no_topics", ref, "name at least one topic slug (see `newsbot topics list`)")
        topics = [await self.newsroom.topic(slug) for slug in slugs]
        try:
            found = await bot.get_chat(target)
        except (BadRequest, Forbidden) as exc:
            raise Refused("no_chat", ref, f"{ref}: no such channel, or the bot cannot see it ({exc.message})") from None
        if found.type == "private":
            raise Refused("private_chat", ref, f"{ref} is a person's private chat, not a channel")
        if found.type != "channel":
            raise Refused(
                "not_channel", ref, f"{ref} is a {found.type}, not a channel (a group subscribes with /topics there)"
            )
        try:
            member = await bot.get_chat_member(found.id, bot.id)
        except (BadRequest, Forbidden) as exc:
            raise Refused("not_admin", ref, _NOT_ADMIN.format(ref=ref, why=exc.message)) from None
        if may_post(ChatKind.CHANNEL, member) is not None:
            raise Refused("not_admin", ref, _NOT_ADMIN.format(ref=ref, why=f"its status there is {member.status}"))
        chat = await self.store.chats.save(found.id, ChatKind.CHANNEL, found.title, found.username, linked_by=linked_by)
        if chat.status is ReaderStatus.BLOCKED:
            await self.store.chats.resume(chat.id)
        elif chat.status is not ReaderStatus.ACTIVE:
            await self.store.readers.set_status(chat.id, ReaderStatus.ACTIVE)
        for topic in topics:
            await self.store.subscriptions.subscribe(chat.id, topic.id)
        await self._count_members(bot, chat.id)
        linked = await self.store.chats.get(chat.id)
        assert linked is not None  # just saved
        return linked

    async def unlink_channel(self, ref: str) -> NewsChat:
        """No more posts to the channel `ref`; refused when it is not linked."""
        target = _target(ref)
        found = (
            await self.store.chats.by_username(target)
            if isinstance(target, str)
            else await self.store.chats.get(target)
        )
        if (
            found is None
            or found.kind is not ChatKind.CHANNEL
            or found.status in (ReaderStatus.STOPPED, ReaderStatus.GONE)
        ):
            raise Refused("not_linked", ref, f"{ref} is not a linked channel (see `newsbot channels list`)")
        await self.store.chats.unlink(found.id)
        return found

    async def channels(self) -> list[NewsChat]:
        """The linked channels (posting or paused), with their topics."""
        return [c for c in await self.store.chats.all() if c.kind is ChatKind.CHANNEL and _linked(c)]

    async def refresh_members(self, bot: Bot) -> None:
        """Ask Telegram how many members each linked channel and group has (for /stats)."""
        chats = [c for c in await self.store.chats.all() if c.status is ReaderStatus.ACTIVE]
        for start in range(0, min(len(chats), MEMBER_REFRESH_LIMIT), 20):
            await asyncio.gather(*(self._count_members(bot, c.id) for c in chats[start : start + 20]))

    async def _count_members(self, bot: Bot, chat_id: int) -> None:
        try:
            members = await bot.get_chat_member_count(chat_id)
        except TelegramError:
            return  # members are shown where Telegram reports them
        await self.store.chats.set_members(chat_id, members)

    # -- groups ------------------------------------------------------------------------------------

    async def group_topics(
        self, chat_id: int, kind: ChatKind, title: str | None, username: str | None, admin_id: int, page: int = 0
    ) -> TopicsPage:
        """A group administrator's /topics: the group is stored (posting again if it was paused
        or its topics were all removed) and its topics shown."""
        chat = await self.store.chats.save(chat_id, kind, title, username, linked_by=admin_id)
        if chat.status is ReaderStatus.STOPPED:
            await self.store.readers.set_status(chat_id, ReaderStatus.ACTIVE)
        return await self.reading.topics(chat_id, page)

    async def group_page(self, chat_id: int, page: int) -> TopicsPage:
        return await self.reading.topics(chat_id, page)

    async def toggle_group_topic(self, chat_id: int, topic_id: int) -> bool | None:
        """Follow or stop following a topic in the group; None for an unknown topic or group."""
        if await self.store.chats.get(chat_id) is None:
            return None
        return await self.store.subscriptions.toggle(chat_id, topic_id)

    async def migrated(self, old_id: int, new_id: int) -> NewsChat | None:
        """A group became a supergroup (migrate_to_chat_id): its subscriptions move to the new id."""
        return await self.store.chats.migrate(old_id, new_id)

    # -- membership ----------------------------------------------------------------------------------

    async def membership(
        self,
        chat_id: int,
        kind: ChatKind,
        title: str | None,
        username: str | None,
        member: ChatMember,
        by_user: int | None,
    ) -> MembershipNotice | None:
        """The bot's membership changed (my_chat_member): pause, resume or note a new group."""
        reason = may_post(kind, member)
        known = await self.store.chats.get(chat_id)
        if reason is not None:
            if known is None or not await self.store.chats.pause(chat_id, reason):
                return None
            return self._notice("paused", known, reason)
        if known is None:
            if not kind.is_group:
                return None  # a channel is posted to once an editor links it
            chat = await self.store.chats.save(chat_id, kind, title, username, linked_by=by_user)
            return self._notice("added", chat, None)
        chat = await self.store.chats.save(chat_id, kind, title, username)
        if await self.store.chats.resume(chat_id):
            return self._notice("resumed", chat, None)
        return None

    async def delivery_refused(self, chat_id: int, reason: Reason) -> MembershipNotice | None:
        """Telegram refused a post (the bot removed, no right to post): pause, once."""
        chat = await self.store.chats.get(chat_id)
        if chat is None or not await self.store.chats.pause(chat_id, reason):
            return None
        return self._notice("paused", chat, reason)

    def _notice(self, event: Event, chat: NewsChat, reason: Reason | None) -> MembershipNotice:
        tell = sorted(self.admins | ({chat.linked_by} if chat.linked_by else set()))
        return MembershipNotice(event, chat, reason, tuple(tell))


_NOT_ADMIN = (
    "{ref}: the bot is not an administrator allowed to post there ({why}); make it an administrator "
    "with the right «Post messages», then try again"
)


def _target(ref: str) -> str | int:
    """A channel reference as Telegram takes it: '@username' or a negative id."""
    ref = ref.strip()
    if _USERNAME.fullmatch(ref):
        return ref
    if _CHAT_ID.fullmatch(ref):
        chat_id = int(ref)
        if chat_id > 0:
            raise Refused("private_chat", ref, f"{ref} is a person's private chat (a positive id), not a channel")
        return chat_id
    raise Refused("bad_channel", ref, f"{ref!r} is neither @username (5-32 letters, digits, _) nor a channel id")


def _linked(chat: NewsChat) -> bool:
    return chat.status in (ReaderStatus.ACTIVE, ReaderStatus.BLOCKED)
