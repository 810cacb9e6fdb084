"""At most one running run per job and date; an index for the watchdog's look at them."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('logistics', '0007_jobrun_abandon_stale'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='jobrun',
            index=models.Index(condition=models.Q(('status', 'running')), fields=['heartbeat_at'], name='jobrun_running_idx'),
        ),
        migrations.AddConstraint(
            model_name='jobrun',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'running')), fields=('job', 'for_date'), name='jobrun_one_running_per_date'),
        ),
    ]
