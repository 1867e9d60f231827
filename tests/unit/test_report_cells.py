"""Spreadsheet safety and the matrix texts, without a database."""

from __future__ import annotations

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
