"""The points lottery (MKT-4): activities with their committed seed, prizes with probabilities and
stock, each user's draw counts, and every draw."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0026_points_mall')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LotteryActivity',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=64)),
                ('cost_points', fields.BigIntField()),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('daily_limit', fields.IntField()),
                ('seed', fields.CharField(max_length=64)),
                ('seed_hash', fields.CharField(max_length=64)),
                ('draw_count', fields.BigIntField(default=0)),
                ('created_by', fields.BigIntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'lottery_activity', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A points lottery (MKT-4, 积分抽奖): a cost in points per draw, a schedule, a per-user daily'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LotteryEntrant',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('activity', fields.ForeignKeyField('models.LotteryActivity', source_field='activity_id', db_constraint=True, to_field='id', related_name='entrants', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_index=True, db_constraint=True, to_field='id', related_name='lottery_entries', on_delete=OnDelete.CASCADE)),
                ('draws', fields.IntField(default=0)),
                ('day', fields.DateField(null=True)),
                ('day_draws', fields.IntField(default=0)),
            ],
            options={'table': 'lottery_entrant', 'app': 'models', 'unique_together': (('activity', 'user'),), 'pk_attr': 'id', 'table_description': "A user's draws in an activity: the total (their last draw's sequence number) and today's"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LotteryPrize',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('activity', fields.ForeignKeyField('models.LotteryActivity', source_field='activity_id', db_constraint=True, to_field='id', related_name='prizes', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField()),
                ('name', fields.CharField(max_length=64)),
                ('kind', fields.CharField(max_length=16)),
                ('amount', fields.BigIntField(default=0)),
                ('coupon_template_id', fields.BigIntField(null=True)),
                ('probability_ppm', fields.IntField()),
                ('stock', fields.IntField(default=0)),
                ('awarded', fields.IntField(default=0)),
            ],
            options={'table': 'lottery_prize', 'app': 'models', 'unique_together': (('activity', 'position'),), 'pk_attr': 'id', 'table_description': 'One prize of an activity, fixed once created: POINTS / COINS (an amount), COUPON (a'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LotteryDraw',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('activity', fields.ForeignKeyField('models.LotteryActivity', source_field='activity_id', db_constraint=True, to_field='id', related_name='draws', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='lottery_draws', on_delete=OnDelete.CASCADE)),
                ('sequence', fields.IntField()),
                ('roll', fields.IntField()),
                ('drawn_position', fields.IntField(null=True)),
                ('prize', fields.ForeignKeyField('models.LotteryPrize', source_field='prize_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='draws', on_delete=OnDelete.RESTRICT)),
                ('fell_back', fields.BooleanField(default=False)),
                ('cost_points', fields.BigIntField()),
                ('user_coupon_id', fields.BigIntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'lottery_draw', 'app': 'models', 'unique_together': (('activity', 'user', 'sequence'),), 'indexes': [Index(fields=['activity_id', 'id']), Index(fields=['user_id', 'id'])], 'pk_attr': 'id', 'table_description': 'One draw: (activity, user, sequence) decides `drawn_position` by the published function,'},
            bases=['Model'],
        ),
    ]
