from django.contrib import admin

admin.site.site_header = "Rota administration"
admin.site.site_title = "Rota"
admin.site.index_title = "Teams, components and the rota"
# The sidebar squeezes the wide change lists managers work in most.
admin.site.enable_nav_sidebar = False
