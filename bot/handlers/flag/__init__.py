"""/flag: the guided flow that flags an emerging challenge, and its one-message form.

Steps (steps.py): category → severity → title → description → where (a name and/or a
location pin) → route → when observed → who may see it → attachments; then the review and
Submit, which asks first about what looks like personal data (flow.py). Each step keeps its
place when the answer does not fit and says what to send instead; the flow engine
(bot/flows/engine.py) gives /skip, /back, the review's buttons and the draft kept across
restarts. `/flag high instrumentalisation Buses near X` fills category, severity and title at
once and goes straight to the review. A challenge's Edit button opens the same review over the
challenge as it stands; a changed severity asks for a note.
"""

from bot.handlers.flag.flow import FLOW, edit_start, flag_start

__all__ = ["FLOW", "edit_start", "flag_start"]
