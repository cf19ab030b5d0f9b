"""Load benchmark: the bot as a separate process, answering an open-loop arrival of questions
from private chats and groups over the tests' fake Telegram while an admin's /reindex rewrites
the archive; latency from the user's message to the bot's reply, against a run without the
reindex measured in the same session.

Run ``python -m bench.load [--smoke] [--seconds S] [--rate R] [--passages N] [--seed SEED]
[--baseline S] [--shared DIR]``.

The issue's setting: a 100,000-passage archive; for 60 s, 10 questions a second (Poisson
arrivals) spread over 50 private chats, plus one ``/ask@bot`` question every 5 s in each of 5
groups; every question answered, none rejected; p95 from the user's message to the bot's reply
at most 1 s, the bot's own rate limiter on (PTB's ``AIORateLimiter``) and the fake's flood
limits off.

Processes. This process hosts ``tests.fakebot.FakeTelegram`` (``limits=False``) on 127.0.0.1
and the load generator. The bot is ``python -m bot`` (what ``newsbot run`` runs), started from
this checkout with the environment a deployment sets: ``TELEGRAM_BASE_URL`` at the fake, a token
the fake accepts, ``NEWSBOT_DB`` at the bench's archive, ``NEWSBOT_ADMIN_IDS`` the admin user,
``NEWSBOT_SOURCES`` the folder of synthetic articles, ``NEWSBOT_LOG_LEVEL=WARNING`` (its log
goes to a file; lines at WARNING and above are counted and the first shown), and
``NEWSBOT_GROUP_COOLDOWN=4s``: a group gets a question every 5 s, and with the example
cooldown of 10 s a second question would wait its turn by design (and a fourth be told to ask
again), which would measure the cooldown, not the bot. The bot polls with getUpdates like any
deployment; it is counted as ready when a probe question is answered. It is stopped with SIGTERM
(killed if it has not exited 30 s later) whatever happens, before the fake stops.

Archive. N passages (default 100,000) of synthetic Indonesian text, written as JSONL articles
of five paragraphs (id, source, title, published, body; 1,000 articles a file), paragraphs from
``bench.scale.PassageGenerator`` over the word frequencies of ``../shared/corpus`` (the built-in
60 words when it is missing), each cut to at most 780 characters so the splitter makes it one
passage. ``newsbot index`` (the command line, in a subprocess) indexes them once before the bot
starts; its time is printed. Then every article's last paragraph is replaced by a new one in
the source files, so the reindex re-reads all of them and re-cleans, re-splits, re-analyses and
rewrites every article (20,000 at the default size) and swaps in the new index: the largest
honest reindex there is short of ``--rebuild``. The archive the bot answers from holds N
passages before and after it.

Questions. FacQA questions (valid and train) from ``../shared/dev/facqa``, in a seeded order;
without it, questions built from templates and words of the vocabulary (ranks 30 and beyond).
Their words are Indonesian news words, so a question's terms hit posting lists of realistic
lengths, but the synthetic passages have no topics: the bot answers or declines as it would.

Schedule. Open loop: every send time is fixed before the run and kept whatever the bot does.
Private questions arrive as a Poisson process of rate R (default 10/s) for S seconds (default
60), each to the next of 50 private chats in turn (round robin: a chat gets one about every
5 s); each of 5 groups gets ``/ask@bot <question>`` every 5 s from a random phase. One thread
sleeps until each send time and calls ``FakeTelegram.send``; how late it ever was is printed.
The reindex run starts with the admin's ``/reindex`` at t = 0 in their private chat. The
baseline run, before it, plays the first ``--baseline`` seconds (default 20) of the same
schedule with the same questions, in chats and groups of its own, without a reindex. Before
the baseline, 20 questions are asked one at a time, unmeasured, so both runs find the bot warm.

Latency. ``Message.at`` of the bot's reply minus that of the question, both the fake's
``time.monotonic()`` when it stored the message (the reply: when sendMessage was accepted; the
typing action before it does not count). In a group the reply is the bot's message replying to
the question (``replies_to``). In a private chat the bot does not quote, so replies are matched
to questions in order: the k-th bot message in the chat after the questions began answers the
k-th question. The bot handles updates concurrently, so when two questions of one chat are
waiting at once their latencies could be swapped; the table says how many questions were sent
while an earlier one in their chat was still unanswered (with round robin and sub-second
answers, none). A reply saying the group is busy, or the error handler's apology, counts as
turned away, not answered. Questions without a reply 10 s after the last send are unanswered.
Percentiles are linear interpolations (numpy) over the answered questions.

Reindex. Its duration is from the admin's ``/reindex`` to the final edit of the bot's progress
message into the summary ("Index updated: ..."), which the bot makes after the new index is
swapped in; the bench waits for it after the questions (up to 10 minutes) and fails if it never
comes. The table shows separately the questions sent while the reindex was running.

Also printed: the machine's load average (``os.getloadavg``) before, after each run and at the
end, since other jobs may share the 2 cores; the CPU seconds of the bot process, of its finished
children (the reindex's process and its workers) and of this process (fake server and generator) in
each run; every call the fake rejected. The ratio row is the reindex run's figure over the
baseline's. Exit status: 0 when every question was answered and no call was rejected, whether or
not the target is met (the table says so); 1 when questions were lost, turned away or rejected,
the reindex did not finish, or the bot died; 2 for missing data or bad options.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import metadata
from pathlib import Path

import numpy as np

from bench.report import format_table, positive
from bench.scale import (
    PassageGenerator,
    Vocabulary,
    builtin_vocabulary,
    corpus_vocabulary,
    git_commit,
    read_questions,
)
from bot.texts import ENGLISH_TEXTS, INDONESIAN_TEXTS
from tests.fakebot import Chat, FakeTelegram, Message, User

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = ROOT.parent / "shared"
EXIT_FAILED = 1
EXIT_USAGE = 2

DEFAULT_PASSAGES = 100_000
DEFAULT_SECONDS = 60.0
DEFAULT_RATE = 10.0
DEFAULT_BASELINE_SECONDS = 20.0
DEFAULT_SEED = 20_241_129
CHATS = 50
GROUPS = 5
GROUP_INTERVAL = 5.0  # seconds between two questions in one group
SMOKE_PASSAGES = 2_000
SMOKE_SECONDS = 5.0
SMOKE_RATE = 2.0
SMOKE_GROUPS = 2
SMOKE_BASELINE_SECONDS = 3.0

GROUP_COOLDOWN = "4s"  # NEWSBOT_GROUP_COOLDOWN: under GROUP_INTERVAL, so nobody queues
GRACE_SECONDS = 10.0  # after the last send, for the last answers
REINDEX_TIMEOUT = 600.0  # after the last send, for the reindex summary
STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
WARM_UP_QUESTIONS = 20
WARM_UP_TIMEOUT = 30.0
POLL_SECONDS = 0.05
TARGET_P95_S = 1.0
SHOWN_LOG_LINES = 40
SHOWN_ERRORS = 10
TIMELINE_WINDOWS = 6  # the reindex run's timeline, in this many windows of its seconds

PASSAGES_PER_ARTICLE = 5
ARTICLES_PER_FILE = 1_000
PARAGRAPH_CHARS = 780  # under the splitter's MAX_PASSAGE_CHARS (800): one passage a paragraph
TITLE_WORDS = 6
PUBLISHED_UNTIL = date(2026, 11, 28)
PUBLISHED_DAYS = 730
OUTLET = "bench-load"

TOKEN = "424242:load-bench-token"
BOT_USERNAME = "newsbot_load_bot"
ADMIN_ID = 7
WARM_UP_USER_ID = 8
# Users and groups of each run: ids from these bases, one block per run.
PRIVATE_BASE = 10_000
GROUP_ASKER_BASE = 20_000
GROUP_BASE = -1_000_000_000_000
RUN_BLOCK = 1_000

QUESTION_TEMPLATES = (
    "Apa yang terjadi dengan {0} {1}?",
    "Siapa {0} yang {1} {2}?",
    "Berapa {0} {1} di {2} tahun ini?",
    "Kapan {0} {1} dimulai?",
    "Mengapa {0} {1} {2}?",
    "Di mana {0} {1} berlangsung?",
)
# How the admin's (English) progress message begins once the reindex is over.
REINDEX_DONE = ENGLISH_TEXTS.reindex_done.split("{", 1)[0]
REINDEX_FAILED = ENGLISH_TEXTS.reindex_failed.split("{", 1)[0]
FIRST_QUESTION_WORD_RANK = 30  # skip the commonest words (yang, dan, di, ...) in templates
QUESTION_WORDS = 3_000  # template words come from the vocabulary's next this many
TEMPLATE_QUESTIONS = 2_000


# --- the archive ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    passages: int
    seconds: float
    rate: float
    baseline_seconds: float
    groups: int
    seed: int
    shared: Path

    @property
    def articles(self) -> int:
        return max(1, self.passages // PASSAGES_PER_ARTICLE)


def paragraphs(generator: PassageGenerator, count: int) -> list[str]:
    """Generated passages, each cut at a word to at most ``PARAGRAPH_CHARS`` characters."""
    texts = generator.passages(count)
    for number, text in enumerate(texts):
        if len(text) > PARAGRAPH_CHARS:
            texts[number] = text[: text.rindex(" ", 0, PARAGRAPH_CHARS)].rstrip(".") + "."
    return texts


def article_record(number: int, body: Sequence[str]) -> str:
    title = " ".join(body[1].split()[:TITLE_WORDS]).rstrip(".")
    published = PUBLISHED_UNTIL - timedelta(days=number % PUBLISHED_DAYS)
    record = {
        "id": f"load-{number:07d}",
        "source": OUTLET,
        "title": title[:1].upper() + title[1:],
        "published": published.isoformat(),
        "body": "\n\n".join(body),
    }
    return json.dumps(record, ensure_ascii=False)


def write_articles(plan: Plan, vocabulary: Vocabulary, sources: Path, changed: Path) -> int:
    """The articles as the first index reads them into ``sources``, and the same articles with
    a new last paragraph into ``changed`` (what the reindex will find); the file count."""
    first = PassageGenerator(vocabulary, np.random.default_rng([plan.seed, 1]))
    later = PassageGenerator(vocabulary, np.random.default_rng([plan.seed, 2]))
    sources.mkdir()
    changed.mkdir()
    files = 0
    for start in range(0, plan.articles, ARTICLES_PER_FILE):
        count = min(ARTICLES_PER_FILE, plan.articles - start)
        texts = paragraphs(first, count * PASSAGES_PER_ARTICLE)
        new_lasts = paragraphs(later, count)
        old_lines, new_lines = [], []
        for offset in range(count):
            body = texts[offset * PASSAGES_PER_ARTICLE : (offset + 1) * PASSAGES_PER_ARTICLE]
            old_lines.append(article_record(start + offset, body))
            new_lines.append(article_record(start + offset, [*body[:-1], new_lasts[offset]]))
        name = f"articles-{files:03d}.jsonl"
        (sources / name).write_text("\n".join(old_lines) + "\n", encoding="utf-8")
        (changed / name).write_text("\n".join(new_lines) + "\n", encoding="utf-8")
        files += 1
    return files


def clean_environment(**settings: str) -> dict[str, str]:
    """This process's environment without any bot setting, plus ``settings``; this checkout
    first on the import path."""
    keep = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "NEWSBOT_"))
    }
    path = os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH"))))
    return {**keep, "PYTHONPATH": path, **settings}


def newsbot_index(db: Path, sources: Path, workdir: Path) -> tuple[float, str]:
    """``newsbot index --db DB SOURCES`` from this checkout; seconds and its report."""
    command = [
        sys.executable,
        "-c",
        "from bot.cli import main; main(prog_name='newsbot')",
        "index",
        "--db",
        str(db),
        str(sources),
    ]
    started = time.perf_counter()
    completed = subprocess.run(
        command,
        cwd=workdir,
        env=clean_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(
            f"newsbot index failed (exit {completed.returncode}):\n{completed.stderr}"
        )
    return seconds, completed.stdout.strip()


def question_pool(plan: Plan, vocabulary: Vocabulary) -> tuple[list[str], str]:
    facqa = plan.shared / "dev" / "facqa"
    if (facqa / "questions-valid.jsonl").is_file() and (facqa / "questions-train.jsonl").is_file():
        pool = read_questions(facqa)
        return pool, f"FacQA valid+train, {len(pool):,} questions ({facqa})"
    rng = np.random.default_rng([plan.seed, 3])
    first = min(FIRST_QUESTION_WORD_RANK, len(vocabulary.words) // 2)
    words = [w for w in vocabulary.words[first:] if w.isalpha() and len(w) > 3] or list(
        vocabulary.words
    )
    questions = [
        QUESTION_TEMPLATES[int(rng.integers(len(QUESTION_TEMPLATES)))].format(
            *(words[int(i)] for i in rng.integers(0, min(len(words), QUESTION_WORDS), size=3))
        )
        for _ in range(TEMPLATE_QUESTIONS)
    ]
    return questions, (
        f"{len(questions):,} questions from templates and the vocabulary's words"
        f" (FacQA is missing at {facqa})"
    )


# --- the schedule --------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """One question of the schedule: when (seconds from the start), where, and what."""

    at: float
    group: bool
    chat: int  # the chat's number among the run's private chats or groups
    text: str


def schedule(plan: Plan, pool: Sequence[str]) -> list[Slot]:
    """The whole run's questions, in send order; the baseline plays its beginning."""
    rng = np.random.default_rng([plan.seed, 4])
    order = rng.permutation(len(pool))
    slots: list[Slot] = []
    at = float(rng.exponential(1 / plan.rate))
    while at < plan.seconds:
        slots.append(Slot(at, False, len(slots) % CHATS, ""))
        at += float(rng.exponential(1 / plan.rate))
    for group in range(plan.groups):
        phase = float(rng.uniform(0, GROUP_INTERVAL))
        slots.extend(
            Slot(at, True, group, "")
            for at in np.arange(phase, plan.seconds, GROUP_INTERVAL).tolist()
        )
    slots.sort(key=lambda slot: slot.at)
    return [
        Slot(slot.at, slot.group, slot.chat, pool[int(order[number % len(order)])])
        for number, slot in enumerate(slots)
    ]


@dataclass(frozen=True)
class Place:
    """The chats and users of one run."""

    private: list[tuple[Chat, User]]
    groups: list[tuple[Chat, User]]


def make_place(fake: FakeTelegram, run: int, groups: int) -> Place:
    private = []
    for number in range(CHATS):
        user = fake.user(PRIVATE_BASE + run * RUN_BLOCK + number, f"Pembaca {run}-{number}")
        private.append((fake.private_chat(user), user))
    in_groups = []
    for number in range(groups):
        user = fake.user(GROUP_ASKER_BASE + run * RUN_BLOCK + number, f"Anggota {run}-{number}")
        chat = fake.group(GROUP_BASE - run * RUN_BLOCK - number, f"Grup {run}-{number}")
        in_groups.append((chat, user))
    return Place(private, in_groups)


@dataclass(frozen=True)
class Sent:
    slot: Slot
    message: Message
    late: float  # seconds after its scheduled time that it was sent


def send_on_schedule(
    fake: FakeTelegram, slots: Sequence[Slot], place: Place, start: float
) -> list[Sent]:
    sent: list[Sent] = []
    for slot in slots:
        due = start + slot.at
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        if slot.group:
            chat, user = place.groups[slot.chat]
            text = f"/ask@{BOT_USERNAME} {slot.text}"
        else:
            chat, user = place.private[slot.chat]
            text = slot.text
        message = fake.send(chat, user, text)
        sent.append(Sent(slot, message, max(0.0, message.at - due)))
    return sent


# --- replies -------------------------------------------------------------------------------


def turned_away_prefixes() -> tuple[str, ...]:
    """How the bot's "group busy" and apology messages begin, in both languages."""
    return tuple(
        text.split("{", 1)[0]
        for texts in (ENGLISH_TEXTS, INDONESIAN_TEXTS)
        for text in (texts.group_busy, texts.sorry)
    )


@dataclass(frozen=True)
class Outcome:
    sent: Sent
    reply: Message | None
    turned_away: bool = False
    # Sent while an earlier question of the same private chat had no reply yet.
    overlapped: bool = False

    @property
    def answered(self) -> bool:
        return self.reply is not None and not self.turned_away

    @property
    def latency(self) -> float | None:
        return self.reply.at - self.sent.message.at if self.reply is not None else None


def private_replies(fake: FakeTelegram, chat: Chat, sent: Sequence[Sent]) -> list[Outcome]:
    """The k-th bot message in the chat after the first question answers the k-th question."""
    by_id = {item.message.message_id: item for item in sent}
    waiting: deque[Sent] = deque()
    outcomes: dict[int, Outcome] = {}
    overlapped: set[int] = set()
    first = min(by_id)
    for message in fake.messages_in(chat):
        if message.message_id < first:
            continue
        if message.message_id in by_id:
            if waiting:
                overlapped.add(message.message_id)
            waiting.append(by_id[message.message_id])
        elif message.from_bot and waiting:
            question = waiting.popleft()
            outcomes[question.message.message_id] = Outcome(question, message)
    for question in waiting:
        outcomes[question.message.message_id] = Outcome(question, None)
    return [
        Outcome(o.sent, o.reply, overlapped=o.sent.message.message_id in overlapped)
        for _, o in sorted(outcomes.items())
    ]


def outcomes_of(fake: FakeTelegram, sent: Sequence[Sent], place: Place) -> list[Outcome]:
    prefixes = turned_away_prefixes()
    outcomes: list[Outcome] = []
    for number, (chat, _) in enumerate(place.private):
        mine = [item for item in sent if not item.slot.group and item.slot.chat == number]
        if mine:
            outcomes.extend(private_replies(fake, chat, mine))
    for item in sent:
        if item.slot.group:
            chat, _ = place.groups[item.slot.chat]
            replies = fake.replies_to(chat, item.message)
            outcomes.append(Outcome(item, replies[0] if replies else None))
    return [
        Outcome(
            o.sent,
            o.reply,
            turned_away=o.reply is not None and o.reply.text.startswith(prefixes),
            overlapped=o.overlapped,
        )
        for o in sorted(outcomes, key=lambda o: o.sent.message.at)
    ]


def wait_until(predicate: Callable[[], bool], deadline: float) -> bool:
    """Polls ``predicate`` until it holds or ``deadline`` (time.monotonic) passes."""
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_SECONDS)


# --- the bot process -----------------------------------------------------------------------


@contextmanager
def bot_process(environment: Mapping[str, str], cwd: Path, log: Path) -> Iterator[BotProcess]:
    """``python -m bot`` running until the block ends; then SIGTERM, and a kill after
    ``STOP_TIMEOUT`` seconds."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            cwd=cwd,
            env=dict(environment),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        bot = BotProcess(process, log)
        try:
            yield bot
        finally:
            bot.stop()


@dataclass
class BotProcess:
    process: subprocess.Popen[bytes]
    log: Path
    exit_note: str = ""

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is not None:
            self.exit_note = f"the bot had exited by itself (code {self.process.returncode})"
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(STOP_TIMEOUT)
            self.exit_note = f"the bot exited with code {code} after SIGTERM"
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            self.exit_note = f"the bot did not exit {STOP_TIMEOUT:.0f} s after SIGTERM: killed"

    def cpu_seconds(self) -> tuple[float, float]:
        """CPU seconds (user + system) of the bot process, and of its children it has reaped
        (the reindex's worker processes once they exit)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            return 0.0, 0.0
        tick = os.sysconf("SC_CLK_TCK")
        # After the ")" that ends the command name: utime, stime, cutime, cstime are 12-15.
        own = (int(fields[11]) + int(fields[12])) / tick
        children = (int(fields[13]) + int(fields[14])) / tick
        return own, children

    def warnings(self) -> list[str]:
        """The log lines at WARNING or above, and anything else that is not a log line
        (tracebacks)."""
        try:
            lines = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return []
        return [line for line in lines if line.strip() and " INFO " not in line]


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- one run -------------------------------------------------------------------------------


@dataclass
class Reindex:
    command: Message
    seconds: float | None = None
    summary: str = ""
    finished_at: float | None = None


@dataclass
class RunResult:
    name: str
    started: float
    seconds: float
    outcomes: list[Outcome]
    late_max: float
    load_after: tuple[float, float, float]
    bot_cpu: tuple[float, float]
    own_cpu: float
    wall: float
    reindex: Reindex | None = None
    answered_later: int = 0
    during: list[Outcome] = field(default_factory=list)


def reindex_state(fake: FakeTelegram, admin_chat: Chat, reindex: Reindex) -> bool:
    """Whether the progress message shows the summary (or a failure); records when."""
    for message in fake.sent_to(admin_chat):
        if message.message_id <= reindex.command.message_id:
            continue
        if message.text.startswith((REINDEX_DONE, REINDEX_FAILED)):
            reindex.summary = message.text
            reindex.finished_at = message.edited_at or message.at
            reindex.seconds = reindex.finished_at - reindex.command.at
            return True
        return False
    return False


def play(  # noqa: PLR0917  # reads as a sentence at each call
    fake: FakeTelegram,
    bot: BotProcess,
    name: str,
    slots: Sequence[Slot],
    place: Place,
    admin: tuple[Chat, User] | None,
) -> RunResult:
    """Sends the slots on time (after a /reindex by the admin, if given); waits for the
    answers (and the reindex's summary)."""
    cpu_before, own_before = bot.cpu_seconds(), own_cpu_seconds()
    print(f"{name}: {len(slots)} questions over {slots[-1].at:.0f} s ...", flush=True)
    started = time.monotonic()
    reindex = Reindex(fake.send(admin[0], admin[1], "/reindex")) if admin else None
    sent = send_on_schedule(fake, slots, place, started)
    deadline = max(item.message.at for item in sent) + GRACE_SECONDS

    def all_replied() -> bool:
        return all(o.reply is not None for o in outcomes_of(fake, sent, place)) or not bot.alive()

    wait_until(all_replied, deadline)
    outcomes = outcomes_of(fake, sent, place)
    if reindex is not None and admin is not None:
        wait_until(
            lambda: reindex_state(fake, admin[0], reindex) or not bot.alive(),
            deadline + REINDEX_TIMEOUT,
        )
    wall = time.monotonic() - started
    cpu_after = bot.cpu_seconds()
    result = RunResult(
        name=name,
        started=started,
        seconds=slots[-1].at,
        outcomes=outcomes,
        late_max=max(item.late for item in sent),
        load_after=os.getloadavg(),
        bot_cpu=(cpu_after[0] - cpu_before[0], cpu_after[1] - cpu_before[1]),
        own_cpu=own_cpu_seconds() - own_before,
        wall=wall,
        reindex=reindex,
    )
    later = outcomes_of(fake, sent, place)
    result.answered_later = sum(
        1
        for before, after in zip(outcomes, later, strict=True)
        if before.reply is None and after.reply
    )
    if reindex is not None and reindex.finished_at is not None:
        finished = reindex.finished_at
        result.during = [o for o in outcomes if o.sent.message.at < finished]
    return result


def warm_up(fake: FakeTelegram, questions: Sequence[str], bot: BotProcess) -> float:
    """Questions one at a time in a chat of their own, each answered before the next; the
    first is the probe that shows the bot is polling. Seconds the first took."""
    user = fake.user(WARM_UP_USER_ID, "Pemanas")
    chat = fake.private_chat(user)
    first_took = 0.0
    for number, question in enumerate(questions):
        asked = fake.send(chat, user, question)
        timeout = STARTUP_TIMEOUT if number == 0 else WARM_UP_TIMEOUT

        def replied(asked: Message = asked) -> bool:
            return any(m.message_id > asked.message_id for m in fake.sent_to(chat))

        if not wait_until(lambda: replied() or not bot.alive(), time.monotonic() + timeout):
            raise RuntimeError(f"the bot did not answer a warm-up question within {timeout:.0f} s")
        if not bot.alive():
            raise RuntimeError("the bot exited while warming up")
        if number == 0:
            first_took = time.monotonic() - asked.at
    return first_took


# --- the report ----------------------------------------------------------------------------


def percentiles_ms(latencies: Sequence[float]) -> list[str]:
    if not latencies:
        return ["-"] * 4
    p50, p95, p99 = np.percentile(np.asarray(latencies), [50, 95, 99]).tolist()
    return [f"{1000 * value:,.0f}" for value in (p50, p95, p99, max(latencies))]


def latencies_of(outcomes: Sequence[Outcome]) -> list[float]:
    return [o.latency for o in outcomes if o.answered and o.latency is not None]


def table_row(label: str, outcomes: Sequence[Outcome]) -> tuple[str, ...]:
    answered = sum(o.answered for o in outcomes)
    turned_away = sum(o.turned_away for o in outcomes)
    unanswered = sum(o.reply is None for o in outcomes)
    return (
        label,
        f"{len(outcomes):,}",
        f"{answered:,}",
        f"{unanswered:,}",
        f"{turned_away:,}",
        *percentiles_ms(latencies_of(outcomes)),
    )


HEADER = (
    "run, questions",
    "sent",
    "answered",
    "unanswered",
    "turned away",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "max ms",
)


def parts(outcomes: Sequence[Outcome]) -> list[tuple[str, list[Outcome]]]:
    return [
        ("all", list(outcomes)),
        ("private", [o for o in outcomes if not o.sent.slot.group]),
        ("groups", [o for o in outcomes if o.sent.slot.group]),
    ]


def ratio_row(
    label: str, during: Sequence[Outcome], without: Sequence[Outcome]
) -> tuple[str, ...]:
    cells = []
    a, b = latencies_of(during), latencies_of(without)
    if a and b:
        for fraction in (50, 95, 99, 100):
            ours, theirs = np.percentile(a, fraction), np.percentile(b, fraction)
            cells.append(f"{ours / theirs:.2f}x" if theirs > 0 else "-")
    else:
        cells = ["-"] * 4
    return (label, "", "", "", "", *cells)


def results_table(during: RunResult, baseline: RunResult) -> str:
    rows: list[tuple[str, ...]] = [HEADER]
    for part, outcomes in parts(during.outcomes):
        rows.append(table_row(f"during /reindex, {part}", outcomes))
    if during.during:
        rows.append(table_row("  sent while the reindex ran", during.during))
    for part, outcomes in parts(baseline.outcomes):
        rows.append(table_row(f"without reindex, {part}", outcomes))
    for (part, ours), (_, theirs) in zip(
        parts(during.outcomes), parts(baseline.outcomes), strict=True
    ):
        rows.append(ratio_row(f"ratio during / without, {part}", ours, theirs))
    return format_table(rows)


def timeline_table(result: RunResult, seconds: float) -> str:
    """The run's questions by when they were due, in windows: how latency follows the
    reindex."""
    width = max(1.0, round(seconds / TIMELINE_WINDOWS))
    ends = None
    if result.reindex is not None and result.reindex.finished_at is not None:
        ends = result.reindex.finished_at - result.started
    rows: list[tuple[str, ...]] = [
        ("seconds after /reindex", "sent", "answered", "p50 ms", "p95 ms", "max ms", "reindex")
    ]
    start = 0.0
    while start < seconds:
        end = start + width
        window = [o for o in result.outcomes if start <= o.sent.slot.at < end]
        if ends is None or ends >= end:
            state = "running"
        elif ends < start:
            state = "over"
        else:
            state = f"over at {ends:.1f} s"
        p50, p95, _, most = percentiles_ms(latencies_of(window))
        answered = sum(o.answered for o in window)
        rows.append(
            (f"{start:.0f}-{end:.0f}", f"{len(window)}", f"{answered}", p50, p95, most, state)
        )
        start = end
    return format_table(rows)


def load_text(load: tuple[float, float, float]) -> str:
    return "/".join(f"{value:.2f}" for value in load)


def run_lines(result: RunResult) -> list[str]:
    overlapped = sum(o.overlapped for o in result.outcomes)
    own, children = result.bot_cpu
    lines = [
        f"{result.name}: {len(result.outcomes)} questions over {result.seconds:.1f} s, sent at"
        f" most {1000 * result.late_max:.0f} ms after their scheduled time; {overlapped} sent"
        " while an earlier one in the same private chat was unanswered;"
        f" {result.answered_later} answered only after the {GRACE_SECONDS:.0f} s grace",
        f"  CPU in {result.wall:.0f} s: bot process {own:.1f} s ({100 * own / result.wall:.0f}%"
        f" of a core), its finished children {children:.1f} s, this process (fake server and"
        f" generator) {result.own_cpu:.1f} s; load average after it"
        f" {load_text(result.load_after)}",
    ]
    reindex = result.reindex
    if reindex is not None:
        if reindex.seconds is None:
            lines.append("  reindex: NOT finished (no summary in the admin's chat)")
        else:
            share = len(result.during) / max(1, len(result.outcomes))
            lines.append(
                f"  reindex: finished {reindex.seconds:.1f} s after /reindex ({share:.0%} of the"
                f" questions were sent while it ran): {reindex.summary!r}"
            )
    return lines


def target_line(during: RunResult) -> str:
    latencies = latencies_of(during.outcomes)
    if not latencies:
        return f"target p95 <= {TARGET_P95_S:.0f} s during /reindex: no answers to measure"
    p95 = float(np.percentile(latencies, 95))
    verdict = "met" if p95 <= TARGET_P95_S else "NOT met"
    reindex = during.reindex
    if reindex is None or reindex.seconds is None:
        verdict += " (but the reindex never finished: see above)"
    elif not reindex.summary.startswith(REINDEX_DONE):
        verdict += (
            f" (but the reindex failed after {reindex.seconds:.1f} s: the questions after it"
            " ran without one)"
        )
    return (
        f"target: p95 from question to reply <= {TARGET_P95_S:.0f} s during /reindex, all"
        f" questions: {1000 * p95:,.0f} ms: {verdict}"
    )


def failures_of(fake: FakeTelegram, during: RunResult, baseline: RunResult) -> list[str]:
    problems = []
    for result in (baseline, during):
        lost = sum(o.reply is None for o in result.outcomes)
        away = sum(o.turned_away for o in result.outcomes)
        if lost:
            problems.append(f"{result.name}: {lost} question(s) unanswered")
        if away:
            problems.append(f"{result.name}: {away} question(s) turned away")
    if fake.errors:
        problems.append(f"{len(fake.errors)} call(s) rejected by the fake")
    if during.reindex is None or during.reindex.seconds is None:
        problems.append("the reindex did not finish")
    elif not during.reindex.summary.startswith(REINDEX_DONE):
        problems.append("the reindex failed")
    return problems


# --- main ----------------------------------------------------------------------------------


def print_environment(plan: Plan) -> None:
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.partition(":")[2].strip()
                break
    print(f"commit: {git_commit()}")
    print(
        f"python {sys.version.split()[0]}, python-telegram-bot"
        f" {metadata.version('python-telegram-bot')}; CPU: {cpu}; {os.cpu_count()} CPUs;"
        f" load average (1/5/15 min) at the start {load_text(os.getloadavg())}"
    )
    groups = f"{plan.groups} groups x one /ask every {GROUP_INTERVAL:.0f} s"
    print(
        f"seed {plan.seed}; {plan.passages:,} passages; {plan.rate:g} private questions/s"
        f" (Poisson) over {CHATS} private chats + {groups}; {plan.seconds:g} s during /reindex,"
        f" {plan.baseline_seconds:g} s without; bot group cooldown {GROUP_COOLDOWN}; fake"
        " flood limits off"
    )


def prepare(plan: Plan, workdir: Path) -> tuple[Path, Path, list[str]]:
    """Articles written and indexed, the changed ones put in place; the archive, the sources
    and the question pool."""
    corpus = plan.shared / "corpus"
    vocabulary = corpus_vocabulary(corpus) if corpus.is_dir() else builtin_vocabulary()
    print(f"term statistics: {vocabulary.description}")
    started = time.perf_counter()
    sources, changed = workdir / "sources", workdir / "changed"
    files = write_articles(plan, vocabulary, sources, changed)
    megabytes = sum(path.stat().st_size for path in sources.iterdir()) / 2**20
    print(
        f"articles: {plan.articles:,} of {PASSAGES_PER_ARTICLE} paragraphs in {files} JSONL"
        f" files ({megabytes:,.0f} MB), generated in {time.perf_counter() - started:.1f} s"
    )
    db = workdir / "archive.db"
    seconds, report = newsbot_index(db, sources, workdir)
    from index.archive import stats_of

    stats = stats_of(db)
    print(
        f"newsbot index: {stats.passages:,} passages of {stats.articles:,} articles in"
        f" {seconds:.1f} s ({plan.articles / seconds:,.0f} articles/s); {report}"
    )
    for path in changed.iterdir():
        os.replace(path, sources / path.name)
    print(
        f"the sources now hold a new last paragraph in every article: the reindex will update"
        f" {plan.articles:,} articles"
    )
    pool, description = question_pool(plan, vocabulary)
    print(f"questions: {description}")
    return db, sources, pool


def measure(plan: Plan, db: Path, sources: Path, pool: Sequence[str], workdir: Path) -> int:
    slots = schedule(plan, pool)
    baseline_slots = [slot for slot in slots if slot.at < plan.baseline_seconds]
    if not baseline_slots:
        print("no question falls in the baseline's seconds: raise --baseline", file=sys.stderr)
        return EXIT_USAGE
    warm_questions = [pool[(len(pool) - 1 - n) % len(pool)] for n in range(WARM_UP_QUESTIONS)]
    with FakeTelegram(TOKEN, bot_username=BOT_USERNAME, limits=False) as fake:
        admin_user = fake.user(ADMIN_ID, "Admin", language_code="en")
        admin = (fake.private_chat(admin_user), admin_user)
        baseline_place = make_place(fake, 0, plan.groups)
        during_place = make_place(fake, 1, plan.groups)
        environment = clean_environment(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_BASE_URL=fake.base_url,
            NEWSBOT_DB=str(db),
            NEWSBOT_ADMIN_IDS=str(ADMIN_ID),
            NEWSBOT_SOURCES=str(sources),
            NEWSBOT_GROUP_COOLDOWN=GROUP_COOLDOWN,
            NEWSBOT_LOG_LEVEL="WARNING",
        )
        started = time.monotonic()
        with bot_process(environment, workdir, workdir / "bot.log") as bot:
            first = warm_up(fake, warm_questions, bot)
            print(
                f"bot ready: first answer {time.monotonic() - started:.1f} s after start (that"
                f" question took {1000 * first:.0f} ms); {len(warm_questions)} warm-up questions"
                f" answered; load average {load_text(os.getloadavg())}"
            )
            baseline = play(fake, bot, "without reindex", baseline_slots, baseline_place, None)
            during = play(fake, bot, "during /reindex", slots, during_place, admin)
        report(fake, bot, during, baseline)
        problems = failures_of(fake, during, baseline)
    if problems:
        print("FAILED: " + "; ".join(problems), file=sys.stderr)
        return EXIT_FAILED
    return 0


def report(fake: FakeTelegram, bot: BotProcess, during: RunResult, baseline: RunResult) -> None:
    print()
    print(results_table(during, baseline))
    print(
        "latency: the fake's time of the bot's reply minus that of the question; answered"
        " excludes the turned away (group busy, apology); ratios are during / without"
    )
    print()
    print(timeline_table(during, during.seconds))
    print()
    for result in (baseline, during):
        print("\n".join(run_lines(result)))
    errors = fake.errors
    print(f"rejected calls (fake.errors): {len(errors)}")
    for call in errors[:SHOWN_ERRORS]:
        print(f"  {call}")
    warnings = bot.warnings()
    print(
        f"{bot.exit_note}; bot log lines at WARNING or above (or not log lines): {len(warnings)}"
    )
    for line in warnings[:SHOWN_LOG_LINES]:
        print(f"  {line[:300]}")
    print()
    print(target_line(during))
    print(f"load average at the end: {load_text(os.getloadavg())}")


def parse_args(argv: Sequence[str] | None) -> Plan:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument(
        "--smoke",
        action="store_true",
        help=f"a run of seconds for CI ({SMOKE_PASSAGES:,} passages, {SMOKE_RATE:g}/s for"
        f" {SMOKE_SECONDS:g} s, {SMOKE_GROUPS} groups, baseline {SMOKE_BASELINE_SECONDS:g} s)",
    )
    parser.add_argument(
        "--passages", type=positive, metavar="N", help=f"default {DEFAULT_PASSAGES:,}"
    )
    parser.add_argument("--seconds", type=float, metavar="S", help=f"default {DEFAULT_SECONDS:g}")
    parser.add_argument(
        "--rate", type=float, metavar="R", help=f"private questions/s, default {DEFAULT_RATE:g}"
    )
    parser.add_argument(
        "--baseline",
        type=float,
        metavar="S",
        help=f"seconds of the run without reindex, default {DEFAULT_BASELINE_SECONDS:g}",
    )
    parser.add_argument("--seed", type=int, metavar="SEED", default=DEFAULT_SEED)
    parser.add_argument(
        "--shared", type=Path, default=DEFAULT_SHARED, help="the shared folder (corpus, dev)"
    )
    args = parser.parse_args(argv)
    smoke = bool(args.smoke)
    plan = Plan(
        passages=args.passages or (SMOKE_PASSAGES if smoke else DEFAULT_PASSAGES),
        seconds=args.seconds or (SMOKE_SECONDS if smoke else DEFAULT_SECONDS),
        rate=args.rate or (SMOKE_RATE if smoke else DEFAULT_RATE),
        baseline_seconds=args.baseline
        or (SMOKE_BASELINE_SECONDS if smoke else DEFAULT_BASELINE_SECONDS),
        groups=SMOKE_GROUPS if smoke else GROUPS,
        seed=args.seed,
        shared=args.shared,
    )
    if min(plan.seconds, plan.rate, plan.baseline_seconds) <= 0:
        parser.error("--seconds, --rate and --baseline must be positive")
    if plan.baseline_seconds > plan.seconds:
        parser.error("--baseline may not be longer than --seconds")
    return plan


def main(argv: Sequence[str] | None = None) -> int:
    plan = parse_args(argv)
    started = time.perf_counter()
    print_environment(plan)
    with tempfile.TemporaryDirectory(prefix="newsbot-bench-load-") as tmp:
        workdir = Path(tmp)
        db, sources, pool = prepare(plan, workdir)
        code = measure(plan, db, sources, pool, workdir)
    print(f"whole run {time.perf_counter() - started:.0f} s")
    return code


if __name__ == "__main__":
    sys.exit(main())
