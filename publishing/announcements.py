"""The words a screen reader hears when an item changes on a page without a page load (issue 15).

The views send them with ``dext_connections.htmx.announce`` (htmx answers) or as page messages.
"""

from publishing.models import ItemState


def integration_result(item, error: str | None) -> str:
    """After an inline Integration change: saved, and where the item goes now, or why it was refused."""
    if error:
        return f"Not saved: {error}"
    where = item.integration_name or "no integration"
    return f"Saved: {item.label} goes to {where} ({item.source_words})."


def landed(item, state_label: str) -> str:
    """A row or an item page that was queued or publishing has an answer from the provider."""
    label = getattr(item, "label", "") or "The item"
    if item.state == ItemState.PUBLISHED:
        where = f" to {item.integration_name}" if getattr(item, "integration_name", "") else ""
        return f"Published{where}: {label}."
    if item.last_publish_error:
        return f"Not published: {label}. {item.last_publish_error}"
    return f"{label} is now {state_label}."
