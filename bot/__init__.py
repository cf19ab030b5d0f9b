"""newsbot's Telegram adapter and command line; the library it drives is ``index``."""
