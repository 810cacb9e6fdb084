"""The nightly-job engine's run records: attempts, heartbeat, worker, failed items."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ('logistics', '0005_notification'),
    ]

    operations = [
        migrations.CreateModel(
            name='JobItemFailure',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('item', models.CharField(max_length=200, verbose_name='item')),
                ('error', models.TextField(verbose_name='error')),
            ],
            options={
                'verbose_name': 'failed item',
                'verbose_name_plural': 'failed items',
                'ordering': ['run', 'id'],
            },
        ),
        migrations.AddField(
            model_name='jobrun',
            name='attempt',
            field=models.PositiveSmallIntegerField(default=1, verbose_name='attempt'),
        ),
        migrations.AddField(
            model_name='jobrun',
            name='failures',
            field=models.PositiveIntegerField(default=0, verbose_name='failed items'),
        ),
        migrations.AddField(
            model_name='jobrun',
            name='heartbeat_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='last sign of life'),
        ),
        migrations.AddField(
            model_name='jobrun',
            name='started_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='started by user'),
        ),
        migrations.AddField(
            model_name='jobrun',
            name='retry_sent_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='retry sent at'),
        ),
        migrations.AddField(
            model_name='jobrun',
            name='worker',
            field=models.CharField(blank=True, max_length=120, verbose_name='worker'),
        ),
        migrations.AlterField(
            model_name='jobrun',
            name='status',
            field=models.CharField(choices=[('running', 'Running'), ('succeeded', 'Succeeded'), ('partial', 'Succeeded with failures'), ('failed', 'Failed'), ('abandoned', 'Abandoned')], max_length=20, verbose_name='status'),
        ),
        migrations.AddField(
            model_name='jobitemfailure',
            name='run',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='item_failures', to='logistics.jobrun', verbose_name='run'),
        ),
    ]
