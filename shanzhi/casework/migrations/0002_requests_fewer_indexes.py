# Each step of a request rewrites every index of its row: keep only the ones queries use.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('casework', '0001_requests_categories_routing_photos'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='servicerequest',
            name='assignee_department',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='service_requests', to='people.department', verbose_name='department', db_index=False),
        ),
        migrations.AlterField(
            model_name='servicerequest',
            name='assignee_member',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='service_requests', to='people.partymember', verbose_name='Party member', db_index=False),
        ),
        migrations.AlterField(
            model_name='servicerequest',
            name='assignee_user',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='assigned person', db_index=False),
        ),
        migrations.AlterField(
            model_name='servicerequest',
            name='county',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='regions.region', verbose_name='county', db_index=False),
        ),
        migrations.AlterField(
            model_name='servicerequest',
            name='filed_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='filed by', db_index=False),
        ),
        migrations.AlterField(
            model_name='servicerequest',
            name='household',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='service_requests', to='regions.household', verbose_name='household', db_index=False),
        ),
        migrations.AlterField(
            model_name='servicerequest',
            name='merged_into',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='duplicates', to='casework.servicerequest', verbose_name='merged into', db_index=False),
        ),
        migrations.AlterField(
            model_name='servicerequest',
            name='open311_client',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='requests', to='casework.open311client', verbose_name='Open311 client', db_index=False),
        ),
        migrations.AlterField(
            model_name='servicerequest',
            name='region',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='regions.region', verbose_name='place', db_index=False),
        ),
        migrations.AlterField(
            model_name='servicerequest',
            name='resident',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='service_requests', to='regions.resident', verbose_name='resident', db_index=False),
        ),
        migrations.AlterField(
            model_name='servicerequest',
            name='suggested_department',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='people.department', verbose_name='suggested department', db_index=False),
        ),
    ]
