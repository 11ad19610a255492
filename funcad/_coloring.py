"""Graph colouring for compressed Jacobians and Hessians (pure NumPy and Python).

Columns of a Jacobian that share no row can be pushed forward together (one JVP per
colour): a *column colouring* is a distance-1 colouring of the column intersection graph
(columns adjacent when they share a row), built here with NumPy; rows likewise for reverse
mode. A Hessian is symmetric, so a *star colouring* of its adjacency graph (a distance-1
colouring in which every path on four vertices uses at least three colours) is enough: each
entry is then read off one product ``H @ seed`` directly (symmetric decompression).

Greedy colouring visits the vertices in an order: ``natural``, ``largest_first``,
``smallest_last`` or ``incidence_degree``, or (distance-1 colourings only) ``dsatur``, which
next colours the vertex that sees the most colours already; ``"best"`` tries them all and
keeps the fewest colours.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._pattern import unique_ints

__all__ = [
    "ORDERS",
    "Coloring",
    "column_coloring",
    "decompress_star",
    "is_star_coloring",
    "row_coloring",
    "star_coloring",
]

ORDERS = ("natural", "largest_first", "smallest_last", "incidence_degree", "dsatur")


class Coloring(NamedTuple):
    """A colouring: ``colors[v]`` in ``range(ncolors)`` for each vertex (column, row or
    Hessian variable), what kind it is (``column``, ``row``, ``star``) and the ordering used."""
    colors: np.ndarray
    ncolors: int
    kind: str
    order: str


def _graph(rows: np.ndarray, cols: np.ndarray, nv: int):
    """CSR adjacency (no self loops) of the vertices in ``range(nv)``, joined where two share
    a row: ``rows[k]`` holds vertex ``cols[k]``; rows sorted by ``rows``."""
    order = np.argsort(rows, kind="stable")
    rows, cols = rows[order], cols[order]
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]]) if len(rows) else np.zeros(0, int)
    lens = np.diff(np.r_[starts, len(rows)])
    cnt = lens * lens
    total = int(cnt.sum())
    g = np.repeat(np.arange(len(starts)), cnt)
    k = np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    a = cols[starts[g] + k // lens[g]]
    b = cols[starts[g] + k % lens[g]]
    keep = a != b
    keys = unique_ints(a[keep].astype(np.int64) * nv + b[keep])
    src, dst = keys // nv, keys % nv
    ptr = np.zeros(nv + 1, np.int64)
    np.cumsum(np.bincount(src, minlength=nv), out=ptr[1:])
    return ptr, dst


def _adjacency(rows, cols, nv):
    """CSR adjacency of a symmetric pattern's off-diagonal entries."""
    keep = rows != cols
    keys = unique_ints(np.r_[rows[keep] * nv + cols[keep], cols[keep] * nv + rows[keep]])
    src, dst = keys // nv, keys % nv
    ptr = np.zeros(nv + 1, np.int64)
    np.cumsum(np.bincount(src, minlength=nv), out=ptr[1:])
    return ptr, dst


def _order(ptr, adj, how: str) -> list:
    nv = len(ptr) - 1
    deg = np.diff(ptr)
    if how == "natural":
        return list(range(nv))
    if how == "largest_first":
        return np.argsort(-deg, kind="stable").tolist()
    nbr = [adj[ptr[v]:ptr[v + 1]].tolist() for v in range(nv)]
    if how == "smallest_last":        # repeatedly remove a vertex of least remaining degree
        d = deg.tolist()
        buckets = [set() for _ in range(max(d, default=0) + 1)]
        for v in range(nv):
            buckets[d[v]].add(v)
        gone = [False] * nv
        out, low = [], 0
        for _ in range(nv):
            low = max(low - 1, 0)
            while not buckets[low]:
                low += 1
            v = buckets[low].pop()
            gone[v] = True
            out.append(v)
            for w in nbr[v]:
                if not gone[w]:
                    buckets[d[w]].discard(w)
                    d[w] -= 1
                    buckets[d[w]].add(w)
        return out[::-1]
    if how == "incidence_degree":     # next: the vertex with most neighbours already ordered
        inc = [0] * nv
        buckets = [set(range(nv))] + [set() for _ in range(max(deg, default=0))]
        done = [False] * nv
        out, top = [], 0
        for _ in range(nv):
            while top > 0 and not buckets[top]:
                top -= 1
            v = min(buckets[top])
            buckets[top].discard(v)
            done[v] = True
            out.append(v)
            for w in nbr[v]:
                if not done[w]:
                    buckets[inc[w]].discard(w)
                    inc[w] += 1
                    buckets[inc[w]].add(w)
                    top = max(top, inc[w])
        return out
    raise ValueError(f"unknown ordering {how!r}: use one of {ORDERS} or 'best'")


def _dsatur(ptr, adj) -> np.ndarray:
    """DSATUR (Brelaz): next the uncoloured vertex seeing the most distinct colours (then
    the highest degree), given the smallest colour free for it."""
    import heapq
    nv = len(ptr) - 1
    p, a = ptr.tolist(), adj.tolist()
    deg = np.diff(ptr).tolist()
    color = [-1] * nv
    seen = [set() for _ in range(nv)]
    heap = [(0, -deg[v], v) for v in range(nv)]
    heapq.heapify(heap)
    while heap:
        s, _, v = heapq.heappop(heap)
        if color[v] >= 0 or -s != len(seen[v]):
            continue                          # stale entry
        c, sv = 0, seen[v]
        while c in sv:
            c += 1
        color[v] = c
        for w in a[p[v]:p[v + 1]]:
            if color[w] < 0 and c not in seen[w]:
                seen[w].add(c)
                heapq.heappush(heap, (-len(seen[w]), -deg[w], w))
    return np.asarray(color, np.int64)


def _greedy(ptr, adj, order) -> np.ndarray:
    """Distance-1 greedy colouring in ``order``."""
    nv = len(ptr) - 1
    p, a = ptr.tolist(), adj.tolist()
    color = [-1] * nv
    mark = [-1] * (nv + 1)
    for v in order:
        for w in a[p[v]:p[v + 1]]:
            c = color[w]
            if c >= 0:
                mark[c] = v
        c = 0
        while mark[c] == v:
            c += 1
        color[v] = c
    return np.asarray(color, np.int64)


def _star(ptr, adj, order) -> np.ndarray:
    """Greedy star colouring: distance-1, and no path on four vertices with two colours.

    When v is coloured, a colour c(x) is forbidden for a coloured x two steps away (via a
    coloured w) if that would close a two-coloured path: x has another neighbour coloured
    like w (v would be an end of the path), or v has another neighbour coloured like w
    (v would be inside it).
    """
    nv = len(ptr) - 1
    p, a = ptr.tolist(), adj.tolist()
    nbr = [a[p[v]:p[v + 1]] for v in range(nv)]
    color = [-1] * nv
    mark = [-1] * (nv + 1)
    for v in order:
        nv_ = nbr[v]
        cw_list = [color[w] for w in nv_]
        for c in cw_list:
            if c >= 0:
                mark[c] = v
        for w, cw in zip(nv_, cw_list):
            if cw < 0:
                continue
            hub = cw_list.count(cw) > 1
            for x in nbr[w]:
                cx = color[x]
                if x == v or cx < 0 or mark[cx] == v:
                    continue
                if hub:
                    mark[cx] = v
                    continue
                for y in nbr[x]:
                    if y != w and color[y] == cw:
                        mark[cx] = v
                        break
        c = 0
        while mark[c] == v:
            c += 1
        color[v] = c
    return np.asarray(color, np.int64)


def _best(ptr, adj, order: str, kind: str, color_fn) -> Coloring:
    tries = ORDERS if order == "best" else (order,)
    if color_fn is _star:
        if order == "dsatur":
            raise ValueError("dsatur is a distance-1 colouring: for star colouring use one of "
                             f"{ORDERS[:-1]} or 'best'")
        tries = tuple(t for t in tries if t != "dsatur")
    best = None
    for how in tries:
        colors = _dsatur(ptr, adj) if how == "dsatur" else color_fn(ptr, adj,
                                                                  _order(ptr, adj, how))
        k = int(colors.max()) + 1 if len(colors) else 0
        if best is None or k < best.ncolors:
            best = Coloring(colors, k, kind, how)
    return best


def column_coloring(rows, cols, shape, order: str = "natural") -> Coloring:
    """Colour the columns of an ``m x n`` pattern (COO ``rows``, ``cols``) so that no two
    columns of one colour share a row: ``J @ seed_c`` then holds each entry of colour c's
    columns alone in its row (forward mode, one JVP per colour)."""
    ptr, adj = _graph(np.asarray(rows, np.int64), np.asarray(cols, np.int64), shape[1])
    return _best(ptr, adj, order, "column", _greedy)


def row_coloring(rows, cols, shape, order: str = "natural") -> Coloring:
    """Colour the rows so that no two rows of one colour share a column (reverse mode, one
    VJP per colour)."""
    ptr, adj = _graph(np.asarray(cols, np.int64), np.asarray(rows, np.int64), shape[0])
    return _best(ptr, adj, order, "row", _greedy)


def star_coloring(rows, cols, n: int, order: str = "natural") -> Coloring:
    """Star-colour a symmetric ``n x n`` pattern (one Hessian-vector product per colour)."""
    ptr, adj = _adjacency(np.asarray(rows, np.int64), np.asarray(cols, np.int64), n)
    return _best(ptr, adj, order, "star", _star)


def _counts(key):
    s = np.sort(key)
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]]) if len(s) else np.zeros(0, np.int64)
    return s[starts], np.diff(np.r_[starts, len(s)])


def decompress_star(rows, cols, colors, n: int):
    """For each entry (i, j) of a symmetric pattern: where to read it in ``B = H @ S`` (``S``
    the colour seeds, ``B`` of shape (n, ncolors)): ``(r, c)`` with ``H[i, j] = B[r, c]``.

    Entry (i, j) is read at (i, colour of j) when j is the only neighbour of i with its
    colour, else at (j, colour of i) (a star colouring guarantees one of the two).
    """
    rows, cols = np.asarray(rows, np.int64), np.asarray(cols, np.int64)
    k = int(colors.max()) + 1 if len(colors) else 1
    key = rows * k + colors[cols]
    uniq, count = _counts(key)
    alone = count[np.searchsorted(uniq, key)] == 1
    r = np.where(alone, rows, cols)
    c = np.where(alone, colors[cols], colors[rows])
    return r, c


def is_star_coloring(rows, cols, colors, n: int) -> bool:
    """Check a star colouring: distance-1, and every entry readable by ``decompress_star``."""
    rows, cols = np.asarray(rows, np.int64), np.asarray(cols, np.int64)
    off = rows != cols
    if np.any(colors[rows[off]] == colors[cols[off]]):
        return False
    k = int(colors.max()) + 1 if len(colors) else 1
    key = rows * k + colors[cols]
    uniq, count = _counts(key)
    alone_ij = count[np.searchsorted(uniq, key)] == 1
    key_t = cols * k + colors[rows]
    alone_ji = count[np.searchsorted(uniq, key_t)] == 1
    return bool(np.all(alone_ij | alone_ji))
