"""How things read in Telegram: texts, cards, keyboards and HTML helpers, one module a feature.

Views turn the records services return into HTML and buttons in the reader's language; they
never call a service or send anything.
"""
