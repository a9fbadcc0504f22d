from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "wraparound.demo"
    label = "demo"
    verbose_name = "wraparound demo data"
