from ._lu import lu, lu_factor, lu_solve  # noqa: F401
from ._matfun import expm, expm_frechet, logm, solve_sylvester, sqrtm  # noqa: F401
from ._triangular import cho_factor, cho_solve, cholesky, solve_triangular  # noqa: F401
