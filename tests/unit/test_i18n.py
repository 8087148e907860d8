"""Catalogs cover every string of the code; values are escaped and isolated in Arabic."""

from __future__ import annotations

from markupsafe import Markup

from bot.i18n import FIRST_STRONG_ISOLATE, POP_DIRECTIONAL_ISOLATE, Translator
from domain.models import LANGUAGES
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
