"""The kernel's alerts: one open alert per condition."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ('logistics', '0008_jobrun_one_running'),
    ]

    operations = [
        migrations.CreateModel(
            name='Alert',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=60, verbose_name='kind')),
                ('severity', models.CharField(choices=[('info', 'Information'), ('warning', 'Warning'), ('critical', 'Critical')], default='warning', max_length=10, verbose_name='severity')),
                ('key', models.CharField(max_length=200, verbose_name='condition')),
                ('for_date', models.DateField(blank=True, null=True, verbose_name='date')),
                ('role', models.CharField(choices=[('student', 'Student / resident'), ('dorm_manager', 'Dorm manager'), ('shift_lead', 'Shift lead'), ('technician', 'Technician'), ('dispatcher', 'Repair dispatcher'), ('dining_manager', 'Dining manager'), ('auditor', 'Quality auditor'), ('department_head', 'Department head'), ('admin', 'Administrator')], max_length=30, verbose_name='who must act')),
                ('subject_id', models.PositiveBigIntegerField(blank=True, null=True, verbose_name='subject id')),
                ('params', models.JSONField(blank=True, default=dict, verbose_name='details')),
                ('url', models.CharField(blank=True, max_length=300, verbose_name='link')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='raised at')),
                ('last_seen_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='last found at')),
                ('times_seen', models.PositiveIntegerField(default=1, verbose_name='times found')),
                ('resolved_at', models.DateTimeField(blank=True, null=True, verbose_name='resolved at')),
                ('resolution_note', models.TextField(blank=True, verbose_name='resolution')),
            ],
            options={
                'verbose_name': 'alert',
                'verbose_name_plural': 'alerts',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.AddField(
            model_name='alert',
            name='campus',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='logistics.campus', verbose_name='campus'),
        ),
        migrations.AddField(
            model_name='alert',
            name='department',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='logistics.department', verbose_name='department'),
        ),
        migrations.AddField(
            model_name='alert',
            name='resolved_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='resolved by'),
        ),
        migrations.AddField(
            model_name='alert',
            name='subject_type',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='contenttypes.contenttype'),
        ),
        migrations.AddIndex(
            model_name='alert',
            index=models.Index(condition=models.Q(('resolved_at__isnull', True)), fields=['-created_at'], name='alert_open_idx'),
        ),
        migrations.AddIndex(
            model_name='alert',
            index=models.Index(fields=['kind', 'for_date'], name='alert_kind_date_idx'),
        ),
        migrations.AddIndex(
            model_name='alert',
            index=models.Index(fields=['subject_type', 'subject_id'], name='alert_subject_idx'),
        ),
        migrations.AddConstraint(
            model_name='alert',
            constraint=models.UniqueConstraint(condition=models.Q(('resolved_at__isnull', True)), fields=('key',), name='alert_one_open_per_condition'),
        ),
    ]
