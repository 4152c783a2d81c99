"""/search, the «🔎 بحث» button, paged results and inline mode, through the emulator."""

from __future__ import annotations

import pytest

from bot.devtools.harness import BotHarness


async def test_search_is_folded_and_best_first(harness: BotHarness) -> None:
    reader = harness.reader(801)
    folded = await reader.send("/search غزه")
    assert "🔎 نتائج البحث" in folded.text and "غزة" in folded.text
    exact = await reader.send("/search غزة")
    assert folded.text.split("\n", 2)[2] == exact.text.split("\n", 2)[2]
    israel = await reader.send("/search اسرائيل")
    assert "إسرائيل" in israel.text
    assert israel.buttons()[0][0] == "1"
    assert harness.emulator.refusals == []


async def test_search_button_takes_the_next_text_as_the_query(harness: BotHarness) -> None:
    reader = harness.reader(802)
    prompt = await reader.send("🔎 بحث")
    assert "اكتب الكلمات" in prompt.text
    assert (prompt.sent[0].reply_markup or {}).get("force_reply") is True
    results = await reader.send("سوريا")
    assert "🔎 نتائج البحث" in results.text and "سوريا" in results.text
    after = await reader.send("سوريا")  # the prompt is used once: plain text again gets the way forward
    assert "لم أفهم طلبك" in after.text
    assert harness.emulator.refusals == []


async def test_empty_query_explains_how_to_search(harness: BotHarness) -> None:
    reply = await harness.reader(803).send("/search")
    assert "اكتب /search ثم الكلمات" in reply.text
    assert harness.emulator.refusals == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("س" * 4000, "نص البحث طويل جدًا"),
        ("<b>غزة</b> & <script>", "غزة"),
        ("'; DROP TABLE articles; --", "لا نتائج"),
        ("\u200f\u202e\u2066غزة\u2069", "غزة"),
        ("🔥🔥🔥", "لا كلمات يمكن البحث عنها"),
        ("\x00\x07\x1b", "اكتب /search ثم الكلمات"),
        ('"NEAR(a b)" OR *', "لا نتائج"),
    ],
)
async def test_hostile_queries_get_a_clear_arabic_answer(harness: BotHarness, query: str, expected: str) -> None:
    reply = await harness.reader(804).send("/search " + query)
    assert expected in reply.text
    assert harness.emulator.refusals == []
    assert await harness.news.store.articles.count() > 0


async def test_search_results_are_paged_in_place(harness: BotHarness) -> None:
    reader = harness.reader(805)
    first = await reader.send("/search في")
    assert "صفحة 1 من" in first.text
    second = await reader.press("التالي")
    assert [e.message_id for e in second.edited] == [first.sent[0].message_id]
    assert "11. " in second.text
    assert harness.emulator.refusals == []


async def test_search_page_of_a_forgotten_query_says_so(harness: BotHarness) -> None:
    reader = harness.reader(806)
    first = await reader.send("/latest")
    reply = await reader.press_data(first.sent[0].message_id, "1:sr:99:1", strict=False)
    assert reply.callback_answer is not None and "ابحث من جديد" in (reply.callback_answer["text"] or "")
    assert reply.edited == []


async def test_inline_offers_articles_with_paging(harness: BotHarness) -> None:
    reader = harness.reader(807)
    latest = await reader.inline("")
    answer = latest.inline_answer
    assert answer is not None and len(answer["results"]) == 20 and answer["next_offset"] == "20"
    result = answer["results"][0]
    assert result["type"] == "article" and result["title"]
    assert result["input_message_content"]["parse_mode"] == "HTML"
    assert "<b>" in result["input_message_content"]["message_text"]
    found = await reader.inline("غزه")
    titles = [r["title"] for r in found.inline_answer["results"]]  # type: ignore[index]
    assert titles and any("غزة" in t for t in titles)
    assert harness.emulator.refusals == []


@pytest.mark.parametrize("query", ["x" * 5000, "\u202e<i>&amp;", "🔥", "#1", "#999999", "' OR 1=1"])
async def test_inline_never_errors(harness: BotHarness, query: str) -> None:
    reply = await harness.reader(808).inline(query)
    assert reply.inline_answer is not None and len(reply.inline_answer["results"]) <= 50
    assert harness.emulator.refusals == []


async def test_share_query_offers_exactly_that_article(harness: BotHarness) -> None:
    reply = await harness.reader(809).inline("#3")
    assert reply.inline_answer is not None
    assert [r["id"] for r in reply.inline_answer["results"]] == ["3"]
