from django.contrib.auth import views as auth_views
from django.urls import path

from web import list_views, views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("batches/", list_views.batch_list, name="batch-list"),
    path("batches/new/", views.new_batch, name="batch-new"),
    path("batches/<str:batch_number>/", views.batch_page, name="batch"),
    path("batches/<str:batch_number>/inspect/", views.inspect_batch, name="batch-inspect"),
    path("inspections/", list_views.inspection_history, name="inspection-history"),
    path("inspections/to-do/", list_views.inspection_queue, name="inspection-queue"),
    path("certificates/", list_views.certificate_list, name="certificate-list"),
    path("certificates/shared/", list_views.shared_certificate_list, name="shared-list"),
    path("notifications/", list_views.notification_list, name="notification-list"),
    path("certificates/<str:certificate_id>/", views.certificate_page, name="certificate"),
    path("certificates/<str:certificate_id>/share/", views.share_certificate, name="certificate-share"),
    path(
        "certificates/<str:certificate_id>/share/<str:username>/withdraw/",
        views.withdraw_certificate,
        name="certificate-withdraw",
    ),
    path("c/<str:token>/", views.public_certificate, name="certificate-public"),
    path("c/<str:token>/credential.json", views.public_credential, name="certificate-public-credential"),
    path("c/<str:token>/qr.png", views.public_qr_png, name="certificate-public-qr"),
    path("c/<str:token>/certificate.pdf", views.public_certificate_pdf, name="certificate-public-pdf"),
    path("verify/", views.verify_page, name="verify"),
    path("notifications/read/", views.read_notifications, name="notifications-read"),
]
