from django.contrib import admin

admin.site.site_header = "Rota administration"
admin.site.site_title = "Rota"
admin.site.index_title = "Teams, components and the rota"
