"""Plates and phone numbers recognised by their format in OCR lines."""

from backend.redaction.text import normalise, phones, plates, read_line


def test_plates_of_every_colour_and_length():
    assert plates("京A·12345") == ["京A12345"]
    assert plates("粤B D12345") == ["粤BD12345"]  # green new-energy: six characters
    assert plates("沪C1234学") == ["沪C1234学"]
    assert plates("京I12345") == []  # I and O are never issuing-office letters


def test_a_plate_whose_province_was_misread_is_kept_by_shape():
    assert read_line("A·12345", (0, 0, 120, 30)) == [("plate", "A12345")]
    assert read_line("A12345", (0, 0, 30, 120)) != [("plate", "A12345")]  # a tall box is no plate
    assert plates("ABCDEF") == []  # too few digits for a plate


def test_phone_numbers_as_adverts_print_them():
    assert phones("疏通下水道 138-1234-5678") == ["13812345678"]
    assert phones("电话：138 l234 5678") == ["13812345678"]  # l read for 1 between digits
    assert phones("0738-8312345") == ["07388312345"]
    assert phones("订单号 2381234567890") == []  # a longer number is not a phone
    assert normalise("138-1234 5678") == "13812345678"


def test_other_lines_are_kept_as_text_and_noise_is_dropped():
    assert read_line("老王五金店", (0, 0, 200, 40)) == [("text", "老王五金店")]
    assert read_line("A", (0, 0, 10, 10)) == []
