"""The issues queue's model is called what the UI calls it: Problem → Issue, ProblemNote → IssueNote."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("connections", "0001_initial"),
        ("monitoring", "0002_problems_and_error_log_indexes"),
    ]

    operations = [
        migrations.RenameModel("Problem", "Issue"),
        migrations.RenameModel("ProblemNote", "IssueNote"),
        migrations.RenameField("issuenote", "problem", "issue"),
        migrations.RenameIndex(
            model_name="issue",
            new_name="monitoring__state_d3a66b_idx",
            old_name="monitoring__state_cd8b86_idx",
        ),
        migrations.AlterField(
            model_name="issue",
            name="connection",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="issues",
                to="connections.connection",
            ),
        ),
        migrations.AlterField(
            model_name="issue",
            name="opened_by",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="opened_issue",
                to="monitoring.connectionevent",
            ),
        ),
    ]
