"""The e-mail outbox: when a notification's e-mail is due, attempts, the last error."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('logistics', '0009_alert'),
    ]

    operations = [
        migrations.AddField(
            model_name='notification',
            name='email_attempts',
            field=models.PositiveSmallIntegerField(default=0, verbose_name='e-mail attempts'),
        ),
        migrations.AddField(
            model_name='notification',
            name='email_due_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='e-mail due at'),
        ),
        migrations.AddField(
            model_name='notification',
            name='email_error',
            field=models.TextField(blank=True, verbose_name='e-mail error'),
        ),
        migrations.AddIndex(
            model_name='notification',
            index=models.Index(condition=models.Q(('email_due_at__isnull', False)), fields=['email_due_at'], name='notification_email_due_idx'),
        ),
    ]
