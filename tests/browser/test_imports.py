"""A clerk uploads a timesheet with mistakes and sees every one of them, nothing imported."""

from playwright.sync_api import expect

from prebill.activity.models import TimeEntry

from .conftest import log_in, screenshot

BAD_TIMESHEET = (
    b"id,date,collaborator,engagement,hours\n"
    b"NEW-1,2026-11-02,NOBODY,E00001-TEN,2\n"
    b"NEW-2,2026-11-31,NOBODY,E00001-TEN,30\n"
)


def test_upload_a_bad_timesheet_and_see_its_errors(page, demo):
    log_in(page)
    page.click("text=Imports")

    # The timesheet form is the second of the page.
    page.locator("form:has(input[value=time]) input[type=file]").set_input_files(
        files=[{"name": "temps.csv", "mimeType": "text/csv", "buffer": BAD_TIMESHEET}])
    page.locator("form:has(input[value=time]) button").click()

    problems = page.locator("[data-test=problems] li")
    expect(problems).to_have_count(4)
    expect(problems.first).to_contain_text("ligne 2, colonne collaborator : collaborateur inconnu 'NOBODY'")
    expect(page.locator("[data-test=problems]")).to_contain_text("ligne 3, colonne date")
    screenshot(page, "import-errors.png")
    assert not TimeEntry.objects.filter(external_id__startswith="NEW-").exists()
