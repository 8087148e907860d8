"""The guided-flow engine: a flow is a declaration of steps over a draft; this module asks
them, reads the answers, and keeps the draft across restarts.

A `Flow` names its draft type (a dataclass or a pydantic model: the draft is kept as JSON in
the person's data, which the persistence saves after every update), its `Step`s in order,
its review (a summary and a Save button) and its hooks (what Save does, and actions of its
own). The engine gives every flow the same behaviour:

- a step asks its question, shows the current value ("Now: …", "/skip keeps it"), and takes
  a typed answer, a button of its choices, or a location/photo/document if it reads them;
- a bad answer is explained and the step stays; /skip keeps the value (a required step must
  have one), /back returns one step, or to the review; /cancel leaves, dropping the draft;
- after the last step, and after a field changed from the review, the review shows the draft
  with a button per step and Save;
- buttons carry the draft's token: a button of an older draft only says it is no longer
  active; the conversation's state and the draft survive a restart at the same step.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from markupsafe import Markup
from pydantic import TypeAdapter
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.callbacks import (
    DraftToken,
    FlowAction,
    FlowChoice,
    FlowEdit,
    FlowName,
    FlowResume,
    FlowSave,
    Word,
)
from bot.context import BotContext
from bot.i18n import N_, Translator
from bot.messaging import answer, reply, show, text_of
from bot.views import texts
from bot.views.keyboards import button, in_rows, keyboard

D = TypeVar("D")
Handler = BaseHandler[Update, BotContext, Any]

END = ConversationHandler.END
#: Every declared flow by name, to remind a person of the one they left open.
FLOWS: dict[str, Flow[Any]] = {}


class Invalid(Exception):
    """An answer the step (or Save) does not take: `message` says why and what to send
    instead; `actions` are buttons of the flow's own to offer with it: (label, action,
    value)."""

    def __init__(self, message: Markup, actions: Sequence[tuple[str, str, str]] = ()) -> None:
        super().__init__(str(message))
        self.message = message
        self.actions = tuple(actions)


class Stay(Exception):
    """An answer a step takes while it waits for more (a name, then a pin; files one by
    one), or a reminder of what it expects: the step stays, `draft` (when given) is kept,
    and `message` is sent with the step's buttons again."""

    def __init__(self, message: Markup, draft: Any = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.draft = draft


@dataclass(frozen=True, slots=True)
class Done:
    """What Save says when it has buttons to offer under it (e.g. Open what was saved)."""

    text: Markup
    markup: InlineKeyboardMarkup | None = None


@dataclass(frozen=True, slots=True)
class Choice:
    """A button of a step: its label, and the value its press gives `Step.chosen`."""

    label: str
    value: str


@dataclass(slots=True)
class Turn(Generic[D]):
    """One update inside a flow: what hooks read and change."""

    flow: Flow[D]
    update: Update
    context: BotContext
    state: dict[str, Any]

    @property
    def _(self) -> Translator:
        """The person's translator."""
        return self.context._

    @property
    def draft(self) -> D:
        """The draft as it stands."""
        return self.flow.adapter.validate_python(self.state["draft"])

    @draft.setter
    def draft(self, value: D) -> None:
        self.state["draft"] = self.flow.adapter.dump_python(value, mode="json")

    @property
    def extra(self) -> dict[str, Any]:
        """What a flow keeps besides its draft (a mode, an id, the choices shown)."""
        extra: dict[str, Any] = self.state.setdefault("extra", {})
        return extra

    def ask_next(self, step: str) -> None:
        """Ask `step` right after this answer, even from the review: a step the answer
        opens (a value to choose for the kind just chosen)."""
        self.state["queue"] = [step, *(self.state.get("queue") or [])]


Reads = Callable[[Turn[D], str], Awaitable[D]]
Chooses = Callable[[Turn[D]], Awaitable[Sequence[Choice]]]
Chosen = Callable[[Turn[D], str], Awaitable[D]]
Takes = Callable[[Turn[D], Message], Awaitable[D | None]]
Shows = Callable[[Translator, D], str | Markup | None]


def _nothing(_: Translator, draft: Any) -> None:
    return None


async def _say_done(
    update: Update,
    done: Markup | Done | None,
    say: Callable[[Update, str, InlineKeyboardMarkup | None], Awaitable[Message | None]],
) -> None:
    """Save's confirmation, with its buttons; nothing when the hook answered itself."""
    if isinstance(done, Done):
        await say(update, done.text, done.markup)
    elif done is not None:
        await say(update, done, None)


async def _no_rows() -> Sequence[Sequence[tuple[str, str, str]]]:
    return ()


async def _no_summary(turn: Turn[Any]) -> Markup:
    """The summary of a flow without review (`reviewed=False`), which never shows one."""
    return Markup("")


@dataclass(frozen=True, kw_only=True)
class Step(Generic[D]):
    """One question of a flow.

    `question` asks it; `shows` the value it has now; `reads` a typed answer into a new draft
    (raising `Invalid`); `choices` are its buttons and `chosen` reads a press; `takes` reads a
    location, photo or document (None: not one this step takes). `required` steps cannot be
    skipped while empty (`required_message` says so); `label` names the step on the review's
    buttons."""

    name: str
    label: str
    question: Callable[[Turn[D]], Awaitable[Markup]]
    shows: Shows[D] = _nothing
    reads: Reads[D] | None = None
    choices: Chooses[D] | None = None
    chosen: Chosen[D] | None = None
    takes: Takes[D] | None = None
    required: bool = False
    #: Asked only when this holds for the draft (e.g. a progress unless done).
    asked_if: Callable[[D], bool] = lambda draft: True
    required_message: Callable[[Translator], Markup] = lambda _: _(
        "This answer is needed. Send it, or /cancel."
    )
    per_row: int = 2
    #: False: the review has no button for it (a step asked only through another, e.g. one
    #: question of a repeated item).
    on_review: bool = True
    #: The review offers the step's button when this holds for the draft; by default when
    #: the step is asked for it (`asked_if`): no progress button for a milestone done.
    on_review_if: Callable[[D], bool] | None = None
    #: The value shown now when it depends on more than the draft (e.g. which item of a
    #: repeated step is asked, kept in `Turn.extra`); used instead of `shows`.
    current: Callable[[Turn[D]], str | Markup | None] | None = None

    def now(self, turn: Turn[D]) -> str | Markup | None:
        """The step's value as it stands ("Now: …"), or None when it has none."""
        if self.current is not None:
            return self.current(turn)
        return self.shows(turn._, turn.draft)


@dataclass(frozen=True, kw_only=True)
class Flow(Generic[D]):
    """A guided flow: its steps over a draft, its review, and what Save does."""

    name: str
    #: What the person is doing, to remind them of it: "logging a meeting" (a message id).
    title: str
    draft: type[D]
    steps: tuple[Step[D], ...]
    #: The review's heading and the draft as a card.
    summary: Callable[[Turn[D]], Awaitable[Markup]] = _no_summary
    #: Save: store the draft and say so (then the flow ends), or raise `Invalid` (it stays).
    #: None: the hook answered itself (a message with buttons of its own).
    save: Callable[[Turn[D]], Awaitable[Markup | Done | None]]
    #: Buttons of the review besides the steps' and Save: (label, action, value) rows.
    review_actions: Callable[[Turn[D]], Sequence[tuple[str, str, str]]] = lambda turn: ()
    #: The flow's own buttons (FlowAction): action name → what it does, given the button's
    #: value; it returns the state the conversation goes to (`asking`, `reviewing`, END).
    actions: dict[str, Callable[[Turn[D], str], Awaitable[object]]] = field(default_factory=dict)
    #: /back on the review: to the last step (a new draft) or the review again (an edit).
    back_from_review_to_steps: Callable[[Turn[D]], bool] = lambda turn: True
    #: The order of steps, when it is not the declared one (repeated steps, branches):
    #: `after(turn, step)` is the next step's name or None (the review); `before` for /back.
    after: Callable[[Turn[D], str], str | None] | None = None
    before: Callable[[Turn[D], str], str] | None = None
    #: A queued entry (see `start`) as the flow reads it: the name of the step to ask (the
    #: hook may keep what the entry says in `extra`, e.g. `due:2` → the due date of the third
    #: item), or None to pass over an entry no longer needed.
    queued: Callable[[Turn[D], str], str | None] | None = None
    #: Rows of the flow's own buttons on the review, between the steps' buttons and Save
    #: (e.g. one suggestion per row): (label, action, value) each.
    review_rows: Callable[[Turn[D]], Awaitable[Sequence[Sequence[tuple[str, str, str]]]]] = (
        lambda turn: _no_rows()
    )
    #: The Save button's label (a msgid; SAVE's by default), e.g. "Send" for a preview.
    save_label: str = "Save"
    #: False: no review; the flow saves right after its last step (short flows).
    reviewed: bool = True
    adapter: TypeAdapter[D] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "adapter", TypeAdapter(self.draft))
        FLOWS[self.name] = self

    async def show_again(self, update: Update, context: BotContext, intro: Markup) -> bool:
        """Show where the person is (the current question with its buttons, or the review)
        after `intro`; False if they have no draft of this flow."""
        state = context.draft(self.name)
        if "draft" not in state:
            return False
        turn = Turn(self, update, context, state)
        if state.get("at") == "review":
            await reply(update, intro)
            await self.review(turn)
        else:
            await self.ask(turn, intro)
        return True

    def step(self, name: str) -> Step[D]:
        """The step of that name (the first if the name is unknown)."""
        return next((s for s in self.steps if s.name == name), self.steps[0])

    @property
    def asking(self) -> str:
        """The conversation state while a step waits for its answer."""
        return f"{self.name}:ask"

    @property
    def reviewing(self) -> str:
        """The conversation state while the review waits for a button."""
        return f"{self.name}:review"

    def _button(self, turn: Turn[D], kind: type[FlowChoice] | type[FlowAction], *parts: str) -> Any:
        return kind(FlowName(self.name), DraftToken(turn.state["token"]), *(Word(p) for p in parts))

    def action_button(
        self, turn: Turn[D], label: str, action: str, value: str = "0"
    ) -> InlineKeyboardButton:
        """A button of the flow's own (see `actions`)."""
        return button(label, self._button(turn, FlowAction, action, value))

    # -- starting ---------------------------------------------------------------------------

    async def start(
        self,
        update: Update,
        context: BotContext,
        draft: D,
        *,
        review: bool = False,
        intro: Markup | None = None,
        queue: Sequence[str] = (),
        notes: dict[str, Markup] | None = None,
        at: str | None = None,
        ask_first: bool = False,
        **extra: Any,
    ) -> object:
        """Open the flow on a fresh draft: at its first step (or the step named `at`, those
        before it being answered), at the review, or (`queue`) asking only some steps
        before the review, each with its `notes` (why it is asked).

        `ask_first`: if the person has an unfinished draft of this flow, ask them first
        whether to continue it or start over (a command sent again must not drop it)."""
        kept = context.draft(self.name)
        if ask_first and "draft" in kept:
            kept["touched"] = context.services.clock().isoformat()  # the question is fresh
            kept["pending"] = {
                "draft": self.adapter.dump_python(draft, mode="json"),
                "review": review,
                "intro": None if intro is None else str(intro),
                "queue": list(queue),
                "notes": {name: str(note) for name, note in (notes or {}).items()},
                "at": at,
                "extra": extra,
            }
            turn = Turn(self, update, context, kept)
            _ = turn._
            question = _(
                "You have an unfinished draft of {flow}. Continue it, or start over?",
                flow=_.text(self.title),
            )
            buttons = [
                self.action_button(turn, _.text(CONTINUE), KEEP_DRAFT),
                self.action_button(turn, _.text(START_OVER), NEW_DRAFT),
            ]
            await reply(update, question, keyboard([buttons]))
            return self.asking
        state = context.draft(self.name, fresh=True)
        state.update(
            token=secrets.token_hex(2),
            step=self.step(at).name if at is not None else self.steps[0].name,
            reviewing=review or bool(queue),
            queue=list(queue),
            notes={name: str(note) for name, note in (notes or {}).items()},
        )
        membership = context.caller.membership if context.caller is not None else None
        if membership is not None:
            # Whose retention rule applies to the draft (services/retention.py).
            state["partnership"] = membership.partnership_id
        turn = Turn(self, update, context, state)
        turn.draft = draft
        turn.extra.update(extra)
        if queue:
            return await self.advance(turn)
        if review:
            return await self.review(turn)
        return await self.ask(turn, intro)

    def turn(self, update: Update, context: BotContext) -> Turn[D]:
        """The flow's state for this update."""
        return Turn(self, update, context, context.draft(self.name))

    # -- asking -----------------------------------------------------------------------------

    async def ask(self, turn: Turn[D], intro: Markup | None = None) -> str:
        """Ask the current step's question."""
        _ = turn._
        turn.state.update(at="step", touched=turn.context.services.clock().isoformat())
        step = self.step(turn.state["step"])
        reviewing = bool(turn.state.get("reviewing"))
        parts: list[Markup] = [intro] if intro is not None else []
        note = (turn.state.get("notes") or {}).pop(step.name, None)
        if note:
            parts.append(Markup(note))
        names = self._sequence(turn)
        # A single question needs no count; a step outside the sequence (asked by the
        # flow's own order) has no number.
        if not reviewing and len(names) > 1 and step.name in names:
            number = names.index(step.name) + 1
            parts.append(_("Step {step} of {steps}.", step=number, steps=len(names)))
        parts.append(await step.question(turn))
        current = step.now(turn)
        if current:
            parts += [_("Now: {current}", current=current), _("/skip keeps it.")]
        elif not step.required:
            parts.append(_("/skip leaves it empty."))
        if reviewing:
            parts.append(_("/back returns to the summary, /cancel stops without saving."))
        elif step.name == (names[0] if names else self.steps[0].name):
            # The first question asked (the first step, unless this draft skips it).
            parts.append(_("/cancel stops without saving."))
        else:
            parts.append(_("/back returns to the previous step, /cancel stops without saving."))
        markup = await self._choices(turn, step)
        await reply(turn.update, Markup("\n").join(parts), markup)
        return self.asking

    async def _choices(self, turn: Turn[D], step: Step[D]) -> InlineKeyboardMarkup | None:
        if step.choices is None:
            return None
        choices = await step.choices(turn)
        if not choices:
            return None
        buttons = [
            button(c.label, self._button(turn, FlowChoice, step.name, c.value)) for c in choices
        ]
        return keyboard(in_rows(buttons, step.per_row))

    # -- answers ----------------------------------------------------------------------------

    async def typed(self, update: Update, context: BotContext) -> object:
        """A typed answer to the current step."""
        turn = self.turn(update, context)
        step = self.step(turn.state["step"])
        if step.reads is None:
            # The buttons may be far up the chat: ask again, with them.
            return await self.ask(turn, turn._("Please choose one of the buttons below."))
        try:
            turn.draft = await step.reads(turn, text_of(update))
        except Stay as stay:
            return await self.stay(turn, stay)
        except Invalid as invalid:
            await self.refuse(turn, invalid)
            return self.asking
        return await self.advance(turn)

    async def media(self, update: Update, context: BotContext) -> object:
        """A location, photo or document: taken by a step that reads them."""
        turn = self.turn(update, context)
        step = self.step(turn.state["step"])
        message = update.effective_message
        try:
            taken = (
                None if step.takes is None or message is None else await step.takes(turn, message)
            )
        except Stay as stay:
            return await self.stay(turn, stay)
        except Invalid as invalid:
            await self.refuse(turn, invalid)
            return self.asking
        if taken is None:
            await reply(
                update,
                turn._(
                    "I expected a text or a button here. Answer the last question, or send /cancel."
                ),
            )
            return self.asking
        turn.draft = taken
        return await self.advance(turn)

    async def stay(self, turn: Turn[D], stay: Stay) -> str:
        """The step stays (see `Stay`): keep what it took, say so, show its buttons again."""
        if stay.draft is not None:
            turn.draft = stay.draft
        step = self.step(turn.state["step"])
        await reply(turn.update, stay.message, await self._choices(turn, step))
        return self.asking

    async def choice(self, update: Update, context: BotContext) -> object:
        """A button of the current step."""
        turn = self.turn(update, context)
        pressed = FlowChoice.of(update)
        step = self.step(turn.state["step"])
        if pressed.token != turn.state.get("token") or pressed.step != step.name:
            await answer(update, turn._.text(texts.BUTTON_EXPIRED))
            return None  # the conversation stays where it is
        await answer(update)
        if step.chosen is None:
            return self.asking
        try:
            turn.draft = await step.chosen(turn, pressed.value)
        except Stay as stay:
            return await self.stay(turn, stay)
        except Invalid as invalid:
            await self.refuse(turn, invalid)
            return self.asking
        return await self.advance(turn)

    async def skip(self, update: Update, context: BotContext) -> object:
        """/skip: keep the step's value; a required step must have one."""
        turn = self.turn(update, context)
        step = self.step(turn.state["step"])
        if step.required and not step.now(turn):
            await reply(update, step.required_message(turn._))
            return self.asking
        return await self.advance(turn)

    async def back(self, update: Update, context: BotContext) -> object:
        """/back: one step back; from a field opened on the review, back to the review."""
        turn = self.turn(update, context)
        if turn.state.get("reviewing"):
            turn.state["queue"] = []
            return await self.review(turn)
        turn.state["step"] = self.previous_step(turn, turn.state["step"])
        return await self.ask(turn)

    async def advance(self, turn: Turn[D]) -> object:
        """After an accepted answer: what is queued, the next step, or the review."""
        queue: list[str] = turn.state.get("queue") or []
        while queue:
            entry, queue = queue[0], queue[1:]
            name = entry if self.queued is None else self.queued(turn, entry)
            turn.state["queue"] = queue
            if name is not None:
                turn.state["step"] = name
                return await self.ask(turn)
        following = (
            None if turn.state.get("reviewing") else self.next_step(turn, turn.state["step"])
        )
        if following is None:
            return await (self.review(turn) if self.reviewed else self.save_at_last_step(turn))
        turn.state["step"] = following
        return await self.ask(turn)

    def _sequence(self, turn: Turn[D]) -> list[str]:
        draft = turn.draft
        return [s.name for s in self.steps if s.asked_if(draft)]

    def next_step(self, turn: Turn[D], current: str) -> str | None:
        """The step after `current` (None: the review). A flow may pass its own `after`."""
        if self.after is not None:
            return self.after(turn, current)
        names = self._sequence(turn)
        position = names.index(current) if current in names else -1
        return names[position + 1] if position + 1 < len(names) else None

    def previous_step(self, turn: Turn[D], current: str) -> str:
        """The step before `current` (the first stays). A flow may pass its own `before`."""
        if self.before is not None:
            return self.before(turn, current)
        names = self._sequence(turn)
        position = names.index(current) if current in names else 0
        return names[max(position - 1, 0)]

    # -- the review -------------------------------------------------------------------------

    async def review(self, turn: Turn[D]) -> str:
        """The draft with a button per step, the flow's own buttons, and Save."""
        _ = turn._
        turn.state.update(
            reviewing=True,
            queue=[],
            at="review",
            touched=turn.context.services.clock().isoformat(),
        )
        flow, token = FlowName(self.name), DraftToken(turn.state["token"])
        draft = turn.draft  # steps not asked for this draft are not offered either
        edits = [
            button("✎ " + _.text(s.label), FlowEdit(flow, token, Word(s.name)))
            for s in self.steps
            if s.on_review and (s.on_review_if or s.asked_if)(draft)
        ]
        rows: list[list[InlineKeyboardButton]] = in_rows(edits, 2)
        rows += [
            [self.action_button(turn, *action) for action in row]
            for row in await self.review_rows(turn)
        ]
        last = [button("✓ " + _.text(self.save_label), FlowSave(flow, token))]
        last += [
            self.action_button(turn, label, action, value)
            for label, action, value in self.review_actions(turn)
        ]
        rows.append(last)
        # A button that leads here has been answered already: Telegram refuses a second answer.
        await reply(turn.update, await self.summary(turn), keyboard(rows))
        return self.reviewing

    async def edit(self, update: Update, context: BotContext) -> object:
        """A step's button on the review: ask it, then come back."""
        turn = self.turn(update, context)
        pressed = FlowEdit.of(update)
        if pressed.token != turn.state.get("token") or pressed.step not in {
            s.name for s in self.steps
        }:
            await answer(update, turn._.text(texts.BUTTON_EXPIRED))
            return self.reviewing
        await answer(update)
        turn.state.update(step=pressed.step, reviewing=True)
        return await self.ask(turn)

    async def review_back(self, update: Update, context: BotContext) -> object:
        """/back on the review: to the last step of a new draft; otherwise stay."""
        turn = self.turn(update, context)
        if self.back_from_review_to_steps(turn):
            names = self._sequence(turn)
            turn.state.update(reviewing=False, step=names[-1] if names else self.steps[-1].name)
            return await self.ask(turn)
        return await self.review(turn)

    async def save_pressed(self, update: Update, context: BotContext) -> object:
        """Save: the flow's hook stores the draft; the flow ends, or stays if it refuses."""
        turn = self.turn(update, context)
        if FlowSave.of(update).token != turn.state.get("token"):
            await answer(update, turn._.text(texts.BUTTON_EXPIRED))
            return self.reviewing
        return await self.finish(turn)

    async def finish(self, turn: Turn[D]) -> object:
        """Save, from the review's button or a button of the flow's own ("save anyway"):
        the flow ends with what the hook says, or stays on the review if it refuses."""
        update = turn.update
        try:
            done = await self.save(turn)
        except Invalid as invalid:
            await answer(update)
            await self.refuse(turn, invalid)
            return self.reviewing
        turn.context.discard_draft(self.name)
        await _say_done(update, done, show)
        return END

    async def save_at_last_step(self, turn: Turn[D]) -> object:
        """A flow without review (`reviewed=False`): Save after the last answer; if the
        hook refuses, its message is shown and the last step is asked again."""
        try:
            done = await self.save(turn)
        except Invalid as invalid:
            await reply(turn.update, invalid.message)
            return await self.ask(turn)
        turn.context.discard_draft(self.name)
        # A button that leads here has been answered already: a new message, not an edit.
        await _say_done(turn.update, done, reply)
        return END

    async def refuse(self, turn: Turn[D], invalid: Invalid) -> None:
        """Say why an answer (or Save) was not taken, with the buttons it offers."""
        actions = [[self.action_button(turn, *action)] for action in invalid.actions]
        await reply(turn.update, invalid.message, keyboard(actions) if actions else None)

    async def action(self, update: Update, context: BotContext) -> object:
        """A button of the flow's own (FlowAction)."""
        turn = self.turn(update, context)
        pressed = FlowAction.of(update)
        if pressed.action in (KEEP_DRAFT, NEW_DRAFT) and "pending" in turn.state:
            await answer(update)
            return await self._resume_or_restart(turn, pressed.action == NEW_DRAFT)
        hook = self.actions.get(pressed.action)
        if pressed.token != turn.state.get("token") or hook is None:
            await answer(update, turn._.text(texts.BUTTON_EXPIRED))
            return None
        return await hook(turn, pressed.value)

    async def _resume_or_restart(self, turn: Turn[D], restart: bool) -> object:
        """The answer to "continue or start over" (see `start`)."""
        pending = turn.state.pop("pending")
        if not restart:
            await self.show_again(turn.update, turn.context, turn._("Here is where you were."))
            return self.reviewing if turn.state.get("at") == "review" else self.asking
        return await self.start(
            turn.update,
            turn.context,
            self.adapter.validate_python(pending["draft"]),
            review=bool(pending["review"]),
            intro=None if pending["intro"] is None else Markup(pending["intro"]),
            queue=pending["queue"],
            notes={name: Markup(note) for name, note in pending["notes"].items()},
            at=pending["at"],
            **pending["extra"],
        )

    def end(self, turn: Turn[D]) -> object:
        """Close the flow from a hook, dropping its draft."""
        turn.context.discard_draft(self.name)
        return END

    # -- the conversation -------------------------------------------------------------------

    def states(self, media: filters.BaseFilter | None = None) -> dict[object, list[Handler]]:
        """The handlers of the flow's two states, for its ConversationHandler (`media`: the
        messages besides text its steps take)."""
        mine = {"flow": self.name}
        asking: list[Handler] = [
            CommandHandler("skip", self.skip),
            CommandHandler("back", self.back),
            CallbackQueryHandler(self.choice, pattern=FlowChoice.pattern_with(**mine)),
            CallbackQueryHandler(self.action, pattern=FlowAction.pattern_with(**mine)),
            MessageHandler(filters.TEXT & ~filters.COMMAND, self.typed),
        ]
        if media is not None:
            asking.append(MessageHandler(media, self.media))
        reviewing: list[Handler] = [
            CallbackQueryHandler(self.edit, pattern=FlowEdit.pattern_with(**mine)),
            CallbackQueryHandler(self.save_pressed, pattern=FlowSave.pattern_with(**mine)),
            CallbackQueryHandler(self.action, pattern=FlowAction.pattern_with(**mine)),
            CommandHandler("back", self.review_back),
        ]
        for handler in (*asking, *reviewing):
            handler.callback = self._unless_left_too_long(handler.callback)
        return {self.asking: asking, self.reviewing: reviewing}

    def _unless_left_too_long(
        self, callback: Callable[[Update, BotContext], Coroutine[Any, Any, Any]]
    ) -> Callable[[Update, BotContext], Coroutine[Any, Any, Any]]:
        """A flow untouched for FLOW_TIMEOUT_HOURS is closed at the person's next message,
        its draft kept for /resume (or for the flow's command, which offers to continue)."""

        async def fresh(update: Update, context: BotContext) -> object:
            state = context.draft(self.name)
            if "draft" not in state:
                # The draft was removed (retention) while the flow stayed open: it ends.
                await answer(update)
                await reply(update, context._(DRAFT_REMOVED))
                return END
            touched = state.get("touched")
            limit = timedelta(hours=context.settings.flow_timeout_hours)
            if touched and context.services.clock() - datetime.fromisoformat(touched) > limit:
                await answer(update)
                _ = context._
                await reply(
                    update,
                    _.plural(
                        "You left {flow} untouched for more than {count} hour: it is closed,"
                        " and its draft is kept. Send /resume to continue it.",
                        "You left {flow} untouched for more than {count} hours: it is closed,"
                        " and its draft is kept. Send /resume to continue it.",
                        context.settings.flow_timeout_hours,
                        flow=_.text(self.title),
                    ),
                )
                return END
            return await callback(update, context)

        return fresh

    async def resume(self, update: Update, context: BotContext) -> object:
        """A kept draft's button (from /resume): the flow goes on where it was left."""
        state = context.draft(self.name)
        if "draft" not in state or FlowResume.of(update).token != state.get("token"):
            await answer(update, context._.text(texts.BUTTON_EXPIRED))
            return END
        await answer(update)
        await self.show_again(update, context, context._("Here is where you were."))
        return self.reviewing if state.get("at") == "review" else self.asking

    def resume_button(self, context: BotContext) -> InlineKeyboardButton | None:
        """The button that continues this flow's kept draft; None if there is none."""
        state = context.draft(self.name)
        if "draft" not in state:
            return None
        label = context._.text(CONTINUE_WHAT).format(flow=context._.text(self.title))
        return button(label, FlowResume(FlowName(self.name), DraftToken(state["token"])))


SAVE = N_("Save")
CONTINUE = N_("Continue the draft")
CONTINUE_WHAT = N_("Continue: {flow}")
START_OVER = N_("Start over")
DRAFT_REMOVED = N_(
    "This draft was left unused too long and has been removed. Send the command again to start"
    " afresh."
)
#: The flow's own actions of the engine: continue the kept draft, or start a new one.
KEEP_DRAFT = "keep"
NEW_DRAFT = "anew"
