from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from discharge import selectors
from ocit.roles import requires


@requires("wardboard.view")
def ward_board(request):
    wards = selectors.wards_for(user=request.user)
    ward = selectors.ward_get(user=request.user, pk=request.GET["ward"]) if request.GET.get("ward") else None
    spells = selectors.open_spells_for(user=request.user, ward=ward).order_by("admitted_at")
    page = Paginator(spells, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "discharge/ward_board.html",
        {"wards": wards, "ward": ward, "page": page, "now": timezone.now()},
    )
