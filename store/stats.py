"""Counts of one ingest run, for summaries and the worker's log."""
from __future__ import annotations

from dataclasses import dataclass, field

from store.models import Case, Message


@dataclass
class IngestStats:
    new: int = 0
    duplicates: int = 0
    with_problems: int = 0
    deviations: int = 0
    answers: int = 0
    relinked: int = 0
    problem_codes: dict[str, int] = field(default_factory=dict)
    new_cases: list[Case] = field(default_factory=list, repr=False)

    def count(self, msg: Message | None) -> None:
        if msg is None:
            self.duplicates += 1
            return
        self.new += 1
        self.deviations += msg.kind == "deviation"
        self.answers += msg.kind == "answer"
        if msg.kind == "deviation" and msg.case is not None:
            self.new_cases.append(msg.case)
        if msg.problems:
            self.with_problems += 1
        for problem in msg.problems or []:
            self.problem_codes[problem["code"]] = self.problem_codes.get(problem["code"], 0) + 1

    def add(self, other: IngestStats) -> None:
        for name in ("new", "duplicates", "with_problems", "deviations", "answers", "relinked"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for code, n in other.problem_codes.items():
            self.problem_codes[code] = self.problem_codes.get(code, 0) + n
