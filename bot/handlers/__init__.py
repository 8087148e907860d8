"""Every handler of the bot, registered in one ordered place.

Groups run in ascending order; inside a group the first matching handler wins.
- group -1: the access gate (deduplication, identification, strangers stopped) for every update;
- group 0: flows first (so a flow's step sees its answers), then plain commands and buttons,
  then the fallbacks, which must stay last.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot import callbacks as cb
from bot.context import BotContext, PartnerbotApplication
from bot.flows.engine import FLOWS
from bot.handlers import (
    access,
    actions,
    admin,
    audit,
    broadcast_flow,
    broadcasts,
    challenge_list,
    challenges,
    contact_files,
    contact_flow,
    contacts,
    digests,
    documents,
    errors,
    fallback,
    flag,
    invites,
    meeting_filter,
    meetings,
    milestones,
    preferences,
    privacy,
    reports,
    retention,
    start,
)
from bot.handlers.meeting_flow import flow as meeting_flow
from bot.messaging import text_of
from bot.persistence import conversation_key

# Flows are tracked per chat and user, not per message, on purpose: a flow's buttons and
# typed answers belong to the same step. PTB warns about that combination; we chose it.
warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)

PRIVATE = filters.ChatType.PRIVATE
TEXT = filters.TEXT & ~filters.COMMAND
NOT_TEXT = ~filters.TEXT & ~filters.StatusUpdate.ALL

PRIVATE_ONLY = (
    *("language", "partnership", "members", "invite", "profile", "broadcast", "alerts"),
    # The contact directory shows phone numbers: it answers in private chats only.
    *("contacts", "mycard", "addcontact", "contacts_import", "contacts_export"),
    # Restricted meetings must not be shown where others read along.
    *("meetings", "actions"),
    # The plan's buttons and its update flow belong to one person's chat.
    *("milestones", "milestone"),
    # Challenges may be restricted; flagging one is not a conversation for a group.
    *("flag", "challenges", "challenge_alerts", "escalation"),
    # Reports may hold restricted items and go to one person.
    *("report", "calendar"),
    # Someone's own data is theirs alone.
    *("mydata", "leave"),
    # The audit log names who did what: for one admin's eyes.
    "audit",
    # An admin's settings of the partnership.
    "retention",
)
#: A file of contacts: a CSV (ours, or a Google or Outlook export) or vCards from a phone.
CONTACT_FILE = (
    filters.Document.FileExtension("csv")
    | filters.Document.MimeType("text/csv")
    | filters.Document.MimeType("text/comma-separated-values")
    | filters.Document.FileExtension("vcf")
    | filters.Document.MimeType("text/vcard")
    | filters.Document.MimeType("text/x-vcard")
    | filters.Document.MimeType("text/directory")
)

Handler = BaseHandler[Update, BotContext, Any]
Callback = Callable[[Update, BotContext], Coroutine[Any, Any, Any]]
MEETING_FILES = filters.PHOTO | filters.Document.ALL | filters.VOICE | filters.AUDIO | filters.VIDEO
#: What the meeting flow's steps take besides text: files, and a pin for the place.
MEETING_MEDIA = MEETING_FILES | filters.LOCATION


#: Buttons of messages that arrive on their own (alerts): they work in the middle of any flow.
NOT_ALERT_BUTTONS = rf"^(?!{cb.starting_with(f for f in cb.FAMILIES if f.arrives_alone)})"


#: Commands that only show something: they answer in the middle of a flow, which stays open.
READ_ONLY: dict[str, Callback] = {
    "help": start.help_command,
    "meetings": meetings.list_command,
    "actions": actions.actions_command,
    "challenges": challenge_list.list_command,
    "contacts": contacts.search_command,
    "milestones": milestones.milestones_command,
    "milestone": milestones.milestone_command,
    "digest": digests.digest_command,
}


async def _read_only_inside_a_flow(update: Update, context: BotContext) -> None:
    """A read-only command in the middle of a flow: answered; the flow keeps its step."""
    command = text_of(update).split(maxsplit=1)[0].lstrip("/").split("@")[0].lower()
    await READ_ONLY[command](update, context)


def _cancelling(name: str | None) -> Callback:
    async def cancel(update: Update, context: BotContext) -> int:
        return await fallback.cancel(update, context, name)

    return cancel


def _reminding_of(name: str | None) -> Callback:
    async def remind(update: Update, context: BotContext) -> None:
        await fallback.busy_in_flow(update, context, name)

    return remind


def _flow_fallbacks(
    own_buttons: str | re.Pattern[str] = NOT_ALERT_BUTTONS, name: str | None = None
) -> list[Handler]:
    """What every flow understands at any step, besides its own answers (`name`: the flow,
    to remind the person of where they are)."""
    return [
        CommandHandler("cancel", _cancelling(name)),
        CommandHandler(list(READ_ONLY), _read_only_inside_a_flow),
        MessageHandler(filters.COMMAND, _reminding_of(name)),
        MessageHandler(NOT_TEXT, fallback.wrong_kind_of_answer),
        # Text at a step that expects a button (steps taking text match before this).
        MessageHandler(TEXT, fallback.use_the_buttons),
        # A button of an old message of the flow; other buttons go on to their handlers.
        CallbackQueryHandler(fallback.stale_button, pattern=own_buttons),
    ]


def _own_buttons(name: str) -> str:
    """A flow's own buttons, stale once it has moved on: an engine flow's, or (the flows not
    on the engine) every button but those of messages that arrive on their own."""
    if name not in FLOWS:
        return NOT_ALERT_BUTTONS
    families = cb.starting_with([cb.FlowChoice, cb.FlowEdit, cb.FlowSave, cb.FlowAction])
    return f"^{families}{name}:"


def _unless_another_flow_is_open(name: str, start: Callback) -> Callback:
    async def guarded(update: Update, context: BotContext) -> object:
        chat, user = update.effective_chat, update.effective_user
        if chat is not None and user is not None:
            key = conversation_key((chat.id, user.id))
            others = set(await context.services.access.open_flows(key)) - {name}
            if others:
                await fallback.busy_in_flow(update, context, min(others))
                return None  # the flow does not start; the open one keeps its step
        return await start(update, context)

    return guarded


def _flow(
    name: str,
    *,
    entry_points: list[Handler],
    states: dict[object, list[Handler]],
    fallbacks: list[Handler] | None = None,
) -> ConversationHandler[BotContext]:
    """A flow whose step survives restarts, and which its command starts afresh.

    One flow at a time: PTB would let a second flow start while another waits for an
    answer, and the two would then compete for the person's messages."""
    if name in FLOWS:  # a kept draft continues from /resume
        resumed = cb.FlowResume.pattern_with(flow=name)
        entry_points = [*entry_points, CallbackQueryHandler(FLOWS[name].resume, pattern=resumed)]
    for entry in entry_points:
        entry.callback = _unless_another_flow_is_open(name, entry.callback)
    return ConversationHandler(
        name=name,
        persistent=True,
        allow_reentry=True,
        entry_points=entry_points,
        states=states,
        fallbacks=_flow_fallbacks(_own_buttons(name), name) if fallbacks is None else fallbacks,
    )


def invite_flow() -> ConversationHandler[BotContext]:
    """/invite: live invites with Revoke, and a role button for a new one: organisation →
    country → number of uses → validity → review → Create → deep link."""
    return _flow(
        invites.FLOW.name,
        entry_points=[
            # The list is a plain screen; /invite shows it afresh even in the middle of a new one.
            CommandHandler("invite", invites.invite_start, filters=PRIVATE),
            # Revoke works at any step and after the flow ended: it shows the list afresh.
            CallbackQueryHandler(invites.invite_revoke, pattern=cb.InviteRevoke.pattern()),
            CallbackQueryHandler(invites.invite_role, pattern=cb.InviteRole.pattern()),
        ],
        states=invites.FLOW.states(),
    )


def vouch_flow() -> ConversationHandler[BotContext]:
    """A member's Set organisation / Set country button in /members: one typed value (or a
    country button, or Withdraw) recorded as confirmed."""
    return _flow(
        "vouch",
        entry_points=[
            CallbackQueryHandler(admin.vouch_start, pattern=cb.MemberSet.pattern()),
        ],
        states={
            admin.VOUCH_VALUE: [
                CallbackQueryHandler(admin.vouch_pressed, pattern=cb.VouchChoice.pattern()),
                MessageHandler(TEXT, admin.vouch_typed),
            ],
        },
    )


def profile_flow() -> ConversationHandler[BotContext]:
    """/profile: organisation → country, saved at once."""
    return _flow(
        preferences.PROFILE.name,
        entry_points=[CommandHandler("profile", preferences.profile_start, filters=PRIVATE)],
        states=preferences.PROFILE.states(),
    )


def broadcast_flow_handler() -> ConversationHandler[BotContext]:
    """/broadcast: message → audience (→ value) → urgency → preview → send."""
    return _flow(
        broadcast_flow.FLOW.name,
        entry_points=[CommandHandler("broadcast", broadcast_flow.broadcast_start, filters=PRIVATE)],
        # Any message but text reaches the message step: photos and documents are taken,
        # anything else is explained there.
        states=broadcast_flow.FLOW.states(media=NOT_TEXT),
    )


def contact_flow_handler() -> ConversationHandler[BotContext]:
    """/addcontact, a contact's Edit button, /mycard: field by field → review → save."""
    return _flow(
        contact_flow.FLOW.name,
        entry_points=[
            CommandHandler("addcontact", contact_flow.add_start, filters=PRIVATE),
            CallbackQueryHandler(contact_flow.add_start, pattern=cb.ContactAdd.pattern()),
            CallbackQueryHandler(
                contact_flow.add_shared_start, pattern=cb.ContactAddShared.pattern()
            ),
            CallbackQueryHandler(contact_flow.edit_start, pattern=cb.ContactEdit.pattern()),
            CommandHandler("mycard", contact_flow.card_start, filters=PRIVATE),
        ],
        states=contact_flow.FLOW.states(),
    )


def meeting_flow_handler() -> ConversationHandler[BotContext]:
    """/meeting, a meeting's Edit button, a group's deep link: field by field → review → save."""
    return _flow(
        meeting_flow.FLOW.name,
        entry_points=[
            CommandHandler("meeting", meeting_flow.start, filters=PRIVATE),
            # The button of /meeting in a group opens the private chat with this payload.
            CommandHandler(
                "start",
                meeting_flow.start_from_group,
                filters=PRIVATE & filters.Regex(r"^/start(@\w+)? meeting(_\d+)?$"),
            ),
            CallbackQueryHandler(meeting_flow.edit_start, pattern=cb.MeetingEdit.pattern()),
        ],
        states=meeting_flow.FLOW.states(media=MEETING_MEDIA),
    )


def meeting_filter_handler() -> ConversationHandler[BotContext]:
    """The Search and Dates buttons of /meetings: one typed answer narrows the list."""
    return _flow(
        meeting_filter.FILTER.name,
        entry_points=[
            CallbackQueryHandler(meeting_filter.search_asked, pattern=cb.MeetingSearch.pattern()),
            CallbackQueryHandler(meeting_filter.dates_asked, pattern=cb.MeetingDates.pattern()),
        ],
        states=meeting_filter.FILTER.states(),
        fallbacks=[CommandHandler("cancel", meeting_filter.filter_cancel), *_flow_fallbacks()],
    )


def milestone_flow() -> ConversationHandler[BotContext]:
    """A milestone's ✏️ Update button: status → progress (unless done) → note → saved."""
    return _flow(
        milestones.UPDATE.name,
        entry_points=[
            CallbackQueryHandler(milestones.update_start, pattern=cb.MilestoneUpdateAsked.pattern())
        ],
        states=milestones.UPDATE.states(),
    )


def flag_flow() -> ConversationHandler[BotContext]:
    """/flag: category → severity → title → description → where → route → when → who sees
    it → attachments → review (→ personal-data question) → submit; a challenge's Edit button:
    the review (→ a note on a changed severity) → submit."""
    return _flow(
        flag.FLOW.name,
        entry_points=[
            CommandHandler("flag", flag.flag_start, filters=PRIVATE),
            CallbackQueryHandler(flag.edit_start, pattern=cb.ChallengeEdit.pattern()),
        ],
        # Every message besides text goes to the steps: each says what it takes.
        states=flag.FLOW.states(media=NOT_TEXT),
    )


def report_flow() -> ConversationHandler[BotContext]:
    """/report: period → format → language (→ restricted items) → the file."""
    return _flow(
        reports.FLOW.name,
        entry_points=[CommandHandler("report", reports.report_start, filters=PRIVATE)],
        states=reports.FLOW.states(),
    )


def challenge_status_flow() -> ConversationHandler[BotContext]:
    """A lifecycle button of a challenge → an optional note → the change; Reopen → the
    needed note → reopened."""
    flow = challenges.STATUS_CHANGE
    return _flow(
        flow.name,
        entry_points=[
            CallbackQueryHandler(
                challenges.status_pressed, pattern=cb.ChallengeStatusChange.pattern()
            ),
            CallbackQueryHandler(challenges.reopen_pressed, pattern=cb.ChallengeReopen.pattern()),
        ],
        states=flow.states(),
        # Only its own old buttons are stale here: others go on to their handlers.
        fallbacks=_flow_fallbacks(own_buttons=cb.FlowChoice.pattern_with(flow=flow.name)),
    )


def register(application: PartnerbotApplication) -> None:
    """Add every handler in order, and the error handler."""
    application.add_handler(TypeHandler(Update, access.gate), group=-1)
    handlers: list[Handler] = [
        # Flows come first: while one is open, its steps take the messages.
        # The note of a challenge's status change may interrupt another flow (a coordinator
        # flagging one): it comes first, so the note does not land in the other flow.
        challenge_status_flow(),
        invite_flow(),
        vouch_flow(),
        profile_flow(),
        broadcast_flow_handler(),
        contact_flow_handler(),
        meeting_flow_handler(),
        meeting_filter_handler(),
        flag_flow(),
        milestone_flow(),
        report_flow(),
        CommandHandler("start", start.start),
        CommandHandler("help", start.help_command),
        CommandHandler("language", preferences.language_menu, filters=PRIVATE),
        CallbackQueryHandler(preferences.language_chosen, pattern=cb.LanguageChosen.pattern()),
        CommandHandler("partnership", preferences.partnership_menu, filters=PRIVATE),
        CallbackQueryHandler(
            preferences.partnership_chosen, pattern=cb.PartnershipChosen.pattern()
        ),
        CommandHandler("members", admin.members_list, filters=PRIVATE),
        CallbackQueryHandler(admin.members_list, pattern=cb.MemberList.pattern()),
        CallbackQueryHandler(admin.member_open, pattern=cb.MemberOpen.pattern()),
        CallbackQueryHandler(admin.member_role, pattern=cb.MemberRole.pattern()),
        CallbackQueryHandler(admin.member_remove, pattern=cb.MemberRemove.pattern()),
        CallbackQueryHandler(
            admin.member_remove_confirmed, pattern=cb.MemberRemoveConfirmed.pattern()
        ),
        CallbackQueryHandler(admin.member_confirm, pattern=cb.MemberConfirm.pattern()),
        CallbackQueryHandler(admin.removed_list, pattern=cb.RemovedList.pattern()),
        CallbackQueryHandler(admin.readmit_asked, pattern=cb.ReadmitAsked.pattern()),
        CallbackQueryHandler(admin.readmit_confirmed, pattern=cb.ReadmitConfirmed.pattern()),
        CallbackQueryHandler(admin.erase_asked, pattern=cb.EraseAsked.pattern()),
        CallbackQueryHandler(admin.erase_confirmed, pattern=cb.EraseConfirmed.pattern()),
        CallbackQueryHandler(broadcasts.acknowledge, pattern=cb.Acknowledge.pattern()),
        CommandHandler("alerts", broadcasts.alerts, filters=PRIVATE),
        CallbackQueryHandler(broadcasts.alerts, pattern=cb.AlertList.pattern()),
        CallbackQueryHandler(broadcasts.alert_detail, pattern=cb.AlertOpen.pattern()),
        CommandHandler("linkgroup", admin.link_group),
        CommandHandler("unlinkgroup", admin.unlink_group),
        CommandHandler("contacts", contacts.search_command, filters=PRIVATE),
        CallbackQueryHandler(contacts.page, pattern=cb.ContactResults.pattern()),
        CallbackQueryHandler(contacts.open_contact, pattern=cb.ContactOpen.pattern()),
        CallbackQueryHandler(contacts.directory_menu, pattern=cb.ContactDirectory.pattern()),
        CallbackQueryHandler(contacts.browse_country, pattern=cb.ContactsOfCountry.pattern()),
        CallbackQueryHandler(
            contacts.browse_organisations, pattern=cb.ContactOrganisations.pattern()
        ),
        CallbackQueryHandler(
            contacts.browse_organisation, pattern=cb.ContactsOfOrganisation.pattern()
        ),
        CallbackQueryHandler(contacts.delete_asked, pattern=cb.ContactDelete.pattern()),
        CallbackQueryHandler(
            contacts.delete_confirmed, pattern=cb.ContactDeleteConfirmed.pattern()
        ),
        CallbackQueryHandler(contacts.link_pressed, pattern=cb.ContactLink.pattern()),
        CommandHandler("contacts_import", contact_files.import_help, filters=PRIVATE),
        MessageHandler(PRIVATE & CONTACT_FILE, contact_files.document_received),
        MessageHandler(PRIVATE & filters.CONTACT, contacts.contact_shared),
        CallbackQueryHandler(
            contact_files.import_valid_rows, pattern=cb.ContactImportValidRows.pattern()
        ),
        CommandHandler("contacts_export", contact_files.export_asked, filters=PRIVATE),
        CallbackQueryHandler(contact_files.export, pattern=cb.ContactExport.pattern()),
        InlineQueryHandler(contacts.inline_search),
        CommandHandler("meetings", meetings.list_command, filters=PRIVATE),
        CallbackQueryHandler(meetings.page, pattern=cb.MeetingList.pattern()),
        CallbackQueryHandler(meetings.open_meeting, pattern=cb.MeetingOpen.pattern()),
        CallbackQueryHandler(meetings.kind_menu, pattern=cb.MeetingKindMenu.pattern()),
        CallbackQueryHandler(meetings.kind_chosen, pattern=cb.MeetingKindChosen.pattern()),
        CallbackQueryHandler(meetings.clear_filters, pattern=cb.MeetingClearFilters.pattern()),
        CallbackQueryHandler(meetings.delete_asked, pattern=cb.MeetingDelete.pattern()),
        CallbackQueryHandler(
            meetings.delete_confirmed, pattern=cb.MeetingDeleteConfirmed.pattern()
        ),
        CallbackQueryHandler(meetings.files, pattern=cb.MeetingFiles.pattern()),
        CallbackQueryHandler(documents.minutes, pattern=cb.MeetingMinutes.pattern()),
        CallbackQueryHandler(documents.meeting_calendar, pattern=cb.MeetingCalendar.pattern()),
        CommandHandler("calendar", documents.calendar, filters=PRIVATE),
        CommandHandler("privacy", privacy.privacy),
        CommandHandler("mydata", privacy.my_data, filters=PRIVATE),
        CommandHandler("leave", privacy.leave, filters=PRIVATE),
        CallbackQueryHandler(privacy.leave_pressed, pattern=cb.LeaveConfirmed.pattern()),
        CallbackQueryHandler(privacy.stay, pattern=cb.StayHere.pattern()),
        CommandHandler("actions", actions.actions_command, filters=PRIVATE),
        CallbackQueryHandler(actions.actions_page, pattern=cb.ActionList.pattern()),
        CallbackQueryHandler(actions.action_done, pattern=cb.ActionDone.pattern()),
        # /meeting in a group: a button to the private chat (the flow takes private ones).
        CommandHandler("meeting", meetings.from_group, filters=~PRIVATE),
        CommandHandler("milestones", milestones.milestones_command, filters=PRIVATE),
        CommandHandler("milestone", milestones.milestone_command, filters=PRIVATE),
        CallbackQueryHandler(milestones.overview, pattern=cb.MilestonesOverview.pattern()),
        CallbackQueryHandler(milestones.pillar, pattern=cb.PillarPage.pattern()),
        CallbackQueryHandler(milestones.milestone_pressed, pattern=cb.MilestoneOpen.pattern()),
        CallbackQueryHandler(milestones.chart_pressed, pattern=cb.MilestonesChart.pattern()),
        # /digest answers in private chats and in linked groups (the partnership's digest).
        CommandHandler("digest", digests.digest_command),
        CallbackQueryHandler(digests.settings, pattern=cb.DigestSettingsMenu.pattern()),
        CallbackQueryHandler(digests.hours, pattern=cb.DigestHours.pattern()),
        CallbackQueryHandler(digests.frequency_chosen, pattern=cb.DigestFrequencyChosen.pattern()),
        CallbackQueryHandler(digests.day_chosen, pattern=cb.DigestDayChosen.pattern()),
        CallbackQueryHandler(digests.hour_chosen, pattern=cb.DigestHourChosen.pattern()),
        CallbackQueryHandler(
            digests.follow_partnership, pattern=cb.DigestFollowPartnership.pattern()
        ),
        CommandHandler("challenges", challenge_list.list_command, filters=PRIVATE),
        CallbackQueryHandler(challenges.open_challenge, pattern=cb.ChallengeOpen.pattern()),
        CallbackQueryHandler(challenges.show_map, pattern=cb.ChallengeMap.pattern()),
        CallbackQueryHandler(challenges.show_attachments, pattern=cb.ChallengeFiles.pattern()),
        CallbackQueryHandler(challenge_list.list_pressed, pattern=cb.ChallengeList.pattern()),
        CallbackQueryHandler(challenge_list.filter_menu, pattern=cb.ChallengeFilterMenu.pattern()),
        CallbackQueryHandler(
            challenge_list.filter_menu, pattern=cb.ChallengeSearchFilterMenu.pattern()
        ),
        CallbackQueryHandler(challenge_list.search_pressed, pattern=cb.ChallengeSearch.pattern()),
        CallbackQueryHandler(challenge_list.summary_pressed, pattern=cb.ChallengeSummary.pattern()),
        CommandHandler("challenge_alerts", challenges.alerts_menu, filters=PRIVATE),
        CallbackQueryHandler(challenges.alerts_pressed, pattern=cb.ChallengeAlertsSwitch.pattern()),
        CommandHandler("escalation", challenges.escalation_menu, filters=PRIVATE),
        CallbackQueryHandler(
            challenges.escalation_delay_pressed, pattern=cb.EscalationDelay.pattern()
        ),
        CallbackQueryHandler(
            challenges.escalation_scope_pressed, pattern=cb.EscalationScope.pattern()
        ),
        CommandHandler("audit", audit.audit_command, filters=PRIVATE),
        CallbackQueryHandler(audit.audit_page, pattern=cb.AuditPage.pattern()),
        CallbackQueryHandler(audit.audit_people, pattern=cb.AuditPeople.pattern()),
        CallbackQueryHandler(audit.audit_kinds, pattern=cb.AuditKinds.pattern()),
        *retention.handlers(PRIVATE),
        CommandHandler("cancel", fallback.nothing_to_cancel),
        CommandHandler("resume", fallback.resume_menu, filters=PRIVATE),
        # Private-only commands sent in a group: point to the private chat.
        CommandHandler(PRIVATE_ONLY, fallback.private_only),
        # Fallbacks: must stay last.
        MessageHandler(filters.COMMAND, fallback.unknown_command),
        MessageHandler(filters.ALL & ~filters.StatusUpdate.ALL, fallback.unexpected_message),
        CallbackQueryHandler(fallback.stale_button),
    ]
    application.add_handlers(handlers, group=0)
    application.add_error_handler(errors.on_error)
