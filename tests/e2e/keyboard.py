"""Driving a page with the keyboard alone, as a person who uses no mouse: Tab until a control has the focus,
and check that the focus can be seen there."""

from __future__ import annotations

_FOCUS_STYLE = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {
    element: el.outerHTML.slice(0, 160),
    outline: style.outlineStyle === "none" ? 0 : parseFloat(style.outlineWidth),
  };
}"""


def assert_focus_visible(page) -> None:
    """The focused element shows a focus ring of at least 2 px (app.css draws 3 px)."""
    focus = page.evaluate(_FOCUS_STYLE)
    assert focus["outline"] >= 2, f"no visible focus on {focus['element']}"


def is_focused(locator) -> bool:
    return locator.evaluate("el => el === document.activeElement")


def tab_to(page, locator, *, backwards: bool = False, limit: int = 120) -> None:
    """Press Tab (Shift+Tab with ``backwards``) until ``locator`` has the focus (none when it has it already);
    the focus must be visible there."""
    key = "Shift+Tab" if backwards else "Tab"
    if is_focused(locator):
        assert_focus_visible(page)
        return
    for _ in range(limit):
        page.keyboard.press(key)
        if is_focused(locator):
            assert_focus_visible(page)
            return
    raise AssertionError(f"{key} pressed {limit} times never reached {locator}")
