"""Accounts' pages: the landing redirect and the account switcher."""

from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.home, name="home"),
    path("switch/", views.switch, name="switch"),
]
