"""The work queue's tables and functions: procrastinate's own schema, as the installed procrastinate ships it.

Later procrastinate upgrades that change its schema get a migration here that runs the SQL migration files
procrastinate ships for that version, so one tool (yoyo) applies every schema change of the database.
"""

from procrastinate.schema import SchemaManager
from yoyo import step

__depends__ = {"0001_jobs"}

steps = [step(SchemaManager.get_schema())]
