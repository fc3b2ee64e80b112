#!/usr/bin/python3
# Parse every page in docs/ with docutils, as Sphinx would: malformed
# tables, broken markup and toctree entries naming no page fail.  TAP.
#
# Copyright (c) 2026 The Unified Balloon Frontend authors
# SPDX-License-Identifier: GPL-2.0-or-later

import glob
import io
import os
import sys

import docutils.core
from docutils.parsers.rst import Directive, directives

DOCS = sys.argv[1]


class Toctree(Directive):
    """Sphinx's toctree: each entry must be a page."""
    has_content = True
    option_spec = {'maxdepth': directives.unchanged}

    def run(self):
        for entry in self.content:
            if entry and not os.path.exists(os.path.join(DOCS,
                                                         entry + '.rst')):
                raise self.error('toctree entry %s: no such page' % entry)
        return []


directives.register_directive('toctree', Toctree)

pages = sorted(glob.glob(os.path.join(DOCS, '*.rst')))
print('1..%d' % len(pages))
failed = 0
for n, page in enumerate(pages, 1):
    report = io.StringIO()
    with open(page, encoding='utf-8') as f:
        docutils.core.publish_doctree(
            f.read(), source_path=page,
            settings_overrides={'warning_stream': report,
                                'report_level': 2,
                                'syntax_highlight': 'none'})
    if report.getvalue():
        failed += 1
        print('not ok %d %s' % (n, os.path.basename(page)))
        for line in report.getvalue().splitlines():
            print('# ' + line)
    else:
        print('ok %d %s' % (n, os.path.basename(page)))
sys.exit(1 if failed else 0)
