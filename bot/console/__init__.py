"""The console: the real bot answering in a terminal, on a local SQLite file with demo data.

Lines typed are messages from the demo member you act as, in their private chat with the
bot (or in the demo group); lines starting with `::` are instructions to the console. The
Application is the one `python -m bot run` builds, with `LocalBotApi` in place of Telegram,
so every handler, flow and check runs as in production and nothing leaves the machine.

- `run.py`: `run_console`, which starts the bot on the demo data and hands it to a session;
- `session.py`: the session (`Console`): running lines, scripts and the interactive loop;
- `instructions.py`: the `::` instructions;
- `people.py`: the demo members and strangers the console acts as;
- `render.py`: what the bot did, printed as terminal text;
- `terminal.py`: reading lines from the terminal while the bot runs, and scripts.
"""

from bot.console.errors import LineFailed
from bot.console.render import plain_text
from bot.console.run import DEMO_FILE, DEMO_HISTORY_FILE, run_console
from bot.console.session import Console
from bot.console.terminal import script_entries

__all__ = [
    "DEMO_FILE",
    "DEMO_HISTORY_FILE",
    "Console",
    "LineFailed",
    "plain_text",
    "run_console",
    "script_entries",
]
