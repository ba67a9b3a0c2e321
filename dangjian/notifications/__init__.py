"""Messages and channels: SMS, WeChat, in-app inbox; providers, quiet hours, opt-out, delivery status."""
