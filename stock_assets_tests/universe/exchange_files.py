"""Euronext and Xetra list files written by the tests: each quirk the real downloads show, on demand."""

from __future__ import annotations

EURONEXT_HEADER = ["Name", "ISIN", "Symbol", "Market", "Currency", "Open Price", "High Price", "low Price",
                   "last Price", "last Trade MIC Time", "Time Zone", "Volume", "Turnover", "Closing Price",
                   "Closing Price DateTime"]
# (name, ISIN, symbol, market, currency)
EURONEXT_ROWS = [
    ("AIR LIQUIDE", "FR0000120073", "AI", "Euronext Paris", "EUR"),
    ("ASML HOLDING", "NL0010273215", "ASML", "Euronext Amsterdam", "EUR"),
    ("SHELL PLC", "GB00BP6MXD84", "SHELL", "Euronext Amsterdam", "EUR"),
    ("TOTALENERGIES", "FR0000120271", "TTE", "Euronext Paris, Brussels", "EUR"),
    ("ARCELORMITTAL SA", "LU1598757687", "MT", "Euronext Amsterdam, Paris", "EUR"),
    ("PERSHING", "GG00BPFJTF46", "PSH", "Euronext Amsterdam", "USD"),
    ("AB INBEV", "BE0974293251", "ABI", "Euronext Brussels", "EUR"),
    ("SOLVAY", "BE0003470755", "SOLB", "Euronext Brussels, Paris", "EUR"),
]


def euronext(rows=EURONEXT_ROWS, *, french: bool = True) -> str:
    """The equities download: French locale (BOM, CRLF, `;;;` padding, `01-juin-23`, decimal
    comma, no final newline) or English (BOM, LF, quoted text, `06 Dec 2023`, decimal dot)."""
    width = len(EURONEXT_HEADER)
    if french:
        lines = [";".join(EURONEXT_HEADER)]
        lines += [cell + ";" * (width - 1) for cell in
                  ("European Equities", "01-juin-23", "All datapoints provided as of end of last active trading day.")]
        for name, isin, symbol, market, currency in rows:
            lines.append(";".join([name, isin, symbol, market, currency, "39,66", "39,99", "39,28", "39,5",
                                   "31/05/2023 17:35", "CET", "422964", "17153175,82", "39,5", "31/05/2023"]))
        return "\ufeff" + "\r\n".join(lines)
    quoted = [f'"{h}"' if " " in h else h for h in EURONEXT_HEADER]
    lines = [";".join(quoted), '"European Equities"', '"06 Dec 2023"',
             '"All datapoints provided as of end of last active trading day."']
    for name, isin, symbol, market, currency in rows:
        lines.append(";".join([f'"{name}"', isin, symbol, f'"{market}"', currency, "164.00", "165.00", "161.00",
                               "165.00", '"05/12/2023 16:01"', "CET", "78", "12704.00", "165.00", "05/12/2023"]))
    return "\ufeff" + "\n".join(lines) + "\n"


XETRA_HEADER = ["Market Segment Status", "Instrument Status", "instrument", "ISIN", "Product ID", "Instrument ID",
                "WKN", "Mnemonic", "MIC Code", "CCP eligible Code", "Trading Model Type", "Instrument Type",
                "Settlement Currency"]
# (status, name, ISIN, mnemonic, type)
XETRA_ROWS = [
    ("active", "SAP SE O.N.", "DE0007164600", "SAP", "CS"),
    ("active", "SIEMENS AG NA O.N.", "DE0007236101", "SIE", "CS"),
    ("active", "ISHARES CORE DAX UCITS ETF", "DE0005933931", "EXS1", "ETF"),
    ("active", "XTRACKERS PHYSICAL GOLD ETC", "DE000A1E0HR8", "4GLD", "ETC"),
    ("pending deletion", "OLD CO AG", "DE0001234567", "OLD", "CS"),
    ("inactive", "GONE AG", "DE0007654321", "GONE", "CS"),
    ("active", "APPLE INC.", "US0378331005", "APC", "CS"),
    ("active", "NO TICKER AG", "DE0000000001", "", "CS"),
]


def xetra(rows=XETRA_ROWS, *, extra_columns: int = 0, capitalised: bool = False) -> str:
    """t7-xetr-allTradableInstruments.csv: 2 preamble lines, then `;` header and rows (LF).

    `extra_columns` adds columns before the kept ones move (the 122 -> 124 column change);
    `capitalised` writes `Instrument` as later releases do."""
    header = list(XETRA_HEADER)
    if capitalised:
        header[2] = "Instrument"
    extra = [f"Added Column {i}" for i in range(extra_columns)]
    header = header[:2] + extra + header[2:]
    lines = ["Market:;XETR", "Date Last Update:;08.11.2019", ";".join(header)]
    for status, name, isin, mnemonic, kind in rows:
        fields = ["active", status, *["x"] * extra_columns, name, isin, "P1", "I1", "WKN", mnemonic, "XETR", "Y",
                  "Continuous", kind, "EUR"]
        lines.append(";".join(fields))
    return "\n".join(lines) + "\n"
