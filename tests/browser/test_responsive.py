"""In real Chromium, every page of every role at 320, 375, 768, 1024 and 1280 px wide: nothing scrolls sideways, no
two pieces of text sit on top of each other, buttons and form controls are big enough to tap (44 px), and at 375 px
axe finds no serious accessibility failure. Every <details> is opened first, so the forms inside are measured too.

The data is made to stress the layout: a surname of 100 letters with no spaces, a practitioner and a referrer whose
names are 150 characters with no spaces, ward names of 100 characters, an episode breached 43 days ago, a delay of
43 days, and reasons with long unbroken words. One browser per role; the page is resized rather than reopened."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from benefits import services as benefits_services
from caseload import services as caseload_services
from caseload.models import EpisodeStatus, Sequel, Source
from discharge import services as discharge_services
from discharge.models import DelayReason
from referrals import services as referral_services
from tests import factories
from tests.browser.support import fill_date, logged_in_page, serious_accessibility_failures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, available_apps=settings.INSTALLED_APPS)]

WIDTHS = (320, 375, 768, 1024, 1280)  # 1024: a tablet held sideways, where the wide boards are still stacked
AXE_WIDTH = 375
TOUCH = 44  # px: the smallest a button or form control may be, either way
DAY = datetime.timedelta(days=1)

# A surname at the model's limit, a practitioner's and a referrer's full name at theirs: no spaces to wrap at.
LONG_SURNAME = ("Wolfeschlegelsteinhausenbergerdorff" * 3)[:100]
LONG_FULL_NAME = ("BartholomewFeatherstonehaugh" * 6)[:150]
LONG_WARD = "Ward 42: Acute Medical Unit and Frailty Assessment Area, Gulson Building, Level 2, East Wing (Bay 7)"
LONG_WORD_REASON = (
    "Falls at home. Needs help to wash and dress. See "
    "https://example.nhs.uk/referrals/ocit/coventry/2026/discharge-to-assess/pathway-1/notes-from-the-ward-round "
    "and the daughter's note: " + "Antidisestablishmentarianism" * 3
)

# For each visible text (a text node's line boxes), its element, so that two elements' texts can be compared; and
# every control too small to tap. Elements inside one another are not compared (a link inside a cell).
LAYOUT = r"""(touch) => {
  const root = document.documentElement;
  const describe = (element) => {
    const name = element.tagName.toLowerCase() + (element.id ? '#' + element.id : '')
      + (typeof element.className === 'string' && element.className.trim()
        ? '.' + element.className.trim().split(/\s+/).join('.') : '');
    return `${name} "${element.textContent.trim().replace(/\s+/g, ' ').slice(0, 50)}"`;
  };
  // Visually hidden (for screen readers) is a box of 1 px that clips what it holds.
  const clipped = new Map();
  const clips = (element) => {
    if (!clipped.has(element)) {
      const rect = element.getBoundingClientRect();
      const style = getComputedStyle(element);
      clipped.set(element, (rect.width <= 1 || rect.height <= 1)
        && (style.overflow !== 'visible' || style.clip !== 'auto' || style.clipPath !== 'none'));
    }
    return clipped.get(element);
  };
  const shown = (element) => {
    if (!element.checkVisibility({visibilityProperty: true})) return false;
    for (let each = element; each && each !== document.body; each = each.parentElement) {
      if (clips(each)) return false;
    }
    return true;
  };
  const boxes = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode: (node) => node.textContent.trim() ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_REJECT,
  });
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node.parentElement;
    if (!element || ['SCRIPT', 'STYLE', 'OPTION', 'TITLE', 'NOSCRIPT'].includes(element.tagName) || !shown(element)) {
      continue;
    }
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const rect of range.getClientRects()) {
      if (rect.width > 1 && rect.height > 1) boxes.push({element, rect});
    }
  }
  // Top to bottom: each box is compared with the boxes that start before it ends (not every other box on the page).
  boxes.sort((a, b) => a.rect.top - b.rect.top);
  const overlaps = [];
  const seen = new Set();
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length && boxes[j].rect.top < boxes[i].rect.bottom - 3; j++) {
      const a = boxes[i], b = boxes[j];
      if (a.element === b.element || a.element.contains(b.element) || b.element.contains(a.element)) continue;
      const across = Math.min(a.rect.right, b.rect.right) - Math.max(a.rect.left, b.rect.left);
      const down = Math.min(a.rect.bottom, b.rect.bottom) - Math.max(a.rect.top, b.rect.top);
      if (across > 2 && down > 3) {
        const pair = describe(a.element) + ' overlaps ' + describe(b.element);
        if (!seen.has(pair)) { seen.add(pair); overlaps.push(pair); }
      }
    }
  }
  const small = [];
  const controls = 'button, select, textarea, summary, a.nhsuk-button, input:not([type=hidden])';
  for (const control of document.querySelectorAll(controls)) {
    if (!shown(control)) continue;
    const rect = control.getBoundingClientRect();
    if (rect.width < 1 || rect.height < 1) continue;
    // A radio or checkbox counts by its input: NHS.UK lays an invisible 44 px input over the box it draws.
    if (rect.height < touch - 0.5 || rect.width < touch - 0.5) {
      small.push(`${describe(control)}: ${Math.round(rect.width)}x${Math.round(rect.height)}`);
    }
  }
  const wide = [];
  if (root.scrollWidth > root.clientWidth) {
    for (const element of document.body.querySelectorAll('*')) {
      const rect = element.getBoundingClientRect();
      if (rect.right > root.clientWidth + 1 && shown(element) && !(element.parentElement
          && element.parentElement.getBoundingClientRect().right > root.clientWidth + 1)) {
        wide.push(`${describe(element)} reaches ${Math.round(rect.right)} px`);
      }
    }
  }
  return {scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, overlaps, small, wide: wide.slice(0, 5)};
}"""


SETTLED = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"


def open_every_details(page):
    page.evaluate("() => document.querySelectorAll('details').forEach((details) => { details.open = true; })")


def check_page(page, name, url, action=None, status=200):
    """Open `url` (then do `action`), measure it at every width: what is wrong, as lines of a report."""
    response = page.goto(url)
    problems = []
    if response.status != status:
        return [f"{name}: answered {response.status}, not {status}"]
    page.wait_for_load_state("networkidle")  # what a page fetches once shown (the pull list's lower lists)
    if action:
        action(page)
    open_every_details(page)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.evaluate(SETTLED)  # after the resize listeners (the header's menu folds its links away)
        layout = page.evaluate(LAYOUT, TOUCH)
        where = f"{name} at {width} px"
        if layout["scrollWidth"] > layout["clientWidth"]:
            problems.append(
                f"{where}: {layout['scrollWidth']} px wide in {layout['clientWidth']} px; " + "; ".join(layout["wide"])
            )
        problems += [f"{where}: {overlap}" for overlap in layout["overlaps"][:5]]
        problems += [f"{where}: too small to tap: {control}" for control in layout["small"][:5]]
        if width == AXE_WIDTH:
            problems += [f"{where}: {failure}" for failure in serious_accessibility_failures(page)]
    # A page that is not found (or refused) says so in the console too.
    errors = [error for error in page.errors if f"status of {status}" not in error]
    if errors:
        problems.append(f"{name}: script errors {errors}")
    page.errors.clear()
    return problems


def check_pages(live_server, user, pages):
    problems = []
    with logged_in_page(live_server, user) as page:
        for name, url, *rest in pages:
            problems += check_page(page, name, url, *rest)
    assert not problems, "\n".join(problems)


# The data ----------------------------------------------------------------------------------------------------


@pytest.fixture
def stressful(teams, coordinator, practitioner, ward_a, ward_nurse):
    """Every page has rows, and the rows are hard to lay out."""
    now = timezone.now()
    team = teams["newfield-house"]
    long_ward = factories.WardFactory(code="W42", name=LONG_WARD, specialty="Acute medicine and frailty")
    ward_nurse.wards.add(long_ward)
    colleague = factories.UserFactory(
        role="lit_practitioner", discipline="physio", team=team, full_name=LONG_FULL_NAME, email="long@ocit.test"
    )
    patient = factories.PatientFactory(
        team=team,
        given_name="Ann",
        family_name=LONG_SURNAME,
        lives_alone=True,
        interpreter_language="Tigrinya",
        consent_to_share=False,
        address="Flat 14, Hillfields House, 1 Canterbury Street, Hillfields, Coventry",
        next_of_kin=LONG_FULL_NAME,
    )

    # On the triage board, breached 43 days ago.
    received = now - 43 * DAY - datetime.timedelta(hours=3)
    breached = factories.EpisodeFactory(
        patient=patient,
        service="ucr",
        received_at=received,
        due_by=received + datetime.timedelta(hours=2),
        status=EpisodeStatus.AWAITING_ALLOCATION,
        discipline_needed="physio",
        reason=LONG_WORD_REASON,
    )
    # Allocated to the practitioner (My caseload) with the long-named colleague alongside, something in every section.
    episode = caseload_services.episode_open(
        actor=coordinator,
        patient=patient,
        service="step_up_reablement",
        source="gp",
        priority="high",
        received_at=now - 2 * DAY,
        reason=LONG_WORD_REASON,
        what_matters="Getting back to the allotment",
    )
    caseload_services.episode_allocate(actor=coordinator, episode=episode, practitioner=practitioner)
    caseload_services.episode_allocate(actor=coordinator, episode=episode, practitioner=colleague, role="practitioner")
    caseload_services.contact_record(
        actor=colleague,
        episode=episode,
        at=now - DAY,
        duration_minutes=45,
        location="home",
        notes=LONG_WORD_REASON,
        next_contact_on=timezone.localdate(),
    )
    caseload_services.goal_add(
        actor=practitioner, episode=episode, text="Make my own breakfast " + "Independently" * 4, target_date=None
    )
    caseload_services.package_record(
        actor=practitioner,
        episode=episode,
        stage="start",
        effective_on=timezone.localdate() - DAY,
        hours_per_week=14,
        calls_per_day=4,
        carers_per_call=2,
        provider_type="reablement",
    )
    caseload_services.equipment_add(
        actor=practitioner, episode=episode, item="Perching stool " + "Adjustable" * 5, provided_on=timezone.localdate()
    )
    # With the colleague as keyworker: the team caseload's heading is their 150-character name.
    other = caseload_services.episode_open(
        actor=coordinator,
        patient=factories.PatientFactory(team=team, family_name="Okonkwo"),
        service="therapy_at_home",
        source="gp",
        priority="routine",
        received_at=now - 3 * DAY,
    )
    caseload_services.episode_allocate(actor=coordinator, episode=other, practitioner=colleague)

    # In hospital on the long-named ward 50 days, discharge ready 43 days ago, delayed, referred by the colleague
    # with the long name; another patient in hospital on the short-named ward, referred and accepted.
    spell = discharge_services.spell_admit(
        actor=ward_nurse,
        patient=patient,
        ward=long_ward,
        admitted_at=now - 50 * DAY,
        expected_discharge_on=timezone.localdate() - 44 * DAY,
        clinical_criteria=LONG_WORD_REASON,
    )
    discharge_services.nctr_start(actor=ward_nurse, spell=spell, started_on=timezone.localdate() - 43 * DAY)
    longest_reason = max(DelayReason.objects.all(), key=lambda reason: len(reason.name))
    discharge_services.delay_set(actor=ward_nurse, spell=spell, reason=longest_reason, note=LONG_WORD_REASON[:300])
    referral = referral_services.referral_raise(
        actor=ward_nurse,
        patient=patient,
        spell=spell,
        source="ward",
        referrer_name=LONG_FULL_NAME,
        referrer_role="Discharge coordinator, Acute Medical Unit and Frailty Assessment Area",
        referrer_contact=LONG_FULL_NAME[:138] + "@uhcw.nhs.uk",
        reason=LONG_WORD_REASON,
        what_matters="Antidisestablishmentarianism" * 3,
        requested_service="step_down_reablement",
        urgency="urgent",
    )
    neighbour = discharge_services.spell_admit(
        actor=ward_nurse,
        patient=factories.PatientFactory(team=team, family_name="Neighbour"),
        ward=ward_a,
        admitted_at=now - 5 * DAY,
    )
    accepted = referral_services.referral_raise(
        actor=ward_nurse,
        patient=neighbour.patient,
        spell=neighbour,
        source="ward",
        referrer_name="Sam Nurse",
        reason="Needs help at home",
        requested_service="step_down_reablement",
        urgency="routine",
    )
    referral_services.referral_accept(actor=coordinator, referral=accepted)
    # Home on pathway 1: the discharge summary, and a step-down episode on the triage board.
    discharged = discharge_services.spell_admit(
        actor=ward_nurse,
        patient=factories.PatientFactory(team=team, family_name="Gone-Home"),
        ward=long_ward,
        admitted_at=now - 10 * DAY,
    )
    referral_services.discharge_record(
        actor=coordinator, spell=discharged, discharged_at=now - DAY, destination="usual_residence", pathway=1
    )
    return {
        "patient": patient,
        "breached": breached,
        "episode": episode,
        "spell": spell,
        "neighbour": neighbour,
        "referral": referral,
        "accepted": accepted,
        "discharged": discharged,
        "colleague": colleague,
    }


@pytest.fixture
def figures(stressful, teams):
    """The dashboard's figures, from six months of closed episodes and the rest of the data; the figure page of
    last month's admissions avoided."""
    now = timezone.now()
    for months_ago in range(1, 7):
        received = now - datetime.timedelta(days=30 * months_ago + 10)
        factories.EpisodeFactory(
            patient=factories.PatientFactory(team=teams["newfield-house"]),
            source=Source.GP,
            received_at=received,
            status=EpisodeStatus.CLOSED,
            closed_at=received + 3 * DAY,
            sequel=Sequel.NO_ONGOING_SUPPORT,
        )
    benefits_services.recompute(trigger="command", full=True, today=timezone.localdate())
    month = (timezone.localdate().replace(day=1) - DAY).replace(day=1)
    return reverse("benefits:figure", args=["admissions_avoided"]) + f"?period=month&start={month}"


def episode_pages(data):
    episode, patient = data["episode"], data["patient"]
    return [
        ("patient page", reverse("caseload:patient_detail", args=[patient.pk])),
        ("episode page", reverse("caseload:episode_detail", args=[episode.pk])),
        ("breached episode page", reverse("caseload:episode_detail", args=[data["breached"].pk])),
        ("record a contact", reverse("caseload:contact_record", args=[episode.pk])),
        ("record a care package", reverse("caseload:package_record", args=[episode.pk])),
        ("close the episode", reverse("caseload:episode_close", args=[episode.pk])),
        ("new episode", reverse("caseload:episode_create", args=[patient.pk])),
    ]


def hospital_pages(data):
    spell, referral = data["spell"], data["referral"]
    return [
        ("ward board", reverse("discharge:ward_board")),
        ("spell page", reverse("discharge:spell_detail", args=[spell.pk])),
        ("referrals", reverse("referrals:list")),
        ("referral page", reverse("referrals:detail", args=[referral.pk])),
        ("refer to OCIT", reverse("referrals:raise", args=[data["neighbour"].pk])),
        ("record the discharge", reverse("referrals:discharge", args=[spell.pk])),
        ("discharged", reverse("referrals:discharge", args=[data["discharged"].pk])),
        ("accepted referral page", reverse("referrals:detail", args=[data["accepted"].pk])),
    ]


def dashboard_pages(figure):
    """The pages that differ by role (a coordinator's figure page lists the records, the board's counts them)."""
    return [
        ("dashboard", reverse("benefits:dashboard")),
        ("metric page", reverse("benefits:metric", args=["admissions_avoided"])),
        ("figure page", figure),
    ]


def with_a_bad_date(page):
    """Record a contact with the 31st of February: the date input's error state."""
    fill_date(page, "When", datetime.datetime(2026, 2, 1, 9, 30))
    page.get_by_label("Day", exact=True).first.fill("31")
    page.get_by_label("Duration in minutes").fill("forty-five minutes or so")
    page.get_by_role("button", name="Record contact").click()
    page.locator(".nhsuk-error-summary").wait_for()


def with_every_error(page):
    page.get_by_role("button", name="Add patient").click()
    page.locator(".nhsuk-error-summary").wait_for()


# The pages ---------------------------------------------------------------------------------------------------


def test_a_coordinators_pages_fit_every_width(live_server, coordinator, stressful, figures):
    patient = stressful["patient"]
    pages = [
        ("triage board", reverse("caseload:triage")),
        ("my caseload", reverse("caseload:mine")),
        ("team caseload", reverse("caseload:team")),
        ("team caseload, all LITs", reverse("caseload:team") + "?lit="),
        ("search", reverse("caseload:search")),
        ("search results", reverse("caseload:search") + f"?q={patient.nhs_number}"),
        ("search, with a bad date", reverse("caseload:search") + "?q=ann&date_of_birth_day=31&date_of_birth_month=2"),
        ("new patient", reverse("caseload:patient_create")),
        ("new patient, with errors", reverse("caseload:patient_create"), with_every_error),
        *episode_pages(stressful),
        (
            "record a contact, with a bad date",
            reverse("caseload:contact_record", args=[stressful["episode"].pk]),
            with_a_bad_date,
        ),
        ("pull list", reverse("referrals:pull_list") + "?lit=all"),
        ("pull list, not yet referred", reverse("referrals:pull_list_not_referred") + "?lit=all"),
        ("pull list, in hospital", reverse("referrals:pull_list_in_hospital") + "?lit=all"),
        *hospital_pages(stressful),
        *dashboard_pages(figures),
        ("access history", reverse("caseload:patient_access_history", args=[patient.pk])),
        ("access history lookup", reverse("caseload:access_history_lookup")),
        ("page not found", "/caseload/patients/999999999/", None, 404),
    ]
    check_pages(live_server, coordinator, pages)


def test_a_practitioners_pages_fit_every_width(live_server, stressful):
    """As the practitioner whose name is 150 characters with no spaces: it is in the header of every page."""
    pages = [
        ("my caseload", reverse("caseload:mine")),
        ("today", reverse("caseload:today")),
        ("triage board", reverse("caseload:triage")),
        ("team caseload", reverse("caseload:team")),
        ("pull list", reverse("referrals:pull_list")),
        *episode_pages(stressful)[:2],
    ]
    check_pages(live_server, stressful["colleague"], pages)


def test_a_ward_nurses_pages_fit_every_width(live_server, ward_nurse, stressful):
    check_pages(live_server, ward_nurse, hospital_pages(stressful))


def test_the_programme_boards_pages_fit_every_width(live_server, board_member, figures):
    pages = [
        *dashboard_pages(figures),
        ("finance", reverse("benefits:finance")),
        ("board pack", reverse("benefits:board_pack")),
        ("no access", reverse("caseload:triage"), None, 403),
    ]
    check_pages(live_server, board_member, pages)


def test_an_administrators_pages_fit_every_width(live_server, sysadmin, stressful, figures):
    pages = [
        ("administration", reverse("administration")),
        ("measures import", reverse("benefits:measures_import")),
        ("access history", reverse("caseload:patient_access_history", args=[stressful["patient"].pk])),
        ("dashboard", reverse("benefits:dashboard")),
    ]
    check_pages(live_server, sysadmin, pages)


def test_the_signed_out_pages_fit_every_width(live_server):
    pages = [
        ("log in", reverse("login")),
        ("no connection", reverse("offline")),
        ("page not found", "/nowhere/", None, 404),
    ]
    check_pages(live_server, None, pages)
