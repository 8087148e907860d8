"""The privacy notice and the summary of a person's data, in their language."""

from __future__ import annotations

from markupsafe import Markup

from bot.i18n import N_, Translator
from bot.views.render import bold

LEAVE = N_("Leave and be forgotten")
LEAVE_FOR_GOOD = N_("Yes, erase everything")
STAY = N_("Stay")
#: What each table of a person's data holds, as they read it (storage/personal_data.py).
TABLES = {
    "members": N_("Your profile (Telegram name, username, language)"),
    "memberships": N_("Your partnerships, roles, organisations and countries"),
    "removed_members": N_("Removals from a partnership"),
    "invites": N_("Invites you created (without their codes)"),
    "invite_uses": N_("Invites you used"),
    "contacts": N_("Your contact card"),
    "meetings": N_("Meetings you logged or are named in"),
    "meeting_participants": N_("Your places among meeting participants"),
    "meeting_actions": N_("Follow-up actions you own or closed"),
    "challenges": N_("Challenges you flagged"),
    "challenge_events": N_("Steps you took in challenges' histories"),
    "challenge_acknowledgements": N_("Challenges you acknowledged"),
    "challenge_alert_optouts": N_("Challenge alerts you turned off"),
    "milestone_updates": N_("Milestone updates you made"),
    "digest_recipients": N_("Your digest settings"),
    "broadcasts": N_("Broadcasts you sent"),
    "deliveries": N_("Messages the bot sent you"),
    "user_data": N_("Your drafts and choices kept between messages"),
    "audit_log": N_("Audit log entries of what you did"),
}


def notice(_: Translator, contact: str) -> Markup:
    """What is kept about a member, why, who sees it, for how long, and their rights."""
    who = (
        _("write to {contact}", contact=contact)
        if contact
        else _("ask the coordinators of your partnership")
    )
    return Markup("\n\n").join(
        [
            bold(_.text(N_("What Partnerbot keeps about you, and why"))),
            Markup("\n").join(
                [
                    _(
                        "• Who you are on Telegram: your user id, name, username and language,"
                        " to know you and answer you in your language."
                    ),
                    _(
                        "• Your place in each partnership: your role, the organisation and"
                        " country you declared and those a coordinator confirmed, and when you"
                        " joined, to give you the rights of your role."
                    ),
                    _(
                        "• What you put into the bot: meetings you log or are named in,"
                        " follow-up actions you own, challenges you flag, your contact card,"
                        " what you acknowledge, your digest settings and the drafts you leave"
                        " open. This is the partnership's shared record."
                    ),
                    _(
                        "• A log of what was done and by whom (the audit log), without the"
                        " texts of messages."
                    ),
                ]
            ),
            _(
                "Who sees it: the members of your partnership, by role; restricted meetings"
                " and challenges only the people entitled to them. Chats with a bot are not"
                " end-to-end encrypted: Telegram's servers carry them. Personal data of"
                " suspects or migrants never belongs here."
            ),
            _(
                "How long: as long as you are a member. The texts of delivered messages and"
                " old drafts are cleared after a while, and the names of people who left are"
                " removed, as the partnership's admins set it."
            ),
            _(
                "Your rights: /mydata sends you everything stored about you, as a file. To have"
                " something corrected or erased, or for any question about your data, {who}.",
                who=who,
            ),
        ]
    )


def summary(_: Translator, counts: dict[str, int]) -> Markup:
    """How many records of each kind the file holds."""
    lines = [
        Markup("• ")
        + _(
            "{what}: {count}",
            what=_.text(TABLES.get(table, N_("Other records"))),
            count=count,
        )
        for table, count in counts.items()
    ]
    return Markup("\n").join([_("In the file:"), *lines])
