from django.urls import path

from monitoring import views

urlpatterns = [
    path("webhooks/unified/", views.unified_webhook, name="unified_webhook"),
]
