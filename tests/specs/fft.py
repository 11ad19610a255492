"""Specs of funcad.numpy.fft: every transform, with n/s, axis/axes and each norm."""

import numpy as np

import funcad.numpy as fnp

from ._spec import Spec

F = fnp.fft
V = [((6,),), ((2, 5),)]
M = [((3, 4),)]

SPECS = [
    Spec("fft", F.fft, V),
    Spec("fft_n_ortho", lambda x: F.fft(x, n=4, norm="ortho"), V),
    Spec("fft_pad_forward", lambda x: F.fft(x, n=8, axis=0, norm="forward"), M),
    Spec("ifft", F.ifft, V, "complex"),
    Spec("ifft_n", lambda z: F.ifft(z, n=7, norm="ortho"), V, "complex"),
    Spec("rfft", F.rfft, V),
    Spec("rfft_n", lambda x: F.rfft(x, n=5, axis=0, norm="forward"), M),
    Spec("rfft_pad", lambda x: F.rfft(x, n=9, norm="ortho"), V),
    Spec("irfft", F.irfft, V, "complex"),
    Spec("irfft_odd", lambda z: F.irfft(z, n=7, norm="ortho"), V, "complex"),
    Spec("irfft_trunc", lambda z: F.irfft(z, n=4, axis=0, norm="forward"), M, "complex"),
    Spec("hfft", lambda z: F.hfft(z, n=6), V, "complex"),
    Spec("ihfft", lambda x: F.ihfft(x, norm="ortho"), V),
    Spec("fft2", F.fft2, M, "complex"),
    Spec("ifft2", lambda z: F.ifft2(z, s=(4, 3)), M, "complex"),
    Spec("fftn", lambda x: F.fftn(x, norm="ortho"), [((2, 3, 2),)]),
    Spec("ifftn_axes", lambda z: F.ifftn(z, axes=(0,)), M, "complex"),
    Spec("rfft2", F.rfft2, M),
    Spec("rfftn_s", lambda x: F.rfftn(x, s=(2, 6), norm="forward"), M),
    Spec("irfft2", F.irfft2, M, "complex"),
    Spec("irfftn_s", lambda z: F.irfftn(z, s=(3, 5), axes=(1, 0)), M, "complex"),
    Spec("fftshift", lambda x: F.fftshift(x) * np.arange(1.0, 13.0).reshape(3, 4), M),
    Spec("ifftshift_axis", lambda x: F.ifftshift(x, axes=1) ** 2, M),
    Spec("numpy_dispatch", lambda x: np.abs(np.fft.rfft(x)) ** 2, V),
]
