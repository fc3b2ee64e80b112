#!/usr/bin/python3
"""Plot ubf-bench's automatic sizing runs: for each policy (ours, a
MoM-like one, a static VM), the guest's size and its demand over time,
against the host's total given to the guest.

The run is named under the title (RUN: date, accelerator, build), and
what happened to the workload is marked: where the guest's kernel
OOM-killed it, and where it ended on its own.

Usage: plot-auto.py AUTO-SERIES.csv OUT.png [RUN]
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
            s = series.setdefault(row['policy'], ([], [], [], []))
            s[0].append(float(row['t_s']))
            s[1].append(float(row['size_mib']))
            s[2].append(float(row['demand_mib']))
            if row.get('event') in ('oom-kill', 'workload-end'):
                s[3].append((float(row['t_s']), row['event']))

    titles = {'ours': 'ours (demand + 20 %, at once; back slowly)',
              'mom': 'MoM-like (free < 20 %: +5 % per 10 s)',
              'static': 'static VM sized for the peak'}
    policies = [p for p in ('ours', 'mom', 'static') if p in series]
    fig, axes = plt.subplots(1, len(policies), figsize=(5 * len(policies),
                                                        4.2), sharey=True)
    if len(policies) == 1:
        axes = [axes]
    for ax, policy in zip(axes, policies):
        t, size, demand, events = series[policy]
        ax.plot(t, size, '-', label='guest size (host memory given)',
                linewidth=2)
        ax.plot(t, demand, '--', label="guest demand (size - MemAvailable)",
                linewidth=1.5)
        for when, what in events:
            if what == 'oom-kill':
                ax.axvline(when, color='red', linewidth=1.5)
                ax.annotate('OOM kill: the workload\nkilled by the guest',
                            (when, ax.get_ylim()[1] * 0.95), color='red',
                            fontsize=8, ha='left', va='top',
                            xytext=(4, 0), textcoords='offset points')
            else:
                ax.axvline(when, color='grey', linewidth=1, linestyle=':')
                lo, hi = ax.get_ylim()
                ax.annotate('workload freed its memory',
                            (when, lo + (hi - lo) * 0.4), color='grey',
                            fontsize=7, ha='right', va='center',
                            rotation=90, xytext=(-2, 0),
                            textcoords='offset points')
        ax.set_title(titles.get(policy, policy), fontsize=9)
        ax.set_xlabel('seconds since the workload started')
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel('MiB')
    # one legend for all, below: inside, it would hide a curve or a mark
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc='lower center', ncol=2, fontsize=8)
    title = 'One workload: 64 MiB/s to 1.5 GiB, held 15 s, freed'
    if len(sys.argv) > 3:
        title += '\n' + sys.argv[3]
    fig.suptitle(title, fontsize=11)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    fig.savefig(sys.argv[2], dpi=100)


if __name__ == '__main__':
    main()
