"""Non-Telegram ways in for citizens: the local console chat."""
