"""Business settings > Supplier rules: the list, the form (create or edit), delete."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.views import View
from django.views.generic import TemplateView

from accounts.mixins import BusinessViewMixin
from accounts.permissions import Action, can
from dext_connections.errors import ApplicationError
from publishing import fields as spec
from publishing import selectors, services
from publishing.coding import coding_context, entry_for
from publishing.forms import SupplierRuleForm
from publishing.models import ItemKind, SupplierRule
from publishing.services.supplier_rules import rule_coder
from publishing.views.coding import picker


class SupplierRulesView(BusinessViewMixin, TemplateView):
    template_name = "publishing/supplier_rules.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        connections = selectors.connections_for_items(business=self.business)
        rules = list(selectors.supplier_rules_list(business=self.business))
        for rule in rules:
            rule.integration_name = connections.name_of(rule.integration_id)
        context.update(rules=rules, can_edit=can(self.access, Action.EDIT_SUPPLIER_RULES))
        return context


class SupplierRuleFormView(BusinessViewMixin, TemplateView):
    """Create (no ``rule_id``) or edit a supplier rule."""

    template_name = "publishing/supplier_rule_form.html"
    required_action = Action.EDIT_SUPPLIER_RULES

    def _rule(self):
        rule_id = self.kwargs.get("rule_id")
        return services.supplier_rule_get(business=self.business, rule_id=rule_id) if rule_id else None

    def _form(self, rule, data=None):
        connections = selectors.connections_for_items(business=self.business).accepting(ItemKind.COST)
        initial = {}
        if rule is not None:
            initial = {name: getattr(rule, name) for name in services.RULE_FIELDS}
            initial["paid"] = "" if rule.paid is None else ("true" if rule.paid else "false")
            initial.update(supplier_name=rule.supplier.name, integration=str(rule.integration_id or ""))
        else:
            initial["supplier_name"] = self.request.GET.get("supplier", "")
        form = SupplierRuleForm(data, initial=initial, connections=connections)
        # Choosing another integration brings its lists into the pickers at once (htmx asks this page again with
        # ?integration= and takes its coding block).
        form.fields["integration"].widget.attrs.update(
            {
                "hx-get": self.request.path,
                "hx-trigger": "change",
                "hx-target": "#rule-coding",
                "hx-select": "#rule-coding",
                "hx-swap": "outerHTML",
                "aria-controls": "rule-coding",
            }
        )
        return form

    def _coder(self, rule, integration=None):
        """The connection whose lists code the rule: its integration's, or the one chosen on the form meanwhile
        (``integration``: a connection id, "" for the default; None: as the rule has it)."""
        probe = SupplierRule(business=self.business, integration_id=rule.integration_id if rule is not None else None)
        if integration is not None:
            allowed = {str(c.pk): c.pk for c in selectors.connections_for_items(business=self.business).live}
            probe.integration_id = allowed.get(integration)
        return rule_coder(self.business, probe)

    def _pickers(self, rule, coder) -> dict:
        """The rule's coded fields, picked from ``coder``'s lists (the rule's integration's, or the default's when
        it names none); none when that ledger keeps no lists (the fields are then words)."""
        if coder is None:
            return {}
        context = coding_context(self.business)
        keeps = context.keeps.get(coder.pk, ())
        return {
            f.name: picker(
                business=self.business,
                connection=coder,
                field=f,
                # The rule's own entry, when it is of these lists.
                entry=(
                    getattr(rule, f.entry_field)
                    if rule is not None
                    and getattr(rule, f.entry_field) is not None
                    and getattr(rule, f.entry_field).connection_id == coder.pk
                    else None
                ),
                usage="purchases",
            )
            for f in spec.CODED
            if f.coding in keeps
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rule = kwargs.get("rule", self._rule())
        # An integration chosen on the form (htmx asks again for the coding block): its lists, at once.
        coder = kwargs.get("coder") or self._coder(rule, self.request.GET.get("integration"))
        context.update(
            pickers=self._pickers(rule, coder),
            pickers_from=coder.pk if coder is not None else "",
            rule=rule,
            form=kwargs.get("form") or self._form(rule),
            suppliers=selectors.suppliers_for_filter(business=self.business),
        )
        return context

    def post(self, request, business_id, rule_id=None):
        rule = self._rule()
        form = self._form(rule, request.POST)
        if form.is_valid():
            supplier = services.supplier_get_or_create(business=self.business, name=form.cleaned_data["supplier_name"])
            values = form.rule_values()
            apply = form.cleaned_data["apply_to_inbox"]
            integration = form.cleaned_data["integration"] or None
            # The pickers showed the lists of ``pickers_from`` (the integration chosen on the form follows them at
            # once; without scripts, the rule's or the default's): when the rule's lists are another ledger's, a
            # picked entry is carried over by its code or name.
            coder = self._coder(rule, integration or "")
            shown = request.POST.get("pickers_from")
            if shown is None:
                shown_coder = self._coder(rule)
                shown = str(shown_coder.pk) if shown_coder is not None else ""
            moved = str(shown) != str(coder.pk if coder is not None else "")
            shown_coder = next(
                (c for c in selectors.connections_for_items(business=self.business).live if str(c.pk) == str(shown)),
                None,
            )
            for name in self._pickers(rule, shown_coder or coder):
                values.pop(name, None)
                chosen = request.POST.get(spec.API_ID[name]) or None
                if moved and chosen:  # another integration: its lists are searched for the same code or name
                    found = entry_for(business=self.business, entry_id=chosen, kind=spec.BY_NAME[name].coding)
                    values[name] = found.reference if found else ""
                else:
                    values[spec.API_ID[name]] = chosen
            try:
                if rule is None:
                    rule = services.supplier_rule_create(
                        business=self.business,
                        actor=request.user,
                        supplier_id=supplier.pk,
                        integration_id=integration,
                        apply_to_inbox=apply,
                        **values,
                    )
                else:
                    rule = services.supplier_rule_update(
                        business=self.business,
                        actor=request.user,
                        rule_id=rule.pk,
                        changes={"supplier": supplier.pk, "integration": integration, **values},
                        apply_to_inbox=apply,
                    )
            except ApplicationError as exc:
                if exc.status_code == 404:
                    raise
                form.add_error(
                    "integration" if "connection" in exc.code or exc.code == "kind_not_supported" else None, exc.detail
                )
            else:
                note = " and applied to the supplier's inbox items" if apply else ""
                messages.success(request, f"Supplier rule for {supplier.name} saved{note}.")
                return redirect("supplier_rules", business_id=self.business.id)
        coder = self._coder(rule, request.POST.get("integration", ""))  # the lists of the integration chosen
        return self.render_to_response(self.get_context_data(rule=rule, form=form, coder=coder), status=400)


class SupplierRuleDeleteView(BusinessViewMixin, View):
    required_action = Action.EDIT_SUPPLIER_RULES

    def post(self, request, business_id, rule_id):
        rule = services.supplier_rule_get(business=self.business, rule_id=rule_id)
        services.supplier_rule_delete(business=self.business, actor=request.user, rule_id=rule.pk)
        messages.success(request, f"Supplier rule for {rule.supplier.name} deleted.")
        return redirect("supplier_rules", business_id=self.business.id)
