"""Feed polling: a ``JobQueue`` job reads the RSS/Atom feeds into the archive on a schedule, off
the event loop, so new stories become answerable while the bot keeps answering."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta

from telegram.ext import ContextTypes

from bot.handlers import services_of
from bot.services import FeedPoll, Services
from index.errors import ReindexBusyError, WriterBusyError
from index.ingest import index_sources
from index.models import IndexReport

logger = logging.getLogger(__name__)

FEED_JOB = "feeds"
# The first poll comes once the bot is up and answering, not a whole interval later.
FIRST_POLL = timedelta(seconds=10)


async def poll_feeds(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The job: one poll of every feed, skipped while a /reindex or another process writes."""
    services = services_of(context)
    started = time.perf_counter()
    try:
        # The /reindex slot: one writer in this process, and /reindex says it is busy meanwhile.
        async with services.reindex_slot():
            report = await asyncio.to_thread(refresh_feeds, services)
    except ReindexBusyError:
        logger.info("feeds: poll skipped, a /reindex is running; next poll as scheduled")
        return
    except WriterBusyError:
        logger.info("feeds: poll skipped, another process is indexing; next poll as scheduled")
        return
    except Exception:
        # Logged here rather than by the update error handler: no chat to apologise to.
        logger.exception("feeds: poll failed; next poll as scheduled")
        record_polls(services, None)
        return
    record_polls(services, report)
    # Counts only: failure reasons name URLs, which may carry a private feed's key.
    logger.info(
        "feeds: %d polled in %.1f s: added %d, updated %d, unchanged %d, failed %d, notices %d",
        len(services.settings.feeds),
        time.perf_counter() - started,
        report.added,
        report.updated,
        report.unchanged,
        report.failed,
        len(report.notices),
    )


def record_polls(services: Services, report: IndexReport | None) -> None:
    """For /status: when each feed was last polled and whether it could be read."""
    polled = datetime.now(UTC)
    for feed in services.settings.feeds:
        failed = report is None or any(
            failure.where.startswith(feed) for failure in report.failures
        )
        services.feed_polls[feed] = FeedPoll(polled, failed)


def refresh_feeds(services: Services) -> IndexReport:
    """Read the feeds into the archive, then swap in the new index (blocking; call from a
    thread)."""
    settings = services.settings
    report = index_sources(settings.db_path, settings.feeds, options=settings.read_options)
    # Rebuilds only when the poll changed something; most polls change nothing.
    services.archive.reload()
    return report
