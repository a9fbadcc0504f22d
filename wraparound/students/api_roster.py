"""(filled in by the students issue)"""

from ninja import Router

router = Router(tags=["students"])
