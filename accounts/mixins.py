"""Tenant context from the URL, resolved for the signed-in user: one page mixin, one API base."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from rest_framework.views import APIView

from accounts.page_context import business_page_context
from accounts.permissions import Access, Action, require
from accounts.selectors import business_access_for


class BusinessViewMixin(LoginRequiredMixin):
    """Pages under ``/b/<business_id>/``: sets ``self.access`` and ``self.business`` or answers 404.

    ``required_action`` guards every method; ``write_action`` additionally guards unsafe methods.
    """

    required_action: Action = Action.VIEW
    write_action: Action | None = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        access = business_access_for(user=request.user, business_id=kwargs.get("business_id"))
        if access is None:
            raise Http404("No such business.")
        self.access: Access = access
        self.business = access.business
        require(access, self.required_action)
        if self.write_action and request.method not in ("GET", "HEAD", "OPTIONS"):
            require(access, self.write_action)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # What higher apps show on every page of the business (e.g. integrations' reconnect banner).
        context.update(access=self.access, business=self.business, **business_page_context(self.access))
        return context


class BusinessAPIView(APIView):
    """API views under ``/api/v1/businesses/<business_id>/``: ``self.access`` or 404 ``not_found``."""

    required_action: Action = Action.VIEW
    write_action: Action | None = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication first: 401 before 404
        access = business_access_for(user=request.user, business_id=kwargs.get("business_id"))
        if access is None:
            raise Http404
        self.access: Access = access
        self.business = access.business
        require(access, self.required_action)
        if self.write_action and request.method not in ("GET", "HEAD", "OPTIONS"):
            require(access, self.write_action)
