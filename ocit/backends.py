from django.contrib.auth.backends import ModelBackend

from ocit.models import User


class UserBackend(ModelBackend):
    """Django's sign-in by email and password, reading the signed-in user with their LIT: every page shows the LIT
    beside the user's name, and most filter by it, so it comes in the one query rather than a second on each page."""

    def get_user(self, user_id):
        try:
            user = User._default_manager.select_related("team").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
