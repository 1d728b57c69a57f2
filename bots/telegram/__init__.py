"""The Telegram adapter (python-telegram-bot 22): a thin translator between Telegram updates
and the neutral conversation in core.conversation. Entry point for the runner:
`bots.telegram.app:build_adapter(services, token)`."""
