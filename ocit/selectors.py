from ocit.models import AccessLog, ChangeLog


def patient_access_history(*, patient_id):
    """Who has looked at or exported a patient's record, newest first."""
    return AccessLog.objects.filter(patient_id=patient_id).select_related("actor")


def patient_change_history(*, patient_id):
    return ChangeLog.objects.filter(patient_id=patient_id).select_related("actor")
