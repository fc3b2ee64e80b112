# Sphinx configuration of the unified balloon frontend's documentation.
#
# Built by scripts/build-docs.sh (HTML and the man pages, from these same
# pages; warnings are errors), checked by make check, shipped by the
# ubf-doc package.
#
# Copyright (c) 2026 The Unified Balloon Frontend authors
#
# SPDX-License-Identifier: GPL-2.0-or-later

import os
import re

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _read(name):
    with open(os.path.join(top, name), encoding='utf-8') as f:
        return f.read().strip()


project = 'Unified Balloon Frontend for QEMU'
author = 'The Unified Balloon Frontend authors'
copyright = '2026, ' + author
# "1:10.0.13+ds-0+deb13u1+ubf1": Debian's QEMU and our revision on it,
# as the packages and every tool's --version say.
release = '%s+ubf%s' % (_read('qemu/VERSION'), _read('UBF_REVISION'))
version = release

root_doc = 'index'
exclude_patterns = ['_build']
# Literal blocks are shell, QMP, XML and tables: no guessing of a lexer.
highlight_language = 'none'
# "example:" comments mark what tests/docs/test-examples.py runs.
nitpicky = True

html_theme = 'alabaster'
html_title = 'Unified Balloon Frontend ' + release
html_show_sourcelink = False
html_theme_options = {
    'page_width': '1100px',
    'sidebar_width': '230px',
}

# (page, name, summary, authors, section): the summary is the NAME line.
man_pages = [
    ('balloonctl', 'balloonctl',
     'resize running guests through the unified balloon frontend',
     [author], 1),
    ('ubf-autod', 'ubf-autod',
     "divide a host's memory among its VMs' automatic sizing",
     [author], 1),
    ('ubf-qemu-system-x86_64', 'ubf-qemu-system-x86_64',
     'QEMU x86-64 emulator with the unified balloon frontend',
     [author], 1),
]
man_show_urls = False


def _man_no_hyphenation(app, exception):
    """Metric names, options and paths are typed, not read: groff must not
    break them with a hyphen, nor stretch the spaces of a line."""
    if exception or app.builder.name != 'man':
        return
    for _, name, _, _, section in man_pages:
        path = os.path.join(app.outdir, '%s.%d' % (name, section))
        with open(path, encoding='utf-8') as f:
            text = f.read()
        text = re.sub(r'^(\.TH .*\n)', r'\1.nh\n.ad l\n', text, count=1,
                      flags=re.M)
        with open(path, 'w', encoding='utf-8') as f:
            f.write(text)


def setup(app):
    app.connect('build-finished', _man_no_hyphenation)
