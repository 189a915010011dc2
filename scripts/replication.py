#!/usr/bin/env python3
# Two runs of the same matrix (e.g. two `cargo bench`): per ratio row, both runs ratio [CI],
# whether the CIs overlap, whether both reached the CI target, whether medians agree within
# +-5%, as a Markdown table. Usage: scripts/replication.py RESULTS_DIR_1 RESULTS_DIR_2
import csv,sys
def load(d):
    rows={}
    for r in csv.DictReader(open(d+'/summary.csv')):
        if r['target']=='native' or not r['ratio_to_native']: continue
        rows[(r['workload'],r['target'],r['phase'],r['metric'])]=r
    return rows
a,b=load(sys.argv[1]),load(sys.argv[2])
keys=sorted(set(a)&set(b))
print('| cell (workload/target/phase/metric) | run 1 ratio [CI] | ±CI | status | run 2 ratio [CI] | ±CI | status | CIs overlap | both reached | medians within ±5% |')
print('|---|---|---:|---|---|---:|---|---|---|---|')
ov=agree=both=0; n=len(keys); agree_any=0
for k in keys:
    x,y=a[k],b[k]
    f=lambda r: float(r['ratio_to_native']); lo=lambda r: float(r['ratio_ci_low']); hi=lambda r: float(r['ratio_ci_high'])
    o = lo(x)<=hi(y) and lo(y)<=hi(x)
    br = x['ci_status']=='reached' and y['ci_status']=='reached'
    w = abs(f(y)/f(x)-1)<=0.05
    ov+=o; both+=br; agree+= (w and br); agree_any+=w
    flag=lambda r: r['ci_status']+(' unpaired' if r['ratio_method']=='unpaired' else '')+(' '+r['cache_check'] if r['cache_check'] and r['cache_check']!='evicted' else '')
    print(f"| {'/'.join(k)} | {f(x):.3f} [{lo(x):.3f}–{hi(x):.3f}] | {float(x['ci_half_width'])*100:.1f}% | {flag(x)} | {f(y):.3f} [{lo(y):.3f}–{hi(y):.3f}] | {float(y['ci_half_width'])*100:.1f}% | {flag(y)} | {'yes' if o else '**no**'} | {'yes' if br else 'no'} | {'yes' if w else '**no**'} |")
print()
print(f"{n} ratio rows; CIs overlap on {ov}/{n} ({100*ov/n:.0f}%); reached the target in both runs: {both}; of those, medians within ±5%: {agree}/{both}; medians within ±5% over all rows: {agree_any}/{n}")
for d,rows in ((sys.argv[1],a),(sys.argv[2],b)):
    allrows=list(csv.DictReader(open(d+'/summary.csv')))
    r=sum(1 for x in allrows if x['ci_status']=='reached'); c=sum(1 for x in allrows if x['ci_status']=='capped')
    cells=set((x['workload'],x['target'],x['phase']) for x in allrows)
    cellreached=set((x['workload'],x['target'],x['phase']) for x in allrows)-set((x['workload'],x['target'],x['phase']) for x in allrows if x['ci_status']!='reached')
    print(f"{d}: rows reached {r}, capped {c} of {len(allrows)}; cells with every metric reached {len(cellreached)} of {len(cells)}")
