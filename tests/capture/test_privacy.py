"""The privacy gate: excluded windows, and a corpus of real secret formats (and look-alikes
that must stay)."""

import pytest

from capture import PrivacyGate, WindowInfo, iban_ok, luhn_ok, redact, secret_lines

# Built by concatenation, so that secret scanners do not take the test corpus for leaks.
GITHUB = "ghp_" + "16C7e42F292c6912E7710c838347Ae178B4a"
GITHUB_PAT = ("github_pat_" + "11ABCDEFG0" + "123456789_"
              + "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012345678")
OPENAI = "sk-" + "proj-" + "Xh3kQ9vLm2Rt7Yp4Wz8Nc1Bd6Fg5Hj0Ks3La9Qe2Ui7Oo4Pa"
ANTHROPIC = "sk-ant-" + "api03-" + "Zx9Cv8Bn7Mm6Ll5Kk4Jj3Hh2Gg1Ff0Dd"
SLACK = "xox" + "b-" + "2-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
GOOGLE = "AIza" + "SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"
STRIPE = "sk_" + "live_" + "4eC39HqLyjWDarjtT1zdp7dc"
AWS_ID = "AKIA" + "IOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"
JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." + "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ."
       + "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
PEM = ("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq98rWq0aXkV3bR\n"
       "Zk1Ww0uQ+Jp4yZbqK9cQbq2dX1sT5oP0\n-----END RSA PRIVATE KEY-----")

SECRETS = [
    (f"export GITHUB_TOKEN={GITHUB}", "api-key", GITHUB),
    (f"token {GITHUB_PAT}", "api-key", GITHUB_PAT),
    (f"OPENAI_API_KEY={OPENAI}", "api-key", OPENAI),
    (f"key: {ANTHROPIC}", "api-key", ANTHROPIC),
    (f"SLACK_BOT_TOKEN={SLACK}", "api-key", SLACK),
    (f"const key = '{GOOGLE}';", "api-key", GOOGLE),
    (f"stripe.api_key = \"{STRIPE}\"", "api-key", STRIPE),
    (f"aws_access_key_id = {AWS_ID}", "api-key", AWS_ID),
    (f"aws_secret_access_key = {AWS_SECRET}", "api-key", AWS_SECRET),
    (f"Authorization: Bearer {JWT}", "token", JWT),
    (PEM, "private-key", "MIIEowIBAAKCAQEA7bq98rWq0aXkV3bR"),
    ("Password: hunter2!", "password", "hunter2!"),
    ("pwd=S3cr3t-Passw0rd", "password", "S3cr3t-Passw0rd"),
    ("my password is Tr0ub4dor&3", "password", "Tr0ub4dor&3"),
    ("postgres://admin:s3cretpw@db.internal:5432/app", "password", "s3cretpw"),
    ("Card 4111 1111 1111 1111 exp 12/27", "card", "4111 1111 1111 1111"),
    ("Mastercard 5555-5555-5555-4444", "card", "5555-5555-5555-4444"),
    ("Amex 378282246310005", "card", "378282246310005"),
    ("IBAN DE89 3704 0044 0532 0130 00", "iban", "3704 0044 0532"),
    ("Pay to GB82WEST12345698765432 today", "iban", "GB82WEST12345698765432"),
    ("FR14 2004 1010 0505 0001 3M02 606", "iban", "2004 1010 0505"),
    ("Your verification code is 482913", "otp", "482913"),
    ("123456 is your Google verification code", "otp", "123456"),
    ("OTP: 7731", "otp", "7731"),
    ("Enter the code 482 913 to sign in", "otp", "482 913"),
]

NOT_SECRETS = [
    "Invoice 4111 1111 1111 1112 is due",  # fails the Luhn check
    "Order number 1234567890123 shipped",  # no card network starts with 1
    "ISBN 978-3-16-148410-0",
    "Call +49 30 1234 5678 tomorrow",
    "IBAN DE89 3704 0044 0532 0130 01",  # fails mod-97
    "HTTP error code 4040 on the proxy",
    "Our zip code 10115 is in Berlin",
    "The password field must not be empty",
    "the password is required",
    "Password: ********",
    "commit 3f2a9c1b7e4d5a6b in main",
    "pip install scikit-learn; from sklearn import svm",
    "sk-learn-pipeline-tutorial-for-beginners",
    "api_key: your-api-key-here",
    "Meeting at 2024-01-15 10:30 in room 12",
    "Version 1.2.3 released on 2024-05-01",
    "the secret garden by Frances Hodgson Burnett",
]


@pytest.mark.parametrize("text,kind,secret", SECRETS)
def test_secrets_are_replaced_by_a_marker(text, kind, secret):
    out, counts = redact(text)
    assert secret not in out
    assert f"[REDACTED:{kind}]" in out
    assert counts.get(kind, 0) >= 1


@pytest.mark.parametrize("text", NOT_SECRETS)
def test_look_alikes_are_kept(text):
    out, counts = redact(text)
    assert out == text
    assert counts == {}


def test_context_around_a_secret_is_kept():
    out, _ = redact(f"deploy with OPENAI_API_KEY={OPENAI} then restart")
    assert out.startswith("deploy with OPENAI_API_KEY=")
    assert out.endswith(" then restart")


def test_a_pem_key_spanning_lines_is_found_line_by_line():
    lines = ["notes", *PEM.split("\n"), "after"]
    assert secret_lines(lines) == {1, 2, 3, 4}


def test_checksums():
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert iban_ok("DE89 3704 0044 0532 0130 00") and not iban_ok("DE89 3704 0044 0532 0130 01")
    assert not iban_ok("XX89 3704 0044 0532 0130 00")


@pytest.mark.parametrize("window,reason", [
    (WindowInfo(app="KeePassXC", title="Passwords.kdbx"), "excluded app"),
    (WindowInfo(app="Bitwarden", title="Vault"), "excluded app"),
    (WindowInfo(app="Firefox", title="Sparkasse Online Banking - Mozilla Firefox"), "excluded pattern"),
    (WindowInfo(app="firefox", title="New Tab — Mozilla Firefox Private Browsing"), "private browsing"),
    (WindowInfo(app="Google-chrome", title="New Tab - Google Chrome (Incognito)"), "private browsing"),
    (WindowInfo(app="Xterm", title="less — Incognito notes"), "excluded pattern"),
    (WindowInfo(app="Firefox", title="ING Netbanking — Mozilla Firefox"), "excluded pattern"),
    (WindowInfo(app="Firefox", title="Sparkasse Bank — Log in — Mozilla Firefox"), "excluded pattern"),
    (WindowInfo(app="Firefox", title="Bitwarden Password Manager — Mozilla Firefox"), "excluded pattern"),
    (WindowInfo(app="xdg-open", title="Passwords.kdbx - KeePassXC"), "excluded pattern"),
    (WindowInfo(app="i3lock"), "locked"),
    (WindowInfo(app="Xterm", locked=True), "locked"),
    (WindowInfo(app="Firefox", private=True), "private"),
])
def test_default_exclusions(window, reason):
    assert reason in PrivacyGate().excluded(window)


@pytest.mark.parametrize("window", [
    WindowInfo(app="Firefox", title="Python docs - Mozilla Firefox"),
    WindowInfo(app="code", title="bank_statement_parser.py - Visual Studio Code"),
    WindowInfo(),
])
def test_ordinary_windows_pass(window):
    assert PrivacyGate().excluded(window) is None


def test_user_patterns_and_a_broken_regex():
    gate = PrivacyGate(excluded_apps=("Slack",), excluded_titles=("Payroll", "[unclosed"))
    assert gate.excluded(WindowInfo(app="slack"))
    assert gate.excluded(WindowInfo(app="x", title="2024 payroll.xlsx"))
    assert gate.excluded(WindowInfo(app="x", title="a [unclosed bracket"))
    assert gate.excluded(WindowInfo(app="KeePassXC")) is None  # the user replaced the defaults
