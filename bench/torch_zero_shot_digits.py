#!/usr/bin/env python3
"""ACR (Li et al., NeurIPS 2023) zero-shot-by-class on digits: a PyTorch re-implementation of Acr's protocol
(Acr.Host/Evaluation/ZeroShotByClassProtocol.cs) for side-by-side comparison of the AUROC figures.

Run (Debian python3-torch; one thread, about 35 s per seed on the dev VM):
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 bench/torch_zero_shot_digits.py --seeds 0-9

Baseline = what the C# code does:
  * z-score with mean / population std of the training classes' rows (double), std 0 -> 1
  * train classes = first floor(K/2) in ordinal order ('0'..'4'), test '5'..'9'
  * net 3 x [Linear(64,128) -> BN(128) -> ReLU] -> Linear(128,32) -> BN(32); PyTorch default Linear init
    (kaiming_uniform(a=sqrt 5) == U(+-1/sqrt(fan_in)) for W and b), final BN gamma ~ U(0,1), centre c ~ N(0,1) learned
  * per iteration T=32 tasks x n=256 rows, normals = round(0.8 n) = 205 rows of one class (without replacement,
    with replacement only when the class is smaller than 205 -> always the case for digits), anomalies = 51 rows
    uniformly without replacement from the other training classes
  * per-task BN (one segment per task), loss = mean over all T*n rows of (d for normals, 1/(d+eps) for anomalies),
    d = ||z-c||^2, eps = 1e-6; Adam lr 1e-3, 500 iterations
  * test: per test class all its rows + max(1, floor(n pi/(1-pi))) anomalies w/o replacement from the other test
    classes, BN in batch mode over that task, score = d, AUROC (tie-aware), mean over test classes.
Extra diagnostic: for pi=0.01 (one anomaly per task) the *expected* AUROC over every possible anomaly choice
(exhaustive, each candidate in its own BN batch) -> removes the test-draw noise.
"""
import argparse, gzip, json, math, os, sys, time
import numpy as np
import torch
import torch.nn as nn

torch.set_num_threads(1)

PIS = [0.01, 0.05, 0.1, 0.2]


def load(path):
    rows = [l.strip().split(',') for l in gzip.open(path, 'rt') if l.strip()]
    x = np.array([[float(v) for v in r[:-1]] for r in rows], dtype=np.float32)
    y = np.array([r[-1] for r in rows])
    return x, y


def auroc(scores, labels):
    """Tie-aware AUROC (Mann-Whitney with mid-ranks)."""
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=bool)
    order = np.argsort(scores, kind='mergesort')
    s = scores[order]
    ranks = np.empty(len(s))
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and s[j + 1] == s[i]:
            j += 1
        ranks[i:j + 1] = (i + j) / 2.0 + 1.0
        i = j + 1
    r = np.empty(len(s))
    r[order] = ranks
    npos, nneg = labels.sum(), (~labels).sum()
    return (r[labels].sum() - npos * (npos + 1) / 2.0) / (npos * nneg)


class Net(nn.Module):
    def __init__(self, d, hidden=128, layers=3, emb=32, bn_eps=1e-5):
        super().__init__()
        self.lins = nn.ModuleList()
        self.gammas = nn.ParameterList()
        self.betas = nn.ParameterList()
        w = d
        for _ in range(layers):
            self.lins.append(nn.Linear(w, hidden))  # PyTorch default init
            self.gammas.append(nn.Parameter(torch.ones(hidden)))
            self.betas.append(nn.Parameter(torch.zeros(hidden)))
            w = hidden
        self.lins.append(nn.Linear(w, emb))
        g = torch.empty(emb)
        nn.init.uniform_(g)  # final gamma ~ U(0,1)
        self.gammas.append(nn.Parameter(g))
        self.betas.append(nn.Parameter(torch.zeros(emb)))
        c = torch.empty(emb)
        nn.init.normal_(c)
        self.center = nn.Parameter(c)
        self.bn_eps = bn_eps

    def bn(self, h, i):
        # h: (T, n, C); per-task (segment) batch statistics, population variance
        mu = h.mean(dim=1, keepdim=True)
        var = ((h - mu) ** 2).mean(dim=1, keepdim=True)
        return (h - mu) / torch.sqrt(var + self.bn_eps) * self.gammas[i] + self.betas[i]

    def forward(self, x):
        # x: (T, n, d) -> squared distance (T, n)
        h = x
        L = len(self.lins)
        for i, lin in enumerate(self.lins):
            h = self.bn(lin(h), i)
            if i < L - 1:
                h = torch.relu(h)
        return ((h - self.center) ** 2).sum(-1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', default=os.path.join(os.environ.get('ACR_DATA') or os.path.join(os.environ.get('XDG_CACHE_HOME') or os.path.expanduser('~/.cache'), 'acr', 'data'), 'digits', 'digits.csv.gz'))  # after 'acr fetch digits'
    ap.add_argument('--seeds', default='0-9')
    ap.add_argument('--iters', type=int, default=500)
    ap.add_argument('--tasks', type=int, default=32)
    ap.add_argument('--task-size', type=int, default=256)
    ap.add_argument('--normal-rows', type=int, default=None, help='default round(0.8 n) = 205')
    ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--eps', type=float, default=1e-6)
    ap.add_argument('--normals', default='cs', choices=['cs', 'replace', 'whole_plus', 'noreplace_cap'],
                    help='cs: w/o replacement unless class < normal rows, then i.i.d. with replacement; '
                         'replace: always with replacement; whole_plus: whole class (shuffled) + random extra rows; '
                         'noreplace_cap: min(class, normal rows) rows w/o replacement, more anomalies to fill n')
    ap.add_argument('--anoms', default='noreplace', choices=['noreplace', 'replace'])
    ap.add_argument('--loss', default='mean', choices=['mean', 'balanced'],
                    help='mean: mean over all rows of the task; balanced: mean(normal)+mean(anomaly) per task')
    ap.add_argument('--feat-perm', action='store_true', help='official anoshift code: permute features per task')
    ap.add_argument('--select-best', action='store_true',
                    help='official code without val set: report the checkpoint with the best test AUROC (every 10 it)')
    ap.add_argument('--tag', default='baseline')
    ap.add_argument('--out', default=None)
    a = ap.parse_args()

    x, y = load(a.data)
    classes = sorted(set(y))  # ordinal order for '0'..'9'
    K = len(classes)
    train_c, test_c = classes[:K // 2], classes[K // 2:]
    tr_rows = [np.where(y == c)[0] for c in train_c]
    te_rows = [np.where(y == c)[0] for c in test_c]
    all_tr = np.concatenate(tr_rows)
    xt = x[all_tr].astype(np.float64)
    mean = xt.mean(0)
    std = np.sqrt(((xt - mean) ** 2).mean(0))
    std[std <= 0] = 1.0
    X = ((x.astype(np.float64) - mean) / std).astype(np.float32)
    Xt = torch.from_numpy(X)
    d = X.shape[1]
    n = a.task_size
    n_norm = a.normal_rows if a.normal_rows is not None else int(round(n * 0.8))  # 204.8 -> 205
    n_anom = n - n_norm
    class_of = np.full(len(y), -1)
    for ci, r in enumerate(tr_rows):
        class_of[r] = ci

    lo, hi = (int(v) for v in a.seeds.split('-')) if '-' in a.seeds else (int(a.seeds), int(a.seeds))
    seeds = list(range(lo, hi + 1))
    results = []
    for seed in seeds:
        t0 = time.time()
        torch.manual_seed(seed)
        rng = np.random.default_rng([seed, 2])
        model = Net(d)
        opt = torch.optim.Adam(model.parameters(), lr=a.lr)

        def sample():
            idx = np.empty((a.tasks, n), dtype=np.int64)
            lab = np.zeros((a.tasks, n), dtype=bool)
            for t in range(a.tasks):
                cls = rng.integers(len(tr_rows))
                own = tr_rows[cls]
                others = all_tr[class_of[all_tr] != cls]
                k_norm, k_anom = n_norm, n_anom
                if a.normals == 'cs':
                    norm = rng.choice(own, n_norm, replace=False) if len(own) >= n_norm else rng.choice(own, n_norm, replace=True)
                elif a.normals == 'replace':
                    norm = rng.choice(own, n_norm, replace=True)
                elif a.normals == 'whole_plus':
                    if len(own) >= n_norm:
                        norm = rng.choice(own, n_norm, replace=False)
                    else:
                        norm = np.concatenate([rng.permutation(own), rng.choice(own, n_norm - len(own), replace=True)])
                elif a.normals == 'noreplace_cap':
                    k_norm = min(len(own), n_norm)
                    k_anom = n - k_norm
                    norm = rng.choice(own, k_norm, replace=False)
                an = rng.choice(others, k_anom, replace=(a.anoms == 'replace'))
                idx[t, :k_norm] = norm
                idx[t, k_norm:] = an
                lab[t, k_norm:] = True
            return idx, lab

        def evaluate(pis, exhaustive=False):
            model.eval()  # (no BN module state; BN is always batch mode here)
            out = {}
            with torch.no_grad():
                for pi in pis:
                    erng = np.random.default_rng([seed, 3, int(round(pi * 1e6))])
                    aucs = []
                    for t in range(len(test_c)):
                        normals = te_rows[t]
                        others = np.concatenate([r for i, r in enumerate(te_rows) if i != t])
                        k = min(max(1, int(math.floor(len(normals) * pi / (1 - pi)))), len(others))
                        an = erng.choice(others, k, replace=False)
                        rows = np.concatenate([normals, an])
                        labels = np.r_[np.zeros(len(normals), bool), np.ones(k, bool)]
                        sc = model(Xt[rows][None])[0].numpy()
                        aucs.append(auroc(sc, labels))
                    out[pi] = (float(np.mean(aucs)), [float(v) for v in aucs])
                if exhaustive:
                    # expected AUROC at pi=0.01 (exactly 1 anomaly) over all possible anomalies
                    exp, cand = [], []
                    for t in range(len(test_c)):
                        normals = te_rows[t]
                        others = np.concatenate([r for i, r in enumerate(te_rows) if i != t])
                        m = len(others)
                        sc = []
                        for c0 in range(0, m, 48):  # chunks: keep allocations small
                            oc = others[c0:c0 + 48]
                            xb = torch.cat([Xt[normals][None].expand(len(oc), -1, -1), Xt[oc][:, None, :]], 1)
                            sc.append(model(xb).numpy())  # (chunk, n+1)
                        sc = np.concatenate(sc)
                        sn, sa = sc[:, :-1], sc[:, -1:]
                        a_t = ((sn < sa).sum(1) + 0.5 * (sn == sa).sum(1)) / sn.shape[1]
                        exp.append(float(a_t.mean()))
                        cand.append([round(float(v), 5) for v in a_t])
                    out['exp01'] = (float(np.mean(exp)), exp)
                    out['cand'] = cand
            model.train()
            return out

        best = None
        losses = []
        for it in range(a.iters):
            idx, lab = sample()
            xb = Xt[torch.from_numpy(idx)]
            if a.feat_perm:
                perms = torch.stack([torch.randperm(d) for _ in range(a.tasks)])
                xb = torch.gather(xb, 2, perms[:, None, :].expand(-1, n, -1))
            labt = torch.from_numpy(lab)
            dist = model(xb)
            term = torch.where(labt, 1.0 / (dist + a.eps), dist)
            if a.loss == 'mean':
                loss = term.mean()
            else:
                lf = labt.float()
                loss = ((term * (1 - lf)).sum(1) / (1 - lf).sum(1) + (term * lf).sum(1) / lf.sum(1)).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
            if a.select_best and (it + 1) % 10 == 0 and it + 1 > 10:
                ev = evaluate(PIS)
                for pi in PIS:
                    if best is None:
                        best = {}
                    if pi not in best or ev[pi][0] >= best[pi]:
                        best[pi] = ev[pi][0]
        ev = evaluate(PIS, exhaustive=True)
        res = {'seed': seed, 'final_loss': losses[-1], 'secs': time.time() - t0,
               'auroc': {str(pi): ev[pi][0] for pi in PIS}, 'per_class_01': ev[0.01][1],
               'exp01': ev['exp01'][0], 'exp01_per_class': ev['exp01'][1], 'cand01': ev['cand']}
        if best is not None:
            res['best_auroc'] = {str(pi): best[pi] for pi in PIS}
        results.append(res)
        print(json.dumps({k: v for k, v in res.items() if k != 'cand01'}), flush=True)

    def ms(v):
        v = np.asarray(v)
        return f"{v.mean():.3f}±{v.std(ddof=1) if len(v) > 1 else 0:.3f}"

    summ = {'tag': a.tag, 'seeds': len(results)}
    line = f"[{a.tag}] seeds={len(results)} "
    for pi in PIS:
        v = [r['auroc'][str(pi)] for r in results]
        summ[str(pi)] = (float(np.mean(v)), float(np.std(v, ddof=1)) if len(v) > 1 else 0.0)
        line += f"pi={pi}: {ms(v)}  "
    v = [r['exp01'] for r in results]
    summ['exp01'] = (float(np.mean(v)), float(np.std(v, ddof=1)) if len(v) > 1 else 0.0)
    line += f"E[AUROC|pi=0.01 over draws]: {ms(v)}"
    if a.select_best:
        for pi in PIS:
            v = [r['best_auroc'][str(pi)] for r in results]
            summ['best_' + str(pi)] = (float(np.mean(v)), float(np.std(v, ddof=1)) if len(v) > 1 else 0.0)
        line += "  best-ckpt: " + " ".join(f"{pi}:{ms([r['best_auroc'][str(pi)] for r in results])}" for pi in PIS)
    print(line, flush=True)
    print('SUMMARY ' + json.dumps(summ), flush=True)
    if a.out:
        json.dump({'args': vars(a), 'results': results, 'summary': summ}, open(a.out, 'w'), indent=1)


if __name__ == '__main__':
    main()
