"""The text of a page of headlines (latest.html.j2, videos.html.j2, live.html.j2), remembered
across readers: every reader who turns to the same page at the same minute, with the same digits
and time zone, is shown the same text."""

from __future__ import annotations

from datetime import tzinfo

from bot.services.reading import Page
from bot.ui.render import Renderer


def headlines_text(renderer: Renderer, template_name: str, page: Page, ad: bool, tz: tzinfo, **values: str) -> str:
    """`template_name` rendered with the page, the reader's digits (`ad`) and time zone (`tz`) and
    `values`, as `Renderer.render` would; the times shown as «منذ …» are part of the key, so a page
    rendered a minute ago is rendered again once one of them reads differently."""
    key = (
        page.page,
        page.pages,
        page.total,
        page.size,
        tuple(page.items),
        ad,
        tz,
        tuple(sorted(values.items())),
        renderer.relative_times((item.published_at for item in page.items), ad, tz),
    )
    return renderer.render_remembered(template_name, key, page=page, ad=ad, tz=tz, **values)
