"""/follow WORD, /mute WORD, the search results' «🔔 تابع «…»» and the words in /mysubs, through the
emulator: a short Arabic answer for every bad input, nothing stored twice, at most 20 of each."""

from __future__ import annotations

import pytest

from bot.devtools.harness import BotHarness
from bot.models import WordKind


async def words_of(harness: BotHarness, reader_id: int) -> list[tuple[str, str]]:
    return [(w.kind.value, w.text) for w in await harness.news.store.words.of_reader(reader_id)]


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("/mute", "اكتب الكلمة بعد الأمر"),
        ("/follow ب", "قصيرة جدًا"),
        ("/mute ؟!…", "لا حروف"),
        ("/follow 🔥🔥 🎉", "لا حروف"),
        ("/follow " + "ا" * 200, "طويلة جدًا"),
        ("/follow <b>غزة</b>", "بلا وسوم"),
        ("/follow &lt;غزة", "بلا وسوم"),
        ("/mute \u202eغزة", "رموز خفية"),
        ("/follow غزة\u2066", "رموز خفية"),
        ("/follow واحد اثنان ثلاثة أربعة خمسة ستة سبعة", "6 كلمات على الأكثر"),
    ],
)
async def test_bad_words_get_a_short_arabic_answer_and_nothing_is_stored(
    harness: BotHarness, sent: str, expected: str
) -> None:
    reply = await harness.reader(801).send(sent)
    assert expected in reply.text, reply.text
    assert len(reply.text) < 200
    assert await words_of(harness, 801) == []
    assert harness.emulator.refusals == []


async def test_a_word_is_kept_once_and_at_most_twenty_of_each_kind(harness: BotHarness) -> None:
    reader = harness.reader(802)
    assert "✅ تتابع الآن «محمد صلاح»" in (await reader.send("/follow   محمد   صلاح")).text
    again = await reader.send("/follow مُحمّد صلاح")  # the same words, with tashkeel
    assert "من قبل" in again.text
    assert "✅ أخفيت «محمد صلاح»" in (await reader.send("/mute محمد صلاح")).text  # another list
    for n in range(19):
        await reader.send(f"/follow مدينة{n}")
    assert len([k for k, _ in await words_of(harness, 802) if k == "follow"]) == 20
    full = await reader.send("/follow الرقة")
    assert "وصلت إلى الحد: 20 كلمة" in full.text and "/mysubs" in full.text
    assert ("follow", "الرقة") not in await words_of(harness, 802)
    assert "✅ أخفيت" in (await reader.send("/mute كرة القدم")).text  # mutes have their own 20
    assert harness.emulator.refusals == []


async def test_mysubs_lists_words_and_removes_them_in_place(harness: BotHarness) -> None:
    reader = harness.reader(803)
    await reader.send("/follow الرقة")
    await reader.send("/mute كرة القدم")
    shown = await reader.send("/mysubs")
    assert "🔔 كلمات تتابعها" in shown.text and "الرقة" in shown.text
    assert "🔕 كلمات أخفيتها" in shown.text and "كرة القدم" in shown.text
    labels = [label for label, _ in shown.buttons()]
    assert labels == ["❌ 🔔 الرقة", "❌ 🔕 كرة القدم"]
    assert all(len(data.encode()) <= 64 for _, data in shown.buttons())
    older = await reader.send("/mysubs")
    removed = await reader.press("❌ 🔔 الرقة", message_id=shown.sent[0].message_id)
    assert [e.message_id for e in removed.edited] == [shown.sent[0].message_id]
    assert "الرقة" not in removed.text and "كرة القدم" in removed.text
    assert await words_of(harness, 803) == [("mute", "كرة القدم")]
    # the same button on an older message: nothing to remove, a short notice
    stale = await reader.press("❌ 🔔 الرقة", message_id=older.sent[0].message_id)
    assert stale.callback_answer is not None and stale.callback_answer["text"]
    following = await reader.send("/follow الرقة")  # followed again after removal
    assert "✅ تتابع الآن" in following.text
    assert await words_of(harness, 803) == [("mute", "كرة القدم"), ("follow", "الرقة")]
    assert harness.emulator.refusals == []


async def test_search_results_offer_to_follow_the_words(harness: BotHarness) -> None:
    reader = harness.reader(804)
    results = await reader.send("/search غزة")
    labels = [label for label, _ in results.buttons()]
    assert "🔔 تابع «غزة»" in labels
    followed = await reader.press("🔔 تابع «غزة»")
    assert "✅ تتابع الآن «غزة»" in followed.text
    assert await words_of(harness, 804) == [("follow", "غزة")]
    again = await reader.press("🔔 تابع «غزة»")
    assert "من قبل" in again.text
    assert [w.kind for w in await harness.news.store.words.of_reader(804)] == [WordKind.FOLLOW]
    # no results: following the words is still offered (future items)
    none = await reader.send("/search كلمةلاتوجد")
    assert "🔔 تابع «كلمةلاتوجد»" in [label for label, _ in none.buttons()]
    # a query that cannot be a word (one letter) gets no such button
    short = await reader.send("/search ب")
    assert not [label for label, _ in short.buttons() if label.startswith("🔔")]
    assert harness.emulator.refusals == []


async def test_follow_without_a_word_keeps_its_answer(harness: BotHarness) -> None:
    reply = await harness.reader(805).send("/follow")
    assert "أين يمكنك متابعتنا" in reply.text
    assert await words_of(harness, 805) == []
