from django.contrib import admin

from core.admin_scope import RotaAdminOnly

admin.site.site_header = "Rota administration"
admin.site.site_title = "Rota"
admin.site.index_title = "Teams, components and the rota"
# The sidebar squeezes the wide change lists managers work in most.
admin.site.enable_nav_sidebar = False

# The admins of the libraries (groups, sign-in lockouts, API tokens, periodic tasks) concern
# the whole site: rota admins only, whatever permissions a manager's group holds. The apps
# registering them come before this one in INSTALLED_APPS, so they are registered by now.
for _model, _model_admin in list(admin.site._registry.items()):
    if _model._meta.app_label in {"auth", "axes", "knox", "django_celery_beat"} and not isinstance(
        _model_admin, RotaAdminOnly
    ):
        admin.site.unregister(_model)
        admin.site.register(
            _model, type(type(_model_admin).__name__, (RotaAdminOnly, type(_model_admin)), {})
        )
