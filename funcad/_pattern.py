"""SparsityPattern: where a Jacobian or Hessian may be nonzero (CSR, booleans only)."""

from __future__ import annotations

import numpy as np

__all__ = ["SparsityPattern", "unique_ints"]


def unique_ints(a: np.ndarray) -> np.ndarray:
    """``np.unique`` of an integer array by sorting (NumPy 2's hash-based unique is several
    times slower on the large key arrays sparsity detection makes)."""
    a = np.sort(np.asarray(a).ravel())
    if len(a) < 2:
        return a
    keep = np.empty(len(a), bool)
    keep[0] = True
    np.not_equal(a[1:], a[:-1], out=keep[1:])
    return a[keep]


class SparsityPattern:
    """The structural nonzeros of an ``m x n`` matrix, kept as CSR index arrays.

    ``rows``/``cols`` give the entries in row-major order (COO), ``indptr``/``indices`` the
    same as CSR. ``toarray()`` makes a dense boolean matrix (small patterns only),
    ``to_scipy()`` a ``scipy.sparse.csr_array`` (SciPy needed), and ``str(p)`` a text spy
    plot. Patterns compare with ``<=`` (every entry of the left one is in the right one).

    Example:
        >>> import numpy as np
        >>> p = SparsityPattern.from_coo([0, 1, 1], [0, 0, 1], (2, 2))
        >>> p.nnz, p.toarray().astype(int).tolist()
        (3, [[1, 0], [1, 1]])
    """

    __slots__ = ("indices", "indptr", "shape")

    def __init__(self, indptr, indices, shape):
        self.indptr = np.asarray(indptr, np.int64)
        self.indices = np.asarray(indices, np.int64)
        self.shape = (int(shape[0]), int(shape[1]))

    @staticmethod
    def from_coo(rows, cols, shape) -> SparsityPattern:
        """A pattern from entry coordinates (duplicates merged)."""
        m, n = int(shape[0]), int(shape[1])
        rows, cols = np.asarray(rows, np.int64).ravel(), np.asarray(cols, np.int64).ravel()
        if len(rows) and (rows.min() < 0 or rows.max() >= m or cols.min() < 0
                          or cols.max() >= n):
            raise ValueError(f"pattern entries out of range for shape {(m, n)}")
        keys = unique_ints(rows * n + cols)
        ptr = np.zeros(m + 1, np.int64)
        np.cumsum(np.bincount(keys // max(n, 1), minlength=m), out=ptr[1:])
        return SparsityPattern(ptr, keys % max(n, 1), (m, n))

    @staticmethod
    def from_any(obj, shape=None) -> SparsityPattern:
        """A pattern from a SparsityPattern, a scipy.sparse matrix/array or a dense array
        (its nonzeros)."""
        if isinstance(obj, SparsityPattern):
            return obj
        if hasattr(obj, "tocoo"):
            c = obj.tocoo()
            keep = np.asarray(c.data) != 0
            return SparsityPattern.from_coo(c.row[keep], c.col[keep], c.shape)
        a = np.asarray(obj)
        if a.ndim != 2:
            raise ValueError(f"a sparsity pattern must be 2-d, got shape {a.shape}")
        r, c = np.nonzero(a)
        return SparsityPattern.from_coo(r, c, a.shape)

    @property
    def nnz(self) -> int:
        return len(self.indices)

    @property
    def rows(self) -> np.ndarray:
        return np.repeat(np.arange(self.shape[0], dtype=np.int64), np.diff(self.indptr))

    @property
    def cols(self) -> np.ndarray:
        return self.indices

    @property
    def density(self) -> float:
        m, n = self.shape
        return self.nnz / (m * n) if m * n else 0.0

    def toarray(self) -> np.ndarray:
        """The dense boolean matrix (``m x n``: small patterns only)."""
        out = np.zeros(self.shape, bool)
        out[self.rows, self.cols] = True
        return out

    def to_scipy(self):
        """A ``scipy.sparse.csr_array`` of booleans (needs SciPy)."""
        import scipy.sparse as sp
        return sp.csr_array((np.ones(self.nnz, bool), self.indices, self.indptr),
                            shape=self.shape)

    def keys(self) -> np.ndarray:
        return self.rows * self.shape[1] + self.cols

    def __le__(self, other: SparsityPattern) -> bool:
        return self.shape == other.shape and bool(np.isin(self.keys(), other.keys(), kind="sort").all())

    def __eq__(self, other) -> bool:
        return (isinstance(other, SparsityPattern) and self.shape == other.shape
                and np.array_equal(self.indptr, other.indptr)
                and np.array_equal(self.indices, other.indices))

    __hash__ = None

    def spy(self, max_rows: int = 24, max_cols: int = 48) -> str:
        """A text spy plot: one character per entry for small patterns, else per block
        (``#`` where a block holds an entry, ``.`` where it holds none)."""
        m, n = self.shape
        h, w = max(1, min(m, max_rows)), max(1, min(n, max_cols))
        grid = np.zeros((h, w), bool)
        if self.nnz:
            grid[self.rows * h // max(m, 1), self.cols * w // max(n, 1)] = True
        lines = ["".join("#" if b else "." for b in row) for row in grid]
        return "\n".join(lines)

    def __str__(self):
        m, n = self.shape
        return (f"SparsityPattern {m}x{n}, nnz={self.nnz} "
                f"({100 * self.density:.3g}% dense)\n{self.spy()}")

    def __repr__(self):
        return f"SparsityPattern(shape={self.shape}, nnz={self.nnz})"
