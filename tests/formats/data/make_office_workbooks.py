#!/usr/bin/env python3
"""Writes the office-suite workbooks the registrar import tests read (tests/formats/data/*.xlsx).

The workbooks are saved by LibreOffice Calc's own XLSX writer (Debian's libreoffice-calc-nogui),
not by this project's writers, so the tests read a file as an office suite lays it out: shared
strings, styles, a merged title, numbers stored as text, a date cell, a formula's cached value.
The good export is also saved as an Excel 97-2003 workbook (.xls, LibreOffice's "MS Excel 97"
filter), which the bank refuses with advice to save it as .xlsx.
The data are the project's own (the six-line registrar export of
tests/integration/registrar_import_test.cc). Run again only to change them:

    apt-get install libreoffice-calc-nogui
    python3 tests/formats/data/make_office_workbooks.py
"""
import os
import shutil
import subprocess
import sys
import tempfile
from xml.sax.saxutils import escape

HERE = os.path.dirname(os.path.abspath(__file__))
HEADER = ["学号", "姓名", "身份证号", "专业名称", "课程名称", "教育层次代码", "教育类别代码",
          "学分", "学时", "成绩", "获得时间", "届别", "毕业结业肄业", "备注"]


def s(text):
    return ('<table:table-cell office:value-type="string"><text:p>%s</text:p></table:table-cell>'
            % escape(text))


def n(value):
    return ('<table:table-cell office:value-type="float" office:value="%s"><text:p>%s</text:p>'
            '</table:table-cell>' % (value, value))


def formula(expr, value):
    return ('<table:table-cell table:formula="of:=%s" office:value-type="float" office:value="%s">'
            '<text:p>%s</text:p></table:table-cell>' % (expr, value, value))


def date(iso):
    return ('<table:table-cell table:style-name="date" office:value-type="date" '
            'office:date-value="%s"><text:p>%s</text:p></table:table-cell>'
            % (iso, iso.replace("-", "/")))


EMPTY = "<table:table-cell/>"


def rows(grade_line4):
    # 学号 and 身份证号 are text (as registrars keep them: leading zeros, the X check digit);
    # codes, credits and grades are numbers; 学时 64 is a formula; one 获得时间 is a date cell.
    return [
        [s("2024001"), s("张三"), s("110101199003070011"), s("计算机科学与技术"), s("程序设计基础"),
         n(20), n(31), EMPTY, EMPTY, n(92), n(202406), n(2024), n(40), EMPTY],
        [s("2024001"), s("张三"), s("110101199003070011"), s("计算机科学与技术"), s("微积分"),
         n(20), n(31), n(5), EMPTY, s("良好"), n(202401), n(2024), n(40), EMPTY],
        [s("2024002"), s("李四"), s("11010119900307002X"), s("计算机科学与技术"), s("程序设计基础"),
         n(22), n(30), EMPTY, formula("32*2", 64), s("合格"), n(202312), EMPTY, EMPTY, EMPTY],
        [s("2024002"), s("李四"), s("11010119900307002X"), s("计算机科学与技术"), s("微积分"),
         n(22), n(30), n(4.5), EMPTY, s(grade_line4), date("2024-06-15"), EMPTY, EMPTY,
         s("补考, 通过")],
        [s("2024003"), s("王\U00020000"), s("440106200001010019"), s("数学与应用数学"), s("程序设计基础"),
         n(21), n(32), EMPTY, EMPTY, s("不及格"), n(202402), EMPTY, n(41), EMPTY],
        [s("2024003"), s("王\U00020000"), s("440106200001010019"), s("数学与应用数学"), s("微积分"),
         n(21), n(32), EMPTY, EMPTY, n(60.5), n(202406), EMPTY, EMPTY, EMPTY],
    ]


def fods(grade_line4):
    width = len(HEADER) + 1
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
           'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
           'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
           'xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" '
           'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
           'xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2" office:version="1.2" '
           'office:mimetype="application/vnd.oasis.opendocument.spreadsheet">',
           '<office:automatic-styles>'
           '<number:date-style style:name="ymd"><number:year number:style="long"/>'
           '<number:text>/</number:text><number:month number:style="long"/>'
           '<number:text>/</number:text><number:day number:style="long"/></number:date-style>'
           '<style:style style:name="date" style:family="table-cell" '
           'style:data-style-name="ymd"/></office:automatic-styles>',
           '<office:body><office:spreadsheet><table:table table:name="成绩">']
    # Row 1: a title merged across the table; row 2: who made it, in two cells; row 3: the
    # header from column B (column A is empty throughout).
    out.append('<table:table-row><table:table-cell table:number-columns-spanned="%d" '
               'table:number-rows-spanned="1" office:value-type="string"><text:p>'
               '清华大学 2024 年学分银行成绩导出</text:p></table:table-cell>'
               '<table:covered-table-cell table:number-columns-repeated="%d"/></table:table-row>'
               % (width, width - 1))
    out.append('<table:table-row>' + EMPTY + s("制表：教务处") + EMPTY * 3 + s("导出日期：2025-01-10")
               + '</table:table-row>')
    out.append('<table:table-row>' + EMPTY + "".join(s(h) for h in HEADER) + '</table:table-row>')
    for r in rows(grade_line4):
        out.append('<table:table-row>' + EMPTY + "".join(r) + '</table:table-row>')
    out.append('</table:table><table:table table:name="说明"><table:table-row>'
               + s("成绩单由教务系统导出") + '</table:table-row></table:table>')
    out.append('</office:spreadsheet></office:body></office:document>')
    return "\n".join(out)


def main():
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        sys.exit("needs LibreOffice Calc: apt-get install libreoffice-calc-nogui")
    with tempfile.TemporaryDirectory() as tmp:
        for name, grade in (("cn_registrar_libreoffice", "良好"),
                            ("cn_registrar_libreoffice_bad", "良")):
            src = os.path.join(tmp, name + ".fods")
            with open(src, "w", encoding="utf-8") as f:
                f.write(fods(grade))
            subprocess.run([soffice, "--headless", "-env:UserInstallation=file://" + tmp + "/profile",
                            "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", HERE, src],
                           check=True, stdout=subprocess.DEVNULL)
            print("wrote", os.path.join(HERE, name + ".xlsx"))
        src = os.path.join(tmp, "cn_registrar_libreoffice.fods")
        with open(src, "w", encoding="utf-8") as f:
            f.write(fods("良好"))
        subprocess.run([soffice, "--headless", "-env:UserInstallation=file://" + tmp + "/profile",
                        "--convert-to", "xls:MS Excel 97", "--outdir", HERE, src],
                       check=True, stdout=subprocess.DEVNULL)
        print("wrote", os.path.join(HERE, "cn_registrar_libreoffice.xls"))


if __name__ == "__main__":
    main()
