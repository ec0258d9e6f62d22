"""NHS numbers and UK postcodes: parsing, validation and display."""

import re

from django.core.exceptions import ValidationError

_NON_DIGITS = re.compile(r"[\s-]")


def nhs_number_check_digit(first_nine):
    """The Modulus 11 check digit for nine digits, or None when no valid number can end them."""
    total = sum(int(digit) * weight for digit, weight in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - (total % 11)
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def normalise_nhs_number(value):
    """Digits only, accepting spaces and dashes as typed. Raises ValidationError when invalid."""
    digits = _NON_DIGITS.sub("", value or "")
    if not digits.isdigit() or len(digits) != 10:
        raise ValidationError("Enter an NHS number with 10 digits, like 999 123 4560.", code="nhs_number_length")
    if nhs_number_check_digit(digits[:9]) != int(digits[9]):
        raise ValidationError(
            "This is not a valid NHS number: its check digit is wrong. Check it was typed correctly.",
            code="nhs_number_check_digit",
        )
    return digits


def validate_nhs_number(value):
    normalise_nhs_number(value)


def format_nhs_number(digits):
    """Show an NHS number as 3-3-4 (999 123 4560)."""
    if not digits:
        return ""
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


# The UK postcode format (outward code, space, inward code), including GIR 0AA.
_POSTCODE = re.compile(r"^(GIR ?0AA|[A-Z]{1,2}[0-9][0-9A-Z]? ?[0-9][A-Z]{2})$")


def normalise_postcode(value):
    """Upper case with one space before the inward code. Raises ValidationError when not a UK postcode."""
    compact = re.sub(r"\s+", "", (value or "").upper())
    if not _POSTCODE.match(compact):
        raise ValidationError("Enter a real UK postcode, like CV1 5FB.", code="postcode")
    return f"{compact[:-3]} {compact[-3:]}"


def validate_postcode(value):
    normalise_postcode(value)


def postcode_district(postcode):
    """The outward code of a normalised postcode: 'CV6 4DD' → 'CV6'."""
    return postcode.split(" ")[0] if postcode else ""


def synthetic_nhs_numbers(start=0):
    """Valid NHS numbers from the 999 test range, in order: never a real person's number."""
    for serial in range(start, 1_000_000):
        first_nine = f"999{serial:06d}"
        check = nhs_number_check_digit(first_nine)
        if check is not None:
            yield f"{first_nine}{check}"


_GP_PRACTICE_ODS_CODE = re.compile(r"^[A-Z][0-9]{5}$")


def validate_ods_code(value):
    """A GP practice's ODS code: one letter and five digits, like M86001."""
    if value and not _GP_PRACTICE_ODS_CODE.match(value):
        raise ValidationError("Enter the GP practice's ODS code: a letter then 5 digits, like M86001.", code="ods_code")
