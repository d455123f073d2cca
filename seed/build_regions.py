"""Build ``seed/regions.csv`` -- China administrative divisions (GB/T 2260).

Source
------
The data comes from the ``stdnum/cn/loc.dat`` file shipped with the
``python-stdnum`` package installed in the project venv (that file is itself
generated from the zh.wikipedia "中华人民共和国行政区划代码" pages).  No network
access is needed; re-running this script against the same stdnum version
produces a byte-identical CSV.

loc.dat format::

    11 province="北京市"                      <- 2-digit province code
      0000 county="北京市"                    <- repeats the province (skipped)
      0100 county="市辖区"                    <- CC00: city / prefecture level
      0101 county="东城区"                    <- CCDD: county level
      0103 county="[-2010]崇文区"             <- abolished in 2010
      0112 county="[1997-]通州区"             <- created 1997, still valid
      0221 county="[1982-1999]昌平县"         <- valid 1982-1999 only
      0502 county="[1983-2019]桥东区,[2020-]襄都区"   <- renamed in 2020

A value is a comma separated list of names, each optionally prefixed by a
validity bracket ``[start-end]`` (either year may be missing).  A name is
*current* when it has no bracket or its bracket has no end year.  The last
current name of a code wins; a code without any current name is abolished
and omitted.

Rules used to build the CSV (header ``code,name,level,parent_code``)
---------------------------------------------------------------------
* province: ``PP0000``, level ``province``, empty parent.  The name is the
  current name of the ``PP0000`` entry when present (it is the simplified
  form, e.g. 香港特别行政区), else the name on the province line.
* city: ``PPCC00`` with ``CC != 00``, level ``city``, parent ``PP0000``.
  The placeholders "市辖区" / "县" under the municipalities (11, 12, 31, 50)
  are kept and renamed after the municipality (e.g. 110100 北京市) so the
  tree is always province -> city -> county.  The "省直辖县级行政单位" /
  "自治区直辖县级行政单位" rows (e.g. 419000, 429000, 469000, 659000) are kept
  with their source name since they are real parents of county-level units.
* county: every other code ``PPCCDD``, level ``county``, parent ``PPCC00``
  when that city row exists, else ``PP0000``.  The "市辖区" placeholder
  entries (``PPCC01``) are not real counties and are skipped.
* Source errors corrected (see STALE_IN_SOURCE): a few abolished codes lack
  an end year in loc.dat and are dropped explicitly -- 422900 林区 and
  422921 神农架林区 (superseded by 429021 神农架林区) and 429001 随州市
  (became prefecture-level 421300 in 2000).
* A few names are written in traditional characters in the source (the
  232761-232764 districts of 大兴安岭地区); they are converted to simplified
  characters (see TRADITIONAL_TO_SIMPLIFIED).
* Taiwan / Hong Kong / Macau (71, 81, 82) only have a ``PP0000`` entry in the
  source, so they appear as province rows without children.
* Rows are sorted by code; every parent_code exists in the file.

Usage (from the project root)::

    .venv/bin/python seed/build_regions.py
"""

import csv
import os
import re
import sys

import stdnum

LOC_DAT = os.path.join(os.path.dirname(stdnum.__file__), 'cn', 'loc.dat')
OUTPUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'regions.csv')

MUNICIPALITIES = {'11', '12', '31', '50'}
MUNICIPALITY_PLACEHOLDERS = {'市辖区', '县'}
COUNTY_PLACEHOLDER = '市辖区'

# codes that are unbracketed (i.e. look current) in loc.dat but were abolished
STALE_IN_SOURCE = {
    '422900',  # 林区: old prefecture-level slot of 神农架林区
    '422921',  # 神农架林区: now 429021
    '429001',  # 随州市: prefecture-level city 421300 since 2000
}

# traditional characters found in loc.dat names
TRADITIONAL_TO_SIMPLIFIED = str.maketrans('區嶺達', '区岭达')

_LINE_RE = re.compile(r'^(?P<indent>\s*)(?P<code>\d+) (?P<kind>\w+)="(?P<value>.*)"\s*$')
_NAME_RE = re.compile(r'^(?:\[(?P<start>\d{4})?-(?P<end>\d{4})?\])?(?P<name>[^\[\],]+)$')


def current_name(value):
    """Return the current name in a loc.dat value, or None if abolished."""
    result = None
    for part in value.split(','):
        match = _NAME_RE.match(part.strip())
        if not match:
            raise ValueError('unparsable name: %r' % value)
        if match.group('end') is None:
            result = match.group('name').strip()
    return result


def read_loc_dat(path=LOC_DAT):
    """Yield (province_code, province_name, [(code4, value), ...])."""
    province = None
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip() or line.startswith('#'):
                continue
            match = _LINE_RE.match(line)
            if not match:
                raise ValueError('%s:%d: unparsable line %r' % (path, lineno, line))
            code, kind, value = match.group('code', 'kind', 'value')
            if not match.group('indent'):
                if kind != 'province' or len(code) != 2:
                    raise ValueError('%s:%d: unexpected line %r' % (path, lineno, line))
                if province:
                    yield province
                province = (code, value, [])
            else:
                if province is None or len(code) != 4:
                    raise ValueError('%s:%d: unexpected line %r' % (path, lineno, line))
                province[2].append((code, value))
    if province:
        yield province


def build_rows():
    rows = {}
    for pcode, pname, entries in read_loc_dat():
        # later duplicates of the same code override earlier ones, but only
        # when they carry a current name
        current = {}
        for code4, value in entries:
            name = current_name(value)
            if name is not None and pcode + code4 not in STALE_IN_SOURCE:
                current[code4] = name.translate(TRADITIONAL_TO_SIMPLIFIED)
        province_code = pcode + '0000'
        province_name = current.pop('0000', None) or pname
        rows[province_code] = (province_code, province_name, 'province', '')
        cities = set()
        for code4, name in sorted(current.items()):
            if code4.endswith('00'):
                if name in MUNICIPALITY_PLACEHOLDERS:
                    if pcode not in MUNICIPALITIES:
                        print('warning: skipping placeholder %s%s %s' % (pcode, code4, name),
                              file=sys.stderr)
                        continue
                    name = province_name
                code = pcode + code4
                rows[code] = (code, name, 'city', province_code)
                cities.add(code)
        for code4, name in sorted(current.items()):
            if code4.endswith('00') or name == COUNTY_PLACEHOLDER:
                continue
            code = pcode + code4
            city_code = pcode + code4[:2] + '00'
            parent = city_code if city_code in cities else province_code
            rows[code] = (code, name, 'county', parent)
    result = [rows[code] for code in sorted(rows)]
    codes = set(rows)
    for row in result:
        assert not row[3] or row[3] in codes, row
    return result


def main():
    rows = build_rows()
    with open(OUTPUT, 'w', encoding='utf-8', newline='') as f:
        writer = csv.writer(f, lineterminator='\n')
        writer.writerow(['code', 'name', 'level', 'parent_code'])
        writer.writerows(rows)
    counts = {}
    for row in rows:
        counts[row[2]] = counts.get(row[2], 0) + 1
    print('wrote %d rows to %s (%s) from %s (python-stdnum %s)' % (
        len(rows), OUTPUT,
        ', '.join('%s=%d' % (k, counts.get(k, 0)) for k in ('province', 'city', 'county')),
        LOC_DAT, stdnum.__version__))


if __name__ == '__main__':
    main()
