from django.views.generic import TemplateView

from accounts.mixins import BusinessViewMixin
from accounts.permissions import Action, can
from integrations.selectors import connections_live


class ConnectionsView(BusinessViewMixin, TemplateView):
    template_name = "integrations/connections.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["connections"] = list(connections_live(business=self.business))
        context["can_manage"] = can(self.access, Action.MANAGE_CONNECTIONS)
        return context
