from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from integrations.selectors import main_connection_for

register = template.Library()


@register.simple_tag
def connection_status_badge(business, connections=None):
    """The main connection's status of a business, for the client switcher.

    ``connections`` (business id → main connection) comes from the context processor, read once.
    """
    connection = connections.get(business.id) if connections is not None else main_connection_for(business=business)
    if connection is None:
        return mark_safe(  # noqa: S308 - a constant
            '<span class="small text-body-secondary" data-status="none">'
            '<span class="status-dot status-none" aria-hidden="true"></span>Not connected</span>'
        )
    return format_html(
        '<span class="small" data-status="{}">'
        '<span class="status-dot status-{}" aria-hidden="true"></span>{} · {}</span>',
        connection.status,
        connection.status,
        connection.name,
        connection.get_status_display(),
    )
