"""Offline look at how the reranker's order could use the first stage: reads LOUPE_BENCH_DUMP files of
bench:localization and prints R@1 / hit@1 of the reranked top 10 ordered by the OWL probability alone (what Loupe does),
by the first-stage score alone, by reciprocal-rank fusion (k), weighted RRF, and logit(p) + w * first-stage score
(raw cosine, or standardised over the page), with how many right top hits a minScore of 0.8 keeps.

  LOUPE_BENCH_STYLES=google,twitter LOUPE_BENCH_DUMP=.cache/fusion/val LOUPE_BENCH_METHODS=yolox,dino-v2 \
    LOUPE_BENCH_SCENES=160 npm run bench:localization
  python3 bench/localization/fusion.py .cache/fusion/val-loc-yolox.json .cache/fusion/val-loc-dinov2.json

2026-12-04, training-style validation scenes (160, Google/Twitter): no fusion beat the OWL order by more than noise
(yolox: OWL 42.5 % hit@1, best fusion 43.8 %, RRF 41.2-41.9 %; dino-v2: OWL 39.4 %, every fusion 35.0-38.8 %), so the
reranked order stays the detector's.
"""
import json, math, sys
def logit(p): p=min(max(p,1e-6),1-1e-6); return math.log(p/(1-p))
def rank(xs):  # rank 1 = best
    order=sorted(range(len(xs)), key=lambda i:-xs[i]); r=[0]*len(xs)
    for k,i in enumerate(order): r[i]=k+1
    return r
def fused(re, f):
    if not re: return []
    s=[h['s'] for h in re]; r=[h['r'] for h in re]
    rs, rr = rank(s), rank(r)
    if f[0]=='owl': sc=s
    elif f[0]=='first': sc=[x for x in r]
    elif f[0]=='rrf': sc=[1/(f[1]+a)+1/(f[1]+b) for a,b in zip(rs,rr)]
    elif f[0]=='wrrf': sc=[f[2]/(f[1]+a)+1/(f[1]+b) for a,b in zip(rs,rr)]
    elif f[0]=='lin': sc=[logit(a)+f[1]*b for a,b in zip(s,r)]
    elif f[0]=='z':
        m=sum(r)/len(r); sd=(sum((x-m)**2 for x in r)/len(r))**.5 or 1
        sc=[logit(a)+f[1]*(b-m)/sd for a,b in zip(s,r)]
    return sorted(range(len(re)), key=lambda i:-sc[i])
def evaluate(dump, f, ms=None):
    pres=[d for d in dump if d['kind']=='present']; ab=[d for d in dump if d['kind']=='absent']
    r1=h1=kept=0
    for d in pres:
        o=fused(d['re'],f)
        if o and d['re'][o[0]]['rel']: r1+=1
        if o and d['re'][o[0]]['hit']: h1+=1
        if ms is not None:
            surv=[i for i in o if d['re'][i]['s']>=ms]
            if surv and d['re'][surv[0]]['hit']: kept+=1
    rej=sum(1 for d in ab if not any(h['s']>=ms for h in d['re'])) if ms is not None else 0
    n=len(pres)
    return 100*r1/n, 100*h1/n, (100*kept/max(h1,1)), 100*rej/max(len(ab),1)
fs=[('owl',),('first',)]+[('rrf',k) for k in (1,2,5,10,60)]+[('wrrf',2,w) for w in (0.5,2)]+[('lin',w) for w in (5,10,20,40,80)]+[('z',w) for w in (0.5,1,2,4)]
for fn in sys.argv[1:]:
    dump=json.load(open(fn)); n=sum(d['kind']=='present' for d in dump)
    fr1=100*sum(1 for d in dump if d['kind']=='present' and d['first'] and d['first'][0]['rel'])/n
    fh1=100*sum(1 for d in dump if d['kind']=='present' and d['first'] and d['first'][0]['hit'])/n
    print(fn, n, 'queries; first stage alone R@1 %.1f hit@1 %.1f'%(fr1,fh1))
    for f in fs:
        print('  %-16s R@1 %5.1f hit@1 %5.1f | minScore 0.8: hit@1 kept %5.1f %% of it, absent rejected %5.1f %%'%((str(f),)+evaluate(dump,f,0.8)))
