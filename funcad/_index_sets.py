"""Index sets: for each element of an array, the sorted input indices it depends on (CSR).

The values of the sparsity interpreter (``_sparsity.py``). ``IndexSets(indptr, indices, n)``
holds one row per element (C order): row ``e`` is ``indices[indptr[e]:indptr[e + 1]]``,
sorted and unique, each in ``range(n)``. Every operation is a handful of vectorised NumPy
calls (a sort where rows are merged), so a pass over 10^5 elements costs milliseconds.
Nothing here is quadratic in the number of inputs unless the pattern itself is.
"""

from __future__ import annotations

import numpy as np

from ._pattern import unique_ints
from .errors import SparsityError

__all__ = ["MAX_ENTRIES", "IndexSets", "SparsityError", "cross_keys"]

MAX_ENTRIES = 1 << 26     # index entries one operation may build (guards against O(n^2))


def _check_size(total: int, what: str) -> None:
    if total > MAX_ENTRIES:
        raise SparsityError(
            f"sparsity detection: {what} would hold {total:,} index entries (more than "
            f"{MAX_ENTRIES:,}); the pattern is too dense for a sparse derivative. Use the dense "
            "fad.jacobian / fad.hessian, or pass sparsity= a pattern of your own.")


def ranges(indptr: np.ndarray, rows: np.ndarray):
    """Positions into ``indices`` of the rows ``rows`` concatenated, and each row's length."""
    starts = indptr[rows]
    lens = indptr[rows + 1] - starts
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, np.int64), lens
    _check_size(total, "a gather")
    ends = np.cumsum(lens)
    pos = np.arange(total, dtype=np.int64) + np.repeat(starts - (ends - lens), lens)
    return pos, lens


class IndexSets:
    """One sorted set of input indices per element (CSR rows)."""

    __slots__ = ("indices", "indptr", "n")

    def __init__(self, indptr: np.ndarray, indices: np.ndarray, n: int):
        self.indptr, self.indices, self.n = indptr, indices, n

    @property
    def m(self) -> int:
        return len(self.indptr) - 1

    @property
    def nnz(self) -> int:
        return len(self.indices)

    def lengths(self) -> np.ndarray:
        return np.diff(self.indptr)

    @staticmethod
    def empty(m: int, n: int) -> IndexSets:
        return IndexSets(np.zeros(m + 1, np.int64), np.zeros(0, np.int64), n)

    @staticmethod
    def identity(m: int, offset: int, n: int) -> IndexSets:
        """Element e depends on input ``offset + e`` (a function's input)."""
        return IndexSets(np.arange(m + 1, dtype=np.int64),
                         np.arange(offset, offset + m, dtype=np.int64), n)

    @staticmethod
    def uniform(m: int, cols: np.ndarray, n: int) -> IndexSets:
        """Every one of ``m`` elements depends on all of ``cols`` (sorted, unique)."""
        k = len(cols)
        _check_size(m * k, "a dense pattern")
        return IndexSets(np.arange(m + 1, dtype=np.int64) * k, np.tile(cols, m), n)

    @staticmethod
    def from_pairs(rows: np.ndarray, cols: np.ndarray, m: int, n: int,
                   unique: bool = True) -> IndexSets:
        """Row ``rows[k]`` holds ``cols[k]`` (duplicates merged)."""
        if unique and len(rows):
            keys = unique_ints(rows.astype(np.int64) * n + cols)
            rows, cols = keys // n, keys % n
        elif len(rows):
            order = np.lexsort((cols, rows))
            rows, cols = rows[order], cols[order]
        indptr = np.zeros(m + 1, np.int64)
        np.cumsum(np.bincount(rows, minlength=m), out=indptr[1:])
        return IndexSets(indptr, np.asarray(cols, np.int64), n)

    def union_all(self) -> np.ndarray:
        """Every index in any row, sorted."""
        return unique_ints(self.indices)

    def gather(self, src: np.ndarray) -> IndexSets:
        """Row o is row ``src[o]`` (empty where ``src[o] < 0``)."""
        src = np.asarray(src, np.int64).ravel()
        if len(src) == self.m and self.m and src[0] == 0 and np.array_equal(
                src, np.arange(self.m)):
            return self
        ok = src >= 0
        if ok.all():
            pos, lens = ranges(self.indptr, src)
        else:
            pos, some = ranges(self.indptr, src[ok])
            lens = np.zeros(len(src), np.int64)
            lens[ok] = some
        indptr = np.zeros(len(src) + 1, np.int64)
        np.cumsum(lens, out=indptr[1:])
        return IndexSets(indptr, self.indices[pos], self.n)

    def merge(self, out: np.ndarray, src: np.ndarray, m_out: int) -> IndexSets:
        """Row o is the union of rows ``src[k]`` over every edge ``(out[k], src[k])``."""
        out = np.asarray(out, np.int64).ravel()
        src = np.asarray(src, np.int64).ravel()
        pos, lens = ranges(self.indptr, src)
        return IndexSets.from_pairs(np.repeat(out, lens), self.indices[pos], m_out, self.n)

    @staticmethod
    def concat(sets: list) -> IndexSets:
        """The rows of several sets one after another."""
        if len(sets) == 1:
            return sets[0]
        n = sets[0].n
        ptrs, shift = [np.zeros(1, np.int64)], 0
        for s in sets:
            ptrs.append(s.indptr[1:] + shift)
            shift += s.nnz
        return IndexSets(np.concatenate(ptrs), np.concatenate([s.indices for s in sets]), n)

    @staticmethod
    def union(sets: list, m: int, n: int) -> IndexSets:
        """Rowwise union of sets with ``m`` rows each."""
        sets = [s for s in sets if s.nnz]
        if not sets:
            return IndexSets.empty(m, n)
        if len(sets) == 1 or all(s is sets[0] for s in sets):
            return sets[0]
        rows = np.concatenate([np.repeat(np.arange(m, dtype=np.int64), s.lengths())
                               for s in sets])
        cols = np.concatenate([s.indices for s in sets])
        return IndexSets.from_pairs(rows, cols, m, sets[0].n)


def cross_keys(a: IndexSets, b: IndexSets) -> np.ndarray:
    """Keys ``min(i, j) * n + max(i, j)`` of every pair (i in row e of a, j in row e of b)."""
    la, lb = a.lengths(), b.lengths()
    cnt = la * lb
    total = int(cnt.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    _check_size(total, "the Hessian pairs of one operation")
    rows = np.repeat(np.arange(a.m, dtype=np.int64), cnt)
    k = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    lbr = lb[rows]
    i = a.indices[a.indptr[rows] + k // lbr]
    j = b.indices[b.indptr[rows] + k % lbr]
    return np.minimum(i, j) * a.n + np.maximum(i, j)
