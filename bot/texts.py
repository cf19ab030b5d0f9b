"""Every user-visible string of the bot and the command line's answers.

Indonesian is the default; English is used for English speakers. Quotes stay in the language
they were written in.
"""

from __future__ import annotations

from dataclasses import dataclass

INDONESIAN = "id"
ENGLISH = "en"


@dataclass(frozen=True)
class Texts:
    language: str
    months: tuple[str, ...]
    start: str
    help_private: str
    help_group: str
    ask_usage: str
    not_found: str
    searched_for: str
    perhaps_related: str
    published_between: str
    widened_to: str
    widened_to_any_date: str
    undated_not_searched: str
    read_more: str
    also_published_by: str
    reported_by: str
    answer_label: str
    estimated_date: str
    question_label: str
    reindex_not_admin: str
    reindex_busy: str
    reindex_no_sources: str
    reindex_started: str
    reindex_progress: str
    reindex_done: str
    reindex_failure_line: str
    reindex_failed: str
    reindex_stopped: str
    sorry: str
    command_help: str
    command_ask: str
    command_reindex: str
    command_stats: str
    command_status: str
    help_admin: str
    admin_only: str
    results_expired: str
    vote_thanks: str
    see_all_results: str
    group_busy: str
    inline_related: str
    inline_not_found: str
    stats: str
    stats_outlets: str
    status: str
    status_feed: str
    status_feed_never: str
    status_feed_failed: str
    status_no_feeds: str
    never: str
    yes: str
    no: str
    # Days, hours, minutes, seconds, as durations are written.
    duration_units: tuple[str, str, str, str]


INDONESIAN_TEXTS = Texts(
    language=INDONESIAN,
    months=(
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    ),
    start=(
        "Halo! Saya menjawab pertanyaan dari arsip berita dengan mengutip bagian berita yang"
        " menjawabnya, lengkap dengan sumber dan tanggalnya.\n\n"
        "Kirim saja pertanyaan Anda, misalnya: <i>Berapa tarif bus listrik di Semarang?</i>"
    ),
    help_private=(
        "Kirim pertanyaan sebagai pesan biasa. Saya mencarinya di arsip berita dan mengutip"
        " bagian yang menjawab, dengan media, tanggal, dan tautannya. Jika arsip tidak memuat"
        " jawabannya, saya akan bilang terus terang.\n\n"
        "/help — bantuan ini"
    ),
    help_group=(
        "Di grup, tanyakan dengan salah satu cara ini:\n"
        "• <code>/ask@{bot} pertanyaan Anda</code>\n"
        "• balas (reply) salah satu pesan saya\n"
        "• sebut saya: <code>@{bot} pertanyaan Anda</code> (hanya jika admin grup mengizinkan"
        " saya membaca pesan grup)"
    ),
    ask_usage="Tulis pertanyaan setelah perintahnya, misalnya: <code>/ask@{bot} {example}</code>",
    not_found="Tidak ada berita di arsip yang menjawab pertanyaan itu.",
    searched_for="Kata yang dicari: {terms}",
    perhaps_related="Mungkin terkait:",
    published_between="Berita yang terbit {days} ({phrase}).",
    widened_to="Tidak ada berita yang cocok {phrase} ({asked}); pencarian diperluas ke {days}.",
    widened_to_any_date=(
        "Tidak ada berita yang cocok {phrase} ({asked}); hasil diambil dari semua tanggal."
    ),
    undated_not_searched="{count} artikel tanpa tanggal tidak ikut dicari dalam rentang ini.",
    read_more="Baca berita",
    also_published_by="Juga dimuat: {outlets}",
    reported_by="pewarta {reporter}",
    answer_label="Jawaban",
    estimated_date="sekitar {date}",
    question_label="Pertanyaan",
    reindex_not_admin="Maaf, hanya admin bot yang boleh memperbarui indeks.",
    reindex_busy="Pembaruan indeks sedang berjalan. Tunggu sampai selesai.",
    reindex_no_sources="Belum ada sumber: isi NEWSBOT_SOURCES dengan berkas atau folder berita.",
    reindex_started="Memperbarui indeks…",
    reindex_progress="Memperbarui indeks… {read} artikel dibaca.",
    reindex_done=(
        "Indeks diperbarui: {added} baru, {updated} diubah, {unchanged} tetap, {failed} gagal."
    ),
    reindex_failure_line="• {where}: {reason}",
    reindex_failed="Pembaruan indeks gagal: {reason}. Indeks lama tetap dipakai.",
    reindex_stopped="Pembaruan indeks dihentikan karena bot dimatikan. Indeks lama tetap dipakai.",
    sorry="Maaf, terjadi kesalahan. Silakan coba lagi sebentar lagi.",
    command_help="Cara bertanya",
    command_ask="Tanya arsip berita",
    command_reindex="Perbarui indeks (admin)",
    command_stats="Statistik arsip dan pertanyaan (admin)",
    command_status="Keadaan bot, indeks, dan feed (admin)",
    help_admin=(
        "\n\nUntuk admin:\n"
        "/reindex — baca ulang sumber berita\n"
        "/stats — isi arsip, pertanyaan yang dijawab, penilaian pembaca\n"
        "/status — waktu aktif, umur indeks, feed"
    ),
    admin_only="Maaf, perintah ini hanya untuk admin bot.",
    results_expired="Hasil ini sudah kedaluwarsa. Silakan ajukan pertanyaannya lagi.",
    vote_thanks="Terima kasih atas penilaian Anda.",
    see_all_results="Semua hasil (chat pribadi)",
    group_busy=(
        "Sedang banyak pertanyaan di grup ini. Silakan tanyakan lagi dalam {seconds} detik."
    ),
    inline_related="Mungkin terkait",
    inline_not_found="Tidak ada berita di arsip yang menjawab: {question}",
    stats=(
        "<b>Arsip</b>\n"
        "Artikel: {articles}\n"
        "Bagian (passage): {passages}\n"
        "Cerita: {stories}\n"
        "Media: {outlet_count}\n"
        "Terakhir diindeks: {last_indexed}\n\n"
        "<b>Pertanyaan</b>\n"
        "Diajukan: {questions}\n"
        "Dijawab: {answered}\n"
        "Tidak ditemukan: {declined} ({decline_rate})\n\n"
        "<b>Penilaian pembaca</b>\n"
        "👍 {helpful} · 👎 {unhelpful}"
    ),
    stats_outlets="Media terbanyak: {outlets}",
    status=(
        "<b>Status</b>\n"
        "Aktif sejak: {started} ({uptime})\n"
        "Indeks diperbarui: {indexed} ({index_age} lalu)\n"
        "Pembaruan indeks berjalan: {reindexing}"
    ),
    status_feed="• {feed}: {polled}",
    status_feed_never="belum pernah dibaca",
    status_feed_failed="{when}, gagal dibaca (lihat log)",
    status_no_feeds="Tidak ada feed (NEWSBOT_FEEDS kosong).",
    never="belum pernah",
    yes="ya",
    no="tidak",
    duration_units=(" hari", " jam", " menit", " detik"),
)

ENGLISH_TEXTS = Texts(
    language=ENGLISH,
    months=(
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    start=(
        "Hello! I answer questions from a news archive by quoting the passages that answer"
        " them, with their source and date.\n\n"
        "Just send your question, for example: <i>How much does the Semarang electric bus"
        " cost?</i>"
    ),
    help_private=(
        "Send a question as a plain message. I search the news archive and quote the passages"
        " that answer it, with outlet, date and link. When the archive has no answer, I say"
        " so.\n\n"
        "/help — this help"
    ),
    help_group=(
        "In a group, ask in one of these ways:\n"
        "• <code>/ask@{bot} your question</code>\n"
        "• reply to one of my messages\n"
        "• mention me: <code>@{bot} your question</code> (only when the group lets me read"
        " group messages)"
    ),
    ask_usage=(
        "Write the question after the command, for example: <code>/ask@{bot} {example}</code>"
    ),
    not_found="Nothing in the archive answers that question.",
    searched_for="Searched for: {terms}",
    perhaps_related="Perhaps related:",
    published_between="News published {days} ({phrase}).",
    widened_to="No matching news {phrase} ({asked}); searched {days} instead.",
    widened_to_any_date="No matching news {phrase} ({asked}); results are from any date.",
    undated_not_searched="{count} undated articles were not searched in this range.",
    read_more="Read the article",
    also_published_by="Also published by: {outlets}",
    reported_by="by {reporter}",
    answer_label="Answer",
    estimated_date="about {date}",
    question_label="Question",
    reindex_not_admin="Sorry, only the bot's admins may update the index.",
    reindex_busy="An index update is already running. Please wait for it to finish.",
    reindex_no_sources="No sources yet: set NEWSBOT_SOURCES to news files or folders.",
    reindex_started="Updating the index…",
    reindex_progress="Updating the index… {read} articles read.",
    reindex_done=(
        "Index updated: {added} new, {updated} changed, {unchanged} unchanged, {failed} failed."
    ),
    reindex_failure_line="• {where}: {reason}",
    reindex_failed="The index update failed: {reason}. The previous index is still serving.",
    reindex_stopped=(
        "The index update stopped because the bot is shutting down. The previous index is"
        " still serving."
    ),
    sorry="Sorry, something went wrong. Please try again in a moment.",
    command_help="How to ask",
    command_ask="Ask the news archive",
    command_reindex="Update the index (admins)",
    command_stats="Archive and question statistics (admins)",
    command_status="Bot, index and feed status (admins)",
    help_admin=(
        "\n\nFor admins:\n"
        "/reindex — re-read the news sources\n"
        "/stats — the archive, questions answered, readers' votes\n"
        "/status — uptime, index age, feeds"
    ),
    admin_only="Sorry, this command is for the bot's admins only.",
    results_expired="These results have expired. Please ask the question again.",
    vote_thanks="Thank you for your feedback.",
    see_all_results="All results (private chat)",
    group_busy="Many questions in this group right now. Please ask again in {seconds} s.",
    inline_related="Perhaps related",
    inline_not_found="Nothing in the archive answers: {question}",
    stats=(
        "<b>Archive</b>\n"
        "Articles: {articles}\n"
        "Passages: {passages}\n"
        "Stories: {stories}\n"
        "Outlets: {outlet_count}\n"
        "Last indexed: {last_indexed}\n\n"
        "<b>Questions</b>\n"
        "Asked: {questions}\n"
        "Answered: {answered}\n"
        "Not found: {declined} ({decline_rate})\n\n"
        "<b>Readers' votes</b>\n"
        "👍 {helpful} · 👎 {unhelpful}"
    ),
    stats_outlets="Largest outlets: {outlets}",
    status=(
        "<b>Status</b>\n"
        "Up since: {started} ({uptime})\n"
        "Index updated: {indexed} ({index_age} ago)\n"
        "Index update running: {reindexing}"
    ),
    status_feed="• {feed}: {polled}",
    status_feed_never="not read yet",
    status_feed_failed="{when}, could not be read (see the log)",
    status_no_feeds="No feeds (NEWSBOT_FEEDS is empty).",
    never="never",
    yes="yes",
    no="no",
    duration_units=(" d", " h", " min", " s"),
)

ASK_EXAMPLE = {
    INDONESIAN: "berapa tarif bus listrik di Semarang?",
    ENGLISH: "bus fare in Semarang?",
}


def texts_for(language: str | None) -> Texts:
    """English texts for an English language code or question, Indonesian otherwise."""
    if language and language.casefold().startswith(ENGLISH):
        return ENGLISH_TEXTS
    return INDONESIAN_TEXTS
