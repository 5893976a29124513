"""Stock movements and redemptions are history: never updated (or deleted, on PostgreSQL)."""

from django.db import migrations

from shanzhi.core.append_only import append_only


class Migration(migrations.Migration):
    dependencies = [("points", "0001_points_rules_awards_shop_split")]
    operations = [append_only("points_stockmovement"), append_only("points_redemption"),
                  append_only("points_redemptionline")]
