from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.forms import AdminLoginForm
from accounts.models import ApiToken, Business, BusinessMembership, ClientAssignment, Practice, PracticeMembership, User

admin.site.login_form = AdminLoginForm


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("full_name",)}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


class BusinessMembershipInline(admin.TabularInline):
    model = BusinessMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Business)
class BusinessAdmin(admin.ModelAdmin):
    list_display = ["name", "practice", "created_at"]
    search_fields = ["name"]
    list_select_related = ["practice"]
    inlines = [BusinessMembershipInline]


class PracticeMembershipInline(admin.TabularInline):
    model = PracticeMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Practice)
class PracticeAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    inlines = [PracticeMembershipInline]


@admin.register(BusinessMembership)
class BusinessMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "business", "role", "can_publish"]
    list_filter = ["role", "can_publish"]
    search_fields = ["user__email", "business__name"]
    autocomplete_fields = ["user", "business"]


@admin.register(PracticeMembership)
class PracticeMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "practice", "role"]
    list_filter = ["role"]
    search_fields = ["user__email", "practice__name"]
    autocomplete_fields = ["user", "practice"]


@admin.register(ClientAssignment)
class ClientAssignmentAdmin(admin.ModelAdmin):
    list_display = ["membership", "business"]
    search_fields = ["membership__user__email", "business__name"]
    autocomplete_fields = ["business"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "name", "user", "created_at", "last_used_at", "expires_at"]
    fields = ["prefix", "name", "user", "created_at", "last_used_at", "expires_at"]
    readonly_fields = fields
    search_fields = ["user__email"]

    def has_add_permission(self, request):
        return False
