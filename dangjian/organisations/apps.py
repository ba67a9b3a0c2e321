from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "dangjian.organisations"
    verbose_name = "组织体系"
