"""Collect every data problem first, then report them all at once."""

from __future__ import annotations

from dataclasses import dataclass, field

from headstart.errors import DataError

MAX_LOCATIONS = 5


@dataclass
class Issue:
    """One problem: where, what was expected/found, and what to do."""

    level: str
    """'error' stops training; 'warning' is reported and training goes on."""
    message: str
    locations: list[str] = field(default_factory=list)

    def render(self) -> str:
        text = f"{self.level}: {self.message}"
        if self.locations:
            shown = ", ".join(self.locations[:MAX_LOCATIONS])
            more = f" and {len(self.locations) - MAX_LOCATIONS} more" if len(self.locations) > MAX_LOCATIONS else ""
            text += f"\n    at {shown}{more}"
        return text


class DataValidationError(DataError):
    """Raised with every error found, so a user fixes the file once."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        errors = [i for i in issues if i.level == "error"]
        body = "\n".join(i.render() for i in issues)
        super().__init__(f"the data has {len(errors)} problem(s) that make training meaningless:\n{body}")


@dataclass
class IssueLog:
    issues: list[Issue] = field(default_factory=list)

    def error(self, message: str, locations: list[str] | None = None) -> None:
        self.issues.append(Issue("error", message, locations or []))

    def warn(self, message: str, locations: list[str] | None = None) -> None:
        self.issues.append(Issue("warning", message, locations or []))

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.level == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.level == "warning"]

    def raise_if_errors(self) -> None:
        if self.errors:
            raise DataValidationError(self.issues)
