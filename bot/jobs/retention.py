"""The daily retention run: what each partnership's rules say is due is cleared."""

from __future__ import annotations

import logging

from bot.context import BotContext, PartnerbotApplication
from services.retention import RetentionReport

log = logging.getLogger(__name__)


async def apply_retention(context: BotContext) -> None:
    """Apply every partnership's retention rules (daily, and once at start-up)."""
    await run_retention(context.partnerbot)


async def run_retention(application: PartnerbotApplication) -> RetentionReport:
    """Clear what is due in the store, then drop the same drafts from the running bot's copy
    of people's data, which would otherwise write them back at the person's next update."""
    services = application.services
    now = services.clock()
    report = await services.retention.apply(now)
    expired = await services.retention.expired_drafts(application.user_data, now)
    for user_id, flows in expired.items():
        data = application.user_data[user_id]
        for flow in flows:
            data.pop(flow, None)
    if expired:
        application.mark_data_for_update_persistence(user_ids=list(expired))
    for count in report.counts:
        where = count.partnership.slug if count.partnership else "-"
        log.info("retention: %s %s: %s cleared", where, count.rule.value, count.count)
    return report
