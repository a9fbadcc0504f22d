"""Row-level problems found in a roster: where (file, row, column) and what. The list is capped
so that a file broken on every row does not fill memory or the page; the rest are counted."""

from __future__ import annotations

from typing import TypedDict

MAX_ERRORS = 1000


class RowError(TypedDict):
    file: str
    row: int  # the spreadsheet row: the header is row 1; 0 when the problem is the whole file
    column: str
    message: str


class ErrorList:
    def __init__(self, cap: int = MAX_ERRORS) -> None:
        self.cap = cap
        self.items: list[RowError] = []
        self.count = 0

    def add(self, file: str, row: int, column: str, message: str) -> None:
        self.count += 1
        if len(self.items) < self.cap:
            self.items.append({"file": file, "row": row, "column": column, "message": message})

    def __bool__(self) -> bool:
        return self.count > 0

    @property
    def more(self) -> int:
        """How many problems were found beyond the ones kept."""
        return self.count - len(self.items)


def format_error(error: RowError) -> str:
    """`file:row:column: message`, as the command prints them."""
    return f"{error['file']}:{error['row']}:{error['column']}: {error['message']}"
