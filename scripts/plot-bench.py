#!/usr/bin/python3
"""Plot the guest's own MemTotal over time for the grow and shrink runs of
ubf-bench, ours and the baseline's best manual sequence on one chart.

RUN (date, accelerator, build) is named under the title.

Usage: plot-bench.py SERIES.csv OUT.png [RUN]
"""

import csv
import sys

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402


def main():
    series = {}
    with open(sys.argv[1], newline='', encoding='utf-8') as f:
        for row in csv.DictReader(f):
            if row['run'] not in ('grow', 'shrink'):
                continue
            key = (row['run'], row['flavour'])
            series.setdefault(key, ([], []))
            series[key][0].append(float(row['t_s']))
            series[key][1].append(float(row['memtotal_mib']))

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    titles = {'grow': '1 GiB -> 3 GiB', 'shrink': '3 GiB -> 512 MiB'}
    labels = {'ours': 'ours: one balloon command',
              'baseline': 'baseline: best manual sequence'}
    for ax, run in zip(axes, ('grow', 'shrink')):
        for flavour, style in (('ours', '-'), ('baseline', '--')):
            if (run, flavour) in series:
                t, m = series[(run, flavour)]
                ax.plot(t, m, style, label=labels[flavour], linewidth=2)
        ax.set_title(titles[run])
        ax.set_xlabel('seconds since the first command')
        ax.set_ylabel("guest MemTotal (MiB)")
        ax.grid(True, alpha=0.3)
        ax.legend(loc='best', fontsize=8)
    title = 'Guest size over time (what the guest itself reports)'
    if len(sys.argv) > 3:
        title += '\n' + sys.argv[3]
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=100)


if __name__ == '__main__':
    main()
