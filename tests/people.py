"""The people of the tests: one per role, and a stranger."""

from bot.local_api import LocalUser

ADMIN = LocalUser(101, "Aminata", language_code="en")
COORDINATOR = LocalUser(102, "Carlos", language_code="en")
MEMBER = LocalUser(103, "Moussa", language_code="en")
OBSERVER = LocalUser(104, "Olga", language_code="en")
STRANGER = LocalUser(999, "Stranger", language_code="en")
HOSTILE = LocalUser(105, "<script>alert(1)</script> & </b>", last_name="عائشة", language_code="ar")
