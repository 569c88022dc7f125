#!/usr/bin/env python3
"""Writes the library-made workbooks the registrar import tests read (tests/formats/data/*.xlsx).

Registrar systems mostly export through a library, not an office suite: XlsxWriter (whose XML
follows Excel 2007's own, part for part) and openpyxl (what pandas' to_excel uses). The data
are the six-line registrar export of make_office_workbooks.py, laid out as such exports are:

  cn_registrar_xlsxwriter.xlsx  XlsxWriter in constant_memory mode (inline strings, as large
                                exports are written); the header in row 1 with an autofilter
                                and a frozen pane; 学号 as numbers; 身份证号 as text; one
                                获得时间 as a date cell in a Chinese custom format
                                (yyyy"年"m"月"d"日"); a second sheet (说明) after it.
  cn_registrar_openpyxl.xlsx    openpyxl 3.0: inline strings written as numeric character
                                references (&#23398;&#21495;); a title merged across row 1; the
                                header in row 2; 学号 and 身份证号 as text cells formatted "@";
                                one 获得时间 as a datetime.date (a serial with format
                                yyyy-mm-dd); codes and grades as numbers.

Neither holds a formula: both libraries store formulas without a computed result (XlsxWriter
saves 0 and asks Excel to recalculate on load; openpyxl saves none), which the reader refuses
(tests/formats/xlsx_test.cc). Run again only to change them:

    apt-get install python3-xlsxwriter python3-openpyxl
    /usr/bin/python3 tests/formats/data/make_library_workbooks.py
"""
import datetime
import os

import openpyxl
import xlsxwriter
from openpyxl.styles import Alignment, Font

HERE = os.path.dirname(os.path.abspath(__file__))
HEADER = ["学号", "姓名", "身份证号", "专业名称", "课程名称", "教育层次代码", "教育类别代码",
          "学分", "学时", "成绩", "获得时间", "届别", "毕业结业肄业", "备注"]
DATE = datetime.date(2024, 6, 15)
# The rows of make_office_workbooks.py; None is an empty cell; 学时 64 is a plain number here.
ROWS = [
    [2024001, "张三", "110101199003070011", "计算机科学与技术", "程序设计基础", 20, 31, None, None,
     92, 202406, 2024, 40, None],
    [2024001, "张三", "110101199003070011", "计算机科学与技术", "微积分", 20, 31, 5, None,
     "良好", 202401, 2024, 40, None],
    [2024002, "李四", "11010119900307002X", "计算机科学与技术", "程序设计基础", 22, 30, None, 64,
     "合格", 202312, None, None, None],
    [2024002, "李四", "11010119900307002X", "计算机科学与技术", "微积分", 22, 30, 4.5, None,
     "良好", DATE, None, None, "补考, 通过"],
    [2024003, "王\U00020000", "440106200001010019", "数学与应用数学", "程序设计基础", 21, 32, None, None,
     "不及格", 202402, None, 41, None],
    [2024003, "王\U00020000", "440106200001010019", "数学与应用数学", "微积分", 21, 32, None, None,
     60.5, 202406, None, None, None],
]


def xlsxwriter_workbook(path):
    wb = xlsxwriter.Workbook(path, {"constant_memory": True})
    ws = wb.add_worksheet("成绩")
    bold = wb.add_format({"bold": True})
    month = wb.add_format({"num_format": 'yyyy"年"m"月"d"日"'})
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, len(ROWS), len(HEADER) - 1)
    ws.set_column(0, len(HEADER) - 1, 14)
    for col, name in enumerate(HEADER):
        ws.write_string(0, col, name, bold)
    for r, row in enumerate(ROWS, start=1):
        for col, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, datetime.date):
                ws.write_datetime(r, col, datetime.datetime.combine(value, datetime.time()), month)
            elif isinstance(value, str):
                ws.write_string(r, col, value)
            else:
                ws.write_number(r, col, value)
    wb.add_worksheet("说明").write_string(0, 0, "成绩单由教务系统导出")
    wb.close()


def openpyxl_workbook(path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "成绩"
    ws.cell(row=1, column=1, value="清华大学 2024 年学分银行成绩导出").font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    ws.cell(row=1, column=1).alignment = Alignment(horizontal="center")
    for col, name in enumerate(HEADER, start=1):
        ws.cell(row=2, column=col, value=name).font = Font(bold=True)
    for r, row in enumerate(ROWS, start=3):
        for col, value in enumerate(row, start=1):
            if value is None:
                continue
            cell = ws.cell(row=r, column=col)
            if col == 1:  # 学号 kept as text, as a registrar's template formats it
                cell.value = str(value)
                cell.number_format = "@"
            elif col == 3:
                cell.value = value
                cell.number_format = "@"
            elif isinstance(value, datetime.date):
                cell.value = value
                cell.number_format = "yyyy-mm-dd"
            else:
                cell.value = value
    wb.save(path)


def main():
    for name, write in (("cn_registrar_xlsxwriter", xlsxwriter_workbook),
                        ("cn_registrar_openpyxl", openpyxl_workbook)):
        path = os.path.join(HERE, name + ".xlsx")
        write(path)
        print("wrote", path)


if __name__ == "__main__":
    main()
