"""Secrets in forms: labels paired with their values by layout, and the kinds a form asks for
(card codes, national ids, passports, IBANs), on a corpus of real layouts."""

import pytest

from capture import Region, TextLine, redact, redact_lines, secret_boxes
from capture.fields import field_of


def ln(text: str, x: int, y: int, w: int | None = None, h: int = 22) -> TextLine:
    return TextLine(text, Region(x, y, w if w is not None else 11 * len(text), h))


# -- one OCR line: label and value read together ----------------------------------------------------
INLINE = [
    ("CVV 737", "CVV [REDACTED:card-code]"),
    ("CVC2: 4821", "CVC2: [REDACTED:card-code]"),
    ("Security code 123", "Security code [REDACTED:card-code]"),
    ("SSN 078-05-1120", "SSN [REDACTED:national-id]"),
    ("Social Security Number: 078-05-1120", "Social Security Number: [REDACTED:national-id]"),
    ("SSN on file 078-05-1120", "SSN on file [REDACTED:national-id]"),  # the bare form
    ("National Insurance number QQ 12 34 56 C", "National Insurance number [REDACTED:national-id]"),
    ("Steuer-ID 12 345 678 903", "Steuer-ID [REDACTED:national-id]"),
    ("Passport No. C01X00T47", "Passport No. [REDACTED:passport]"),
    ("Passport number 533380006", "Passport number [REDACTED:passport]"),
    ("wifi password  CorrectHorse9", "wifi password  [REDACTED:password]"),
    ("Password      Tr0ub4dor&3", "Password      [REDACTED:password]"),
    ("Wi-Fi password CorrectHorse", "Wi-Fi password [REDACTED:password]"),
    ("PIN 4471", "PIN [REDACTED:pin]"),
    ("IBAN DE89 3704 0044 0532 0130 00 EUR", "IBAN [REDACTED:iban] EUR"),
    ("DE89370400440532013000", "[REDACTED:iban]"),
    ("Transfer to NL91 ABNA 0417 1643 00, ref 7", "Transfer to [REDACTED:iban], ref 7"),
    ("GB82 WEST 1234 5698 7654 32 (Dana)", "[REDACTED:iban] (Dana)"),
    ("Recovery codes a1b2-c3d4-e5f6", "Recovery codes [REDACTED:api-key]"),
]

KEPT = [
    "Das ist ein 2024-Modell",
    "sin 2024 no hay datos",
    "The password reset link was sent",
    "password manager 1Password",
    "pin 2 tabs to the left",
    "Passport photo requirements",
    "CVV is the 3-digit code on the back",
    "Enter your password",
    "Show password",
    "The secret garden 1911 edition",
    "Account settings",
    "Phone 555-123-4567",
    "Invoice DE89 3704 0044 0532 0130 01",  # fails mod-97
]


@pytest.mark.parametrize("text,expected", INLINE)
def test_a_label_and_its_value_on_one_line(text, expected):
    assert redact(text)[0] == expected


@pytest.mark.parametrize("text", KEPT)
def test_look_alikes_on_one_line_are_kept(text):
    assert redact(text) == (text, {})


@pytest.mark.parametrize("label,kind", [
    ("Password", "password"), ("Wi-Fi password:", "password"), ("WLAN-Passwort", "password"),
    ("Network key", "password"), ("CVV", "card-code"), ("Card verification code *", "card-code"),
    ("SSN", "national-id"), ("Passport No.", "passport"), ("IBAN", "iban"), ("PIN code", "pin"),
    ("API key", "api-key"), ("Username", None), ("Expiry", None), ("Password strength", None),
])
def test_labels_are_known_whole(label, kind):
    found = field_of(label)
    assert (found.kind if found else None) == kind


# -- a form: label and value read as separate lines -------------------------------------------------
def test_label_column_and_value_column():
    lines = [ln("Username", 40, 100), ln("dana.w", 300, 101),
             ln("Password", 40, 140), ln("Tr0ub4dor&3", 300, 141),
             ln("Email", 40, 180), ln("dana@example.org", 300, 180)]
    assert redact_lines(lines) == ["Username", "dana.w", "Password", "[REDACTED:password]", "Email",
                                   "dana@example.org"]
    assert secret_boxes(lines) == [lines[3].box]


def test_labels_above_their_fields():
    lines = [ln("Wi-Fi password", 40, 100), ln("CorrectHorse9", 40, 128),
             ln("Network name", 40, 170), ln("Home-5G", 40, 198)]
    assert redact_lines(lines) == ["Wi-Fi password", "[REDACTED:password]", "Network name", "Home-5G"]
    assert secret_boxes(lines) == [lines[1].box]


def test_a_checkout_row_keeps_the_expiry_and_hides_the_code_and_card():
    lines = [ln("Card number", 40, 100), ln("Expiry", 420, 100), ln("CVV", 560, 100),
             ln("4111 1111 1111 1111", 40, 128), ln("12/27", 420, 128), ln("737", 560, 128)]
    out = redact_lines(lines)
    assert out == ["Card number", "Expiry", "CVV", "[REDACTED:card]", "12/27", "[REDACTED:card-code]"]
    assert secret_boxes(lines) == [lines[3].box, lines[5].box]


def test_an_hr_form_with_identity_numbers():
    lines = [ln("Full name", 40, 100), ln("Dana Whitfield", 260, 100),
             ln("Date of birth", 40, 140), ln("1984-03-02", 260, 140),
             ln("SSN", 40, 180), ln("078-05-1120", 260, 180),
             ln("Passport number", 40, 220), ln("C01X00T47", 260, 220),
             ln("National ID", 40, 260), ln("T220001293", 260, 260)]
    out = redact_lines(lines)
    assert out == ["Full name", "Dana Whitfield", "Date of birth", "1984-03-02",
                   "SSN", "[REDACTED:national-id]", "Passport number", "[REDACTED:passport]",
                   "National ID", "[REDACTED:national-id]"]


def test_masked_values_buttons_and_empty_fields_are_not_secrets():
    lines = [ln("Password", 40, 100), ln("••••••••", 300, 100), ln("Show", 500, 100),
             ln("Confirm password", 40, 140),  # an empty field: nothing beside it, and below
             ln("Remember me", 40, 180)]       # is another control, not a value
    assert redact_lines(lines) == [ln_.text for ln_ in lines]
    assert secret_boxes(lines) == []


def test_a_value_too_far_away_or_on_another_row_is_not_paired():
    lines = [ln("PIN", 40, 100), ln("4471", 1500, 100),   # across the screen: another column
             ln("CVV", 40, 200), ln("737", 300, 320)]     # three rows down: not its field
    assert redact_lines(lines) == ["PIN", "4471", "CVV", "737"]


def test_a_bank_transfer_screen_with_a_bare_iban():
    lines = [ln("Recipient", 40, 100), ln("Dana Whitfield", 260, 100),
             ln("DE89 3704 0044 0532 0130 00", 260, 130), ln("Amount", 40, 160), ln("120.00 EUR", 260, 160)]
    assert redact_lines(lines)[2] == "[REDACTED:iban]"
    assert secret_boxes(lines) == [lines[2].box]
