from django.views.generic import TemplateView

from accounts.mixins import BusinessViewMixin


class CostsInboxView(BusinessViewMixin, TemplateView):
    template_name = "publishing/costs_inbox.html"


class SalesView(BusinessViewMixin, TemplateView):
    template_name = "publishing/sales.html"


class ExpenseClaimsView(BusinessViewMixin, TemplateView):
    template_name = "publishing/expense_claims.html"
