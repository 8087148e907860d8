"""Catalogs cover every string of the code; values are escaped and isolated in Arabic."""

from __future__ import annotations

import gettext
import os
import re
from pathlib import Path

import pytest
from markupsafe import Markup

from bot.handlers.challenge_list import _summary_label
from bot.i18n import FIRST_STRONG_ISOLATE, POP_DIRECTIONAL_ISOLATE, Translator
from bot.views import texts
from bot.views.contacts import value_text
from bot.views.meetings import meeting_card, problem
from domain.models import LANGUAGES
from services.contact_fields import ContactDraft
from services.contact_fields import Field as ContactField
from services.meeting_fields import Field, InvalidMeetingField, MeetingDraft, Problem
from tools import catalogs


def test_every_catalog_has_every_string_with_its_placeholders() -> None:
    assert catalogs.extract(), "no translatable strings found: extraction is broken"
    problems = [problem for language in LANGUAGES for problem in catalogs.problems(language)]
    assert problems == []


def test_values_are_escaped_but_markup_is_kept() -> None:
    _ = Translator("en")
    text = _("Welcome back, {name}.", name="<b>Ana</b> & co")
    assert text == "Welcome back, &lt;b&gt;Ana&lt;/b&gt; &amp; co."
    assert _("Welcome back, {name}.", name=Markup("<b>Ana</b>")) == "Welcome back, <b>Ana</b>."


def test_arabic_isolates_user_values() -> None:
    _ = Translator("ar")
    text = _("Welcome back, {name}.", name="John 42")
    assert f"{FIRST_STRONG_ISOLATE}John 42{POP_DIRECTIONAL_ISOLATE}" in text
    assert "Welcome back" not in text  # translated


def test_plural_forms_follow_the_language() -> None:
    for language in LANGUAGES:
        _ = Translator(language)
        one = _.plural(
            "{partnership}: {count} member. Choose one to change their role or remove them.",
            "{partnership}: {count} members. Choose one to change their role or remove them.",
            1,
            partnership="X",
        )
        many = _.plural(
            "{partnership}: {count} member. Choose one to change their role or remove them.",
            "{partnership}: {count} members. Choose one to change their role or remove them.",
            7,
            partnership="X",
        )
        assert "7" in many and "{" not in one + many


def test_unknown_languages_fall_back_to_english() -> None:
    assert Translator("de").language == "en"


def _literal_calls() -> set[catalogs.MessageId]:
    """Message ids of `_("...")` and `.plural("...", "...")` calls, read with `ast`."""
    import ast

    found: set[catalogs.MessageId] = set()
    for source in catalogs.SOURCES:
        for path in (catalogs.ROOT / source).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                name = getattr(node.func, "attr", getattr(node.func, "id", None))
                strings = [a.value for a in node.args if isinstance(a, ast.Constant)]
                if name in ("_", "N_") and isinstance(node.args[0], ast.Constant):
                    found.add(str(node.args[0].value))
                elif name == "plural" and len(strings) >= 2:
                    found.add((str(strings[0]), str(strings[1])))
    return found


def test_extraction_reads_every_call_as_written() -> None:
    # Guards against calls the extractor misreads (e.g. `_` used inside a plural's arguments).
    assert _literal_calls() <= set(catalogs.extract())


def test_make_i18n_reads_the_code_as_the_check_does() -> None:
    # `make i18n` writes the catalogs with pybabel; the check (and the test above) must look
    # for the same calls in the same files, or a string could be checked but never extracted.
    recipe = (catalogs.ROOT / "Makefile").read_text(encoding="utf-8").replace("\\\n", " ")
    extract = next(line for line in recipe.splitlines() if "pybabel -q extract" in line).split()
    keywords = {extract[i + 1] for i, word in enumerate(extract) if word == "-k"}
    assert f"-F {catalogs.MAPPING.name}" in " ".join(extract)
    assert "--no-default-keywords" in extract
    assert keywords == {
        name if spec is None else f"{name}:{','.join(map(str, spec))}"
        for name, spec in catalogs.KEYWORDS.items()
    }


SAMPLE_COUNTS = (0, 1, 2, 3, 11, 100)


def _forms_used_once(language: str) -> set[int]:
    """The plural forms a catalog's header gives to one number only (e.g. "one" for n == 1):
    only these may leave the number out ("a file", «ملفان»)."""
    rule = gettext.c2py(catalogs.load(language).plural_expr)
    chosen = [rule(n) for n in range(1001)]
    return {form for form in set(chosen) if chosen.count(form) == 1}


def test_every_plural_renders_at_every_sample_count_in_every_language() -> None:
    plurals = [key for key in catalogs.extract() if isinstance(key, tuple)]
    assert plurals, "no plural strings found: extraction is broken"
    problems = []
    for language in LANGUAGES:
        catalog = catalogs.load(language)
        header = catalog.num_plurals
        single = _forms_used_once(language)
        rule = gettext.c2py(catalog.plural_expr)
        _ = Translator(language)
        for singular, plural in plurals:
            entry = catalog.get(singular)
            forms = entry.string if entry is not None else None
            if language != "en" and (not isinstance(forms, tuple | list) or len(forms) != header):
                problems.append(f"{language}: {singular!r} has not {header} forms")
            values = {name: "X" for name in catalogs.PLACEHOLDER.findall(plural) if name != "count"}
            for n in SAMPLE_COUNTS:
                text = str(_.plural(singular, plural, n, **values))
                form = rule(n)
                if not text.strip() or catalogs.PLACEHOLDER.search(text):
                    problems.append(f"{language} n={n}: {text!r}")
                elif str(n) not in text and form not in single:
                    problems.append(f"{language} n={n}: no count in {text!r}")
    assert problems == []


#: Counts shown without a noun to agree with: a unit symbol, a sentence that names no thing.
NOUNLESS_COUNTS = {"{count} min", "That makes {count}, the most a challenge takes."}


def test_a_count_beside_a_noun_goes_through_plural() -> None:
    # "{count} days" in a plain string is only right for some numbers in Arabic (and for none
    # at 1 in English): a count is either a label's value ("Files (3)", "Removed: 3") or plural.
    plain = {key for key in _literal_calls() if isinstance(key, str) and "{count}" in key}
    assert plain, "no plain strings with a count found: the test reads nothing"
    beside_a_noun = {
        msgid
        for msgid in plain - NOUNLESS_COUNTS
        if not re.search(r"(: |\()\{count\}(\)|$)", msgid)
    }
    assert beside_a_noun == set()


def test_limits_are_counted_in_the_language() -> None:
    _ = Translator("ar")
    assert "7\u2069 أيام" in _summary_label(_, 7)
    assert "30\u2069 يومًا" in _summary_label(_, 30)
    assert "100\u2069 حرف" in texts.query_too_long(_, 100)
    assert "3\u2069 أحرف" in texts.query_too_long(_, 3)
    assert texts.query_too_long(Translator("en"), 1) == "Search with at most 1 character."


def test_the_meeting_card_spaces_its_labels_as_each_language_does() -> None:
    draft = MeetingDraft(title="COP", location="Dakar")
    french = meeting_card(Translator("fr"), draft, "Africa/Dakar")
    assert "<b>Lieu</b>\u00a0: Dakar" in french
    assert "<b>Location</b>: Dakar" in meeting_card(Translator("en"), draft, "Africa/Dakar")


def test_the_follow_up_action_limit_agrees_with_its_number() -> None:
    """Arabic review item 14: the limit is counted in the language, not pasted in."""

    def said(language: str, limit: int) -> str:
        error = InvalidMeetingField(Field.ACTIONS, Problem.TOO_MANY, limit=limit)
        return str(problem(Translator(language), error))

    assert said("en", 1).startswith("A meeting holds at most 1 follow-up action.")
    assert said("en", 15).startswith("A meeting holds at most 15 follow-up actions.")
    assert "إلا لإجراء متابعة واحد" in said("ar", 1)
    assert "إجراءً للمتابعة" in said("ar", 15) and "إجراءات متابعة" in said("ar", 3)
    assert "{count} acción" not in said("es", 1) and "1 acción de seguimiento" in said("es", 1)


def test_arabic_lists_are_separated_by_the_arabic_comma() -> None:
    """The glossary: « ، » in Arabic lists, a Latin comma elsewhere (a contact's languages)."""
    draft = ContactDraft("Awa", "CENTIF", languages=("fr", "en"))
    assert value_text(Translator("ar"), ContactField.LANGUAGES, draft) == "الفرنسية، الإنجليزية"
    assert value_text(Translator("fr"), ContactField.LANGUAGES, draft) == "français, anglais"


def test_compiled_catalogs_are_kept_and_compiled_again_when_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot import i18n

    folder = tmp_path / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    po = folder / "messages.po"
    po.write_bytes((i18n.LOCALES_DIR / "fr" / "LC_MESSAGES" / "messages.po").read_bytes())
    monkeypatch.setattr(i18n, "LOCALES_DIR", tmp_path)
    load = i18n._catalog.__wrapped__  # past the per-process cache
    assert load("fr").gettext("What you can do:") != "What you can do:"
    mo = folder / "messages.mo"
    assert mo.exists()
    # A damaged compiled file is compiled again, and so is one older than its .po.
    mo.write_bytes(b"not a catalog")
    assert load("fr").gettext("What you can do:") != "What you can do:"
    text = po.read_text(encoding="utf-8").replace(
        'msgstr "Ce que vous pouvez faire\u00a0:"', 'msgstr "Vos commandes\u00a0:"'
    )
    po.write_text(text, encoding="utf-8")
    os.utime(mo, ns=(0, 0))
    assert load("fr").gettext("What you can do:") == "Vos commandes\u00a0:"
    # A folder that cannot be written: compiled in memory, every time.
    os.utime(mo, ns=(0, 0))
    folder.chmod(0o500)
    try:
        assert load("fr").gettext("What you can do:") == "Vos commandes\u00a0:"
    finally:
        folder.chmod(0o700)
