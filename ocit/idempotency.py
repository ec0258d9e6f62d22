"""Idempotent writes: a POST or PATCH sent more than once (a double tap, a retry on a poor connection, two
tabs) is acted on once, and every copy gets the first answer.

A POST or PATCH carries a one-time key: the API's `Idempotency-Key` header, or a form's `form_token` (every form on the
pages has one, `{% form_token %}`). The first request with a key claims it (a row unique per user and key) in the
same transaction as the write it makes, and stores the answer. A copy that arrives while the first is still
running waits on that row, then gets the stored answer. An answer that is not a success (a 4xx, a 5xx) is not
kept: the write did not happen, so a copy is acted on afresh. The same key with a different request is refused
(422). Keys are kept for a day.
"""

import datetime
import hashlib

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.urls import Resolver404, resolve
from django.utils import timezone

from ocit.api import problem_response
from ocit.models import IdempotentRequest

HEADER = "Idempotency-Key"
FORM_FIELD = "form_token"
KEPT_FOR = datetime.timedelta(days=1)
LONGEST_KEY = 100
LARGEST_ANSWER = 1024 * 1024  # an answer larger than this is not kept (and so not replayed)
REPLAYED_HEADERS = ("Content-Type", "Location", "HX-Redirect", "HX-Trigger", "HX-Retarget", "HX-Reswap", "Vary")


def _handles(request):
    """Whether the view at this address takes the method. A key on a request the view would refuse (405) is not
    claimed, so the refusal is what comes back."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    actions = getattr(match.func, "actions", None)  # a DRF viewset's route: its methods
    if actions is not None:
        return request.method.lower() in actions
    view_class = getattr(match.func, "view_class", None) or getattr(match.func, "cls", None)
    if view_class is not None:
        return hasattr(view_class, request.method.lower())
    return True  # a function view answers for itself


def _key(request):
    if request.method not in ("POST", "PATCH") or not request.user.is_authenticated or not _handles(request):
        return None
    key = request.headers.get(HEADER)
    if key is None:
        request.body  # noqa: B018 -- read first: the form is parsed from it, and the fingerprint needs it whole
        key = request.POST.get(FORM_FIELD)
    return key.strip() if key and key.strip() else None


def _fingerprint(request):
    return hashlib.sha256(b"\n".join([request.method.encode(), request.path.encode(), request.body])).hexdigest()


def _replay(stored):
    response = HttpResponse(bytes(stored.body), status=stored.status_code)
    for name, value in stored.headers.items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


def _refused(request):
    message = "This key was already used for a different request: send a new key with each new request."
    if request.path.startswith("/api/"):
        return problem_response(422, message, errors={HEADER: [message]})
    return HttpResponse(message, status=422, content_type="text/plain; charset=utf-8")


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = _key(request)
        if key is None:
            return self.get_response(request)
        if len(key) > LONGEST_KEY:
            message = f"Send a key of at most {LONGEST_KEY} characters."
            if request.path.startswith("/api/"):
                return problem_response(400, message, errors={HEADER: [message]})
            return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
        fingerprint = _fingerprint(request)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    claim = IdempotentRequest.objects.create(user=request.user, key=key, fingerprint=fingerprint)
            except IntegrityError:
                # Another request has this key: it has finished (a copy waits here until it commits).
                stored = IdempotentRequest.objects.get(user=request.user, key=key)
                if stored.fingerprint != fingerprint:
                    return _refused(request)
                return _replay(stored)
            response = self.get_response(request)
            kept = 200 <= response.status_code < 400 and not getattr(response, "streaming", False)
            if kept and len(response.content) <= LARGEST_ANSWER:
                claim.status_code = response.status_code
                claim.headers = {name: response[name] for name in REPLAYED_HEADERS if response.has_header(name)}
                claim.body = response.content
                claim.save(update_fields=["status_code", "headers", "body"])
                IdempotentRequest.objects.filter(user=request.user, created_at__lt=timezone.now() - KEPT_FOR).delete()
            else:
                claim.delete()
            return response
