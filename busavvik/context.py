"""What every command needs: settings, rules and the database, built once from the global options."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import date

    from config.history import History
    from config.orgregister import Register
    from config.rules import Rules
    from config.settings import Settings
    from pipeline.budget import ParseBudget
    from store.db import Database


@dataclass
class AppContext:
    config_path: str | None = None

    @cached_property
    def settings(self) -> Settings:
        from config.load import load_settings  # here: `busavvik --help` needs no configuration

        return load_settings(self.config_path)

    @cached_property
    def rules(self) -> Rules:
        from config.rules import load_rules

        rules = load_rules(self.settings.rules_path or None).with_sender(self.settings.smtp.from_address)
        return rules.with_local(self.settings.local)

    @cached_property
    def register(self) -> Register:
        """The organisation register ([rules] organisations, else the shipped default)."""
        from config.orgregister import load_register

        return load_register(self.settings.organisations_path or None)

    @cached_property
    def history(self) -> History:
        """The published figures of earlier years ([rules] history, else the shipped default)."""
        from config.history import load_history

        return load_history(self.settings.history_path or None)

    @cached_property
    def db(self) -> Database:
        from store.db import Database  # here: SQLAlchemy only for the commands that open the store

        return Database(self.settings.database_url)

    @property
    def budget(self) -> ParseBudget:
        """Each message's parse budget in the parser processes (config [parsing])."""
        from pipeline.budget import ParseBudget  # here: the parsers only for the commands that parse

        parsing = self.settings.parsing
        return ParseBudget(parsing.cpu_seconds, parsing.memory_mb)

    def day(self, value: str | None, option: str = "--as-of") -> date:
        """The day an option names, or today in worker.timezone (so the settings are read first)."""
        from busavvik.options import parse_day  # here: its error output (rich) is not for `--help`

        if value is None:
            return parse_day(None, option, self.settings.local)
        return parse_day(value, option)          # a day given: no settings needed to read it
