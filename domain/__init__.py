"""The domain floor: the records and enums that storage, services and the bot share.

Domain modules import nothing of Partnerbot but each other, and nothing of Telegram.
"""
