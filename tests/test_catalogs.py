"""The locale catalogs and button data."""

from __future__ import annotations

import pytest

from bot.core import buttons
from bot.core.i18n import Raw, load_catalog, placeholders, t


def test_catalogs_have_the_same_sentences() -> None:
    """Chinese and English catalogs hold the same keys with the same parameters."""
    zh, en = load_catalog("zh"), load_catalog("en")
    assert set(zh) == set(en)
    assert {} == {
        k: (placeholders(zh[k]), placeholders(en[k]))
        for k in zh
        if placeholders(zh[k]) != placeholders(en[k])
    }


def test_parameters_are_escaped() -> None:
    """A shop owner's text cannot inject HTML into a message."""
    assert "📝 &lt;b&gt;x&lt;/b&gt; &amp; y" == t("zh", "card.description", text="<b>x</b> & y")
    assert "📝 <b>x</b>" == t("zh", "card.description", text=Raw("<b>x</b>"))


def test_button_data_round_trip() -> None:
    """Button data is versioned and decodes to the press it encodes."""
    data = buttons.encode(buttons.Press.CATEGORY, 1042, "vending")
    assert "v1:cat:1042:vending" == data
    assert buttons.ButtonPress("cat", 1042, "vending") == buttons.decode(data)


@pytest.mark.parametrize(
    "data", [None, "", "v0:cat:1:x", "v1:nope:1", "v1:cat:x", "v1:cat:1:a:b", "v1:cat:" + "9" * 70]
)
def test_malformed_button_data_decodes_to_nothing(data: str | None) -> None:
    """Unknown, old or crafted button data is recognised as such."""
    assert buttons.decode(data) is None


def test_button_data_over_64_bytes_is_refused() -> None:
    """Encoding refuses data Telegram would reject."""
    with pytest.raises(ValueError, match="64 bytes"):
        buttons.encode(buttons.Press.CATEGORY, 1, "x" * 60)


def test_every_sentence_the_code_asks_for_exists() -> None:
    """Each literal catalog key used in bot/ and handlers/ is in the catalogs."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    used: set[str] = set()
    for folder in ("bot", "handlers"):
        for path in (root / folder).rglob("*.py"):
            used |= set(re.findall(r'\bt\(\s*[\w.]+,\s*"([a-z_]+\.[a-z_.]+)"', path.read_text()))
    assert len(used) > 50
    assert set() == used - set(load_catalog("zh"))


def test_command_menu_is_in_both_catalogs() -> None:
    """Every command in the bot's menus has a description in both languages."""
    from bot.app import GROUP_COMMANDS, PRIVATE_COMMANDS

    for locale in ("zh", "en"):
        catalog = load_catalog(locale)
        assert [] == [
            c for c in {*GROUP_COMMANDS, *PRIVATE_COMMANDS} if f"command.{c}" not in catalog
        ]


def test_lists_are_written_the_languages_way() -> None:
    """Lists read 甲、乙 in Chinese and a, b in English, with each item escaped."""
    from bot.core.i18n import joined

    assert "甲、乙" == joined("zh", ["甲", "乙"])
    assert "a, b &amp; c" == joined("en", ["a", "b & c"])


def test_every_button_action_fits_with_a_long_row_and_argument() -> None:
    """Each action's data, for a ticket number in the billions and a code-sized argument,
    stays within Telegram's 64 bytes."""
    for action in buttons.Press:
        data = buttons.encode(action, 9_999_999_999, "x" * 32)
        assert buttons.ButtonPress(action, 9_999_999_999, "x" * 32) == buttons.decode(data)
