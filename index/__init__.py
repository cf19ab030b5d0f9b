"""newsbot's library: read news articles, store passages in SQLite, retrieve them with BM25.

Nothing here imports ``telegram`` or ``bot``; the bot and the command line call into this package.
"""
