"""Spreadsheet safety and the matrix texts, without a database."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.domain.dialogue import AnswerTooLong, channel_answer, check_length
from bot.services.reports import csv_safe, to_csv, write_xlsx


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_cells_a_spreadsheet_would_evaluate_get_an_apostrophe(value: str) -> None:
    assert csv_safe(value) == "'" + value


@pytest.mark.parametrize("value", ["Permanente", "1. Pocas unidades", "", "a=b"])
def test_plain_cells_are_left_alone(value: str) -> None:
    assert csv_safe(value) == value


def test_xlsx_never_holds_a_formula(tmp_path: Path) -> None:
    write_xlsx({"s": [["=1+1", "@x", "normal"]]}, tmp_path / "x.xlsx")
    cells = next(load_workbook(tmp_path / "x.xlsx")["s"].iter_rows())
    assert [(c.value, c.data_type) for c in cells] == [("=1+1", "s"), ("@x", "s"), ("normal", "s")]
    assert cells[0].quotePrefix and not cells[2].quotePrefix


def test_csv_rows_keep_accents_and_commas() -> None:
    assert to_csv([["Diálogo, Tacamoros", "=x"]]) == '"Diálogo, Tacamoros",\'=x\r\n'


def test_channel_answer_is_written_as_in_the_report() -> None:
    label = "A través de los técnicos que visitan los sectores"
    expected = (
        "A través de los técnicos que visitan los sectores, porque en la parroquia no se cuenta "
        "con buena conectividad de telefonía."
    )
    reason = "en la parroquia no se cuenta con buena conectividad de telefonía"
    assert channel_answer(label, reason) == expected
    assert channel_answer(label, "Porque " + reason + ".") == expected
    assert channel_answer(label, "") == label + "."


def test_answers_over_the_limit_are_refused_not_cut() -> None:
    assert check_length("  hola  ") == "hola"
    with pytest.raises(AnswerTooLong) as error:
        check_length("a" * 2001)
    assert error.value.count == 2001 and "2000" in error.value.message


def test_answers_of_several_parishes_get_one_block_each_and_are_counted() -> None:
    from bot.services.reports import AnswerRow, ParishName, ReportData, alerts_matrix, counts_table

    data = ReportData(
        title="t",
        answers=[
            AnswerRow("111252", 1, "Pocas unidades", "", 1),
            AnswerRow("110554", 2, "Incluir a los adultos mayores", "", 2),
            AnswerRow("111252", 1, "Falta transporte", "", 3),
        ],
        parishes={
            "111252": ParishName("111252", "Tacamoros", "Sozoranga", "Loja"),
            "110554": ParishName("110554", "Amarillos", "Chaguarpamba", "Loja"),
        },
    )
    table = alerts_matrix(data)
    blocks = [row[0] for row in table if row[0].startswith("PARROQUIA:")]
    assert blocks == [
        "PARROQUIA: Amarillos (Chaguarpamba, Loja)",
        "PARROQUIA: Tacamoros (Sozoranga, Loja)",
    ]
    tacamoros = table[table.index(["PARROQUIA: Tacamoros (Sozoranga, Loja)", "", ""]) :]
    assert [r[1] for r in tacamoros[2:4]] == ["1. Pocas unidades", "2. Falta transporte"]
    counts = counts_table(data)
    assert counts[1][:6] == ["Amarillos", "110554", "Chaguarpamba", "Loja", 0, 1]
    assert counts[2][4:] == [2, 0, 0, 0, 2, 2, 0]
    assert counts[-1] == ["TOTAL", "", "", "", 2, 1, 0, 0, 3, 3, 0]


# Answers a citizen could type that a `;` (Spanish-locale) or `,` reader would cut into cells.
SPLIT_FORMULAS = [
    "x;=cmd|' /C calc'!A0;",
    "a,+1",
    "b\n@SUM(A1)",
    'c;"=1+1"',
    "d; -2",
    "e\t=1",
    '=HYPERLINK("http://malo.example";"clic")',
    " =1+1",
]


def _cells_read_with(text: str, delimiter: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text), delimiter=delimiter) for cell in row]


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_an_answer_with_semicolons_becomes_no_formula_in_a_spanish_spreadsheet(
    delimiter: str,
) -> None:
    text = to_csv([["Respuesta", *SPLIT_FORMULAS], ["otra", "1. " + SPLIT_FORMULAS[0]]])

    cells = _cells_read_with(text, delimiter)

    assert len(cells) > len(SPLIT_FORMULAS)
    for cell in cells:
        assert not cell.lstrip(' "').startswith(("=", "+", "-", "@")), cell
        assert not cell.startswith(("\t", "\r")), cell


def test_a_comma_reader_still_reads_each_answer_whole() -> None:
    [row] = list(csv.reader(io.StringIO(to_csv([SPLIT_FORMULAS]))))
    assert row[0] == "x;'=cmd|' /C calc'!A0;"
    assert [cell.replace("'", "") for cell in row] == [v.replace("'", "") for v in SPLIT_FORMULAS]


def test_xlsx_counts_and_deadlines_are_typed_cells(tmp_path: Path) -> None:
    at = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    write_xlsx({"s": [["Tacamoros", 3, 2.5, date(2026, 12, 20), at, "0102"]]}, tmp_path / "x.xlsx")
    cells = next(load_workbook(tmp_path / "x.xlsx")["s"].iter_rows())
    assert [c.value for c in cells] == [
        "Tacamoros",
        3,
        2.5,
        datetime(2026, 12, 20),
        datetime(2026, 11, 20, 15, 0),
        "0102",
    ]
    assert [c.data_type for c in cells] == ["s", "n", "n", "d", "d", "s"]
    assert cells[3].is_date and cells[4].is_date
