"""Identity values: the Ecuadorian cédula and phone numbers."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType
from stdnum.ec import ci
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)

from bot.domain.errors import N_, InvalidCedula, InvalidPhone

# Separators people type inside a cédula, their full-width and typographic forms included.
_NON_DIGITS = re.compile(r"[\s.\-_/\u2010-\u2015\u2212\uff0d\uff0e\uff0f\uff3f\u30fb\u00b7]")
VALID_PROVINCES = {f"{n:02d}" for n in range(1, 25)} | {"30"}


@dataclass(frozen=True)
class Cedula:
    """A validated 10-digit Ecuadorian identity-card number."""

    value: str

    @property
    def last_digit(self) -> int:
        """The last digit, which sets the cash collection days."""
        return int(self.value[-1])

    @property
    def masked(self) -> str:
        """The number with all but the last 3 digits hidden, safe for logs and screens."""
        return "*******" + self.value[-3:]

    def __str__(self) -> str:
        return self.value


def parse_cedula(raw: str) -> Cedula:
    """Validates a cédula with python-stdnum; raises `InvalidCedula` with the specific reason."""
    text = _NON_DIGITS.sub("", ascii_digits(raw or ""))
    if not text:
        raise InvalidCedula(N_("Escriba su número de cédula: son 10 dígitos."), "empty")
    if not (text.isascii() and text.isdigit()):  # «¹» is a digit int() refuses
        raise InvalidCedula(
            N_("La cédula solo lleva números (10 dígitos), sin letras ni símbolos."), "format"
        )
    if len(text) != 10:
        raise InvalidCedula(
            N_("La cédula tiene 10 dígitos; usted escribió {count}. Revise el número."),
            "length",
            count=len(text),
        )
    if text[:2] not in VALID_PROVINCES:
        raise InvalidCedula(
            N_(
                "Los dos primeros dígitos de la cédula indican la provincia (01 a 24, o 30); "
                "{prefix} no corresponde a ninguna. Revise el número."
            ),
            "province",
            prefix=text[:2],
        )
    if int(text[2]) > 5:
        raise InvalidCedula(
            N_("El tercer dígito de una cédula de persona va de 0 a 5. Revise el número."), "type"
        )
    try:
        ci.validate(text)
    except InvalidChecksum:
        raise InvalidCedula(
            N_(
                "El último dígito (dígito verificador) no coincide: puede haber un número "
                "cambiado. Revise su cédula."
            ),
            "checksum",
        ) from None
    except (InvalidLength, InvalidFormat, InvalidComponent, ValidationError):
        raise InvalidCedula(
            N_("El número de cédula no es válido. Revise el número."), "invalid"
        ) from None
    return Cedula(text)


def ascii_digits(text: str) -> str:
    """Turns every decimal digit (full-width «１», Arabic-Indic «١»…) into its ASCII digit.

    Only decimal digits: «¹» or «①» are digits of another kind and stay as they are, so one
    cédula has one spelling and the locks keyed by it hold however it was typed.
    """
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)


@dataclass(frozen=True)
class Phone:
    """A validated phone number in E.164 form."""

    e164: str
    is_mobile: bool

    @property
    def masked(self) -> str:
        """The number with the middle digits hidden, safe for logs."""
        return self.e164[:5] + "****" + self.e164[-3:]

    def __str__(self) -> str:
        return self.e164


def parse_phone(raw: str, *, require_mobile: bool = False, region: str = "EC") -> Phone:
    """Parses a phone (Ecuador by default) to E.164; raises `InvalidPhone` with the reason."""
    text = (raw or "").strip()
    if not text:
        raise InvalidPhone(N_("Escriba su número de celular, por ejemplo 0991234567."), "empty")
    if not re.fullmatch(r"[+\d\s().\-]+", text):
        raise InvalidPhone(
            N_("El número solo puede tener dígitos, por ejemplo 0991234567."), "format"
        )
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        raise InvalidPhone(
            N_("No reconozco ese número. Escríbalo así: 0991234567."), "format"
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(
            N_("Ese número no es válido. Un celular de Ecuador tiene 10 dígitos y empieza con 09."),
            "invalid",
        )
    kind = phonenumbers.number_type(number)
    is_mobile = kind in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
    if require_mobile and not is_mobile:
        raise InvalidPhone(
            N_("Para recibir SMS necesitamos un celular (empieza con 09); ese número es fijo."),
            "not_mobile",
        )
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return Phone(e164=e164, is_mobile=is_mobile)


def complete_cedula(first_nine: str) -> str:
    """Appends the check digit to 9 digits (for demo data, tests and benchmarks)."""
    for digit in "0123456789":
        if ci.is_valid(first_nine + digit):
            return first_nine + digit
    raise ValueError("no check digit makes a valid cédula")
