"""The torch loop of :func:`linrbp.integrate_batch` (``backend="torch"``), for a GPU.

The same method as the numpy path: scipy's DOP853 tableau, one step size per trajectory,
the same step control and events (:func:`linrbp.integration._dop853._step_control`,
:func:`~linrbp.integration._dop853._event_codes`, :func:`~linrbp.integration._dop853._initial_step`, shared
code), the field being :class:`~linrbp.LinearSystem`'s generated straight-line code run on
the tensors of a :class:`linrbp.core._arrays.TorchBackend` (the trainer's device backend too).
The whole batch is one component-major (n, b) working set on the device, compacted as
trajectories finish. torch is optional: it is adapted once, in :mod:`linrbp.core._arrays`.
"""

from __future__ import annotations

import numpy as np

from ..core._arrays import TorchBackend, default_device
from ..core._errors import InputError

__all__ = ["backend_field", "run_torch"]

TORCH_MISSING = "backend: torch is not installed (pip install torch); use backend='numpy'"


def backend_field(system, backend):
    """``field(yt, out)`` on (n_state, b) arrays of ``backend``, from the system's generated code."""
    compiled = getattr(system, "_compiled_field", None)
    fn = compiled() if compiled is not None else None
    if fn is None:
        raise InputError("backend: the torch backend needs a LinearSystem with a generated field "
                         "(n_state <= 64); use backend='numpy'")
    namespace: dict = {"np": backend}  # the generated code calls np.multiply/np.add with out=
    exec(compile(fn.source, "<linrbp backend field>", "exec"), namespace)
    code, params = namespace["field"], system._field_parameters()

    def field(yt, out):
        return code(yt, out, params)

    return field


def run_torch(system, Y0: np.ndarray, t_max: np.ndarray, rtol, atol, conv_tol, bound, max_steps,
              progress, device):
    """(code, t_end, y, steps, info) for starts ``Y0`` (B, n): the torch twin of the numpy loop."""
    from . import _dop853 as core

    be = TorchBackend(np.float64, device if device is not None else default_device(TORCH_MISSING), TORCH_MISSING)
    torch, dev = be.torch, be.device
    f64 = dict(dtype=torch.float64, device=dev)
    field = backend_field(system, be)
    A_rows = [torch.tensor(a, **f64) for a in core._A_ROWS]
    b_w, e53_w = torch.tensor(core._B, **f64), torch.tensor(core._E53, **f64)
    d_w = torch.tensor(core._D_LAST, **f64)

    B, n = Y0.shape
    code_out = np.zeros(B, dtype=np.int8)
    t_out, y_out, steps_out = np.zeros(B), Y0.copy(), np.zeros(B, dtype=np.int64)
    finished = 0

    def finish(ids, codes, t, y, steps):
        nonlocal finished
        ids = ids.cpu().numpy()
        code_out[ids] = codes.cpu().numpy() if torch.is_tensor(codes) else codes
        t_out[ids], steps_out[ids] = t.cpu().numpy(), steps.cpu().numpy()
        y_out[ids] = y.T.cpu().numpy()
        finished += len(ids)
        if progress is not None:
            progress(finished, B)

    y = torch.tensor(np.ascontiguousarray(Y0.T), **f64)
    ids = torch.arange(B, device=dev)
    f0 = field(y, torch.empty_like(y))
    y_norm0 = torch.amax(torch.abs(y), dim=0)
    out = y_norm0 > bound  # diverged before converged, at the start as at every step
    if bool(out.any()):
        m = int(out.sum())
        finish(ids[out], core._DIVERGED, torch.zeros(m, **f64), y[:, out],
               torch.zeros(m, dtype=torch.int64, device=dev))
    conv = (torch.amax(torch.abs(f0), dim=0) <= conv_tol * (1.0 + y_norm0)) & ~out
    if bool(conv.any()):
        m = int(conv.sum())
        finish(ids[conv], core._CONVERGED, torch.zeros(m, **f64), y[:, conv],
               torch.zeros(m, dtype=torch.int64, device=dev))
    go = ~conv & ~out
    ids, y, f0 = ids[go], y[:, go].contiguous(), f0[:, go].contiguous()
    tmax = torch.tensor(t_max, **f64)[ids]
    h = core._initial_step(field, y, f0, tmax, rtol, atol, torch)
    t = torch.zeros_like(h)
    steps = torch.zeros(len(ids), dtype=torch.int64, device=dev)
    retry = torch.zeros(len(ids), dtype=torch.bool, device=dev)
    done = torch.zeros(len(ids), dtype=torch.bool, device=dev)
    K = torch.empty((core._NS + 1, n, len(ids)), **f64)
    K[0] = f0
    attempts = 0
    while len(ids):
        hh = torch.minimum(h, tmax - t)
        for s in range(1, core._NS):
            field(y + hh * torch.tensordot(A_rows[s], K[:s], dims=1), K[s])
        ynew = y + hh * torch.tensordot(b_w, K[:core._NS], dims=1)
        field(ynew, K[core._NS])
        sc = atol + rtol * torch.maximum(torch.abs(y), torch.abs(ynew))
        e53 = ((torch.tensordot(e53_w, K, dims=1) / sc) ** 2).sum(dim=1)
        y_norm = torch.amax(torch.abs(ynew), dim=0)
        accept, h = core._step_control(torch, hh, e53, n, y_norm, done, retry, bound)
        # |f(y_new)|: an accepted column's |f| (the events read it only there).
        f_norm = torch.amax(torch.abs(K[core._NS]), dim=0)
        candidate = core._damp_candidates(torch, accept, steps + accept, f_norm, y_norm, hh, conv_tol, rtol, atol)
        damp = bool(candidate.any())
        if damp:  # the stiffness estimate needs K[0] before it takes f(y_new)
            st_num, st_den = core._stiffness_sums(torch, torch.tensordot(d_w, K[:core._NS], dims=1), K)
        retry = ~accept
        y = torch.where(accept, ynew, y)
        K[0] = torch.where(accept, K[core._NS], K[0])
        t = t + torch.where(accept, hh, 0.0)
        steps = steps + accept
        attempts += int((~done).sum())
        code = core._event_codes(torch, accept, done, t, tmax, h, steps, f_norm, y_norm, conv_tol,
                                 bound, max_steps)
        if damp:
            h = core._damped_steps(torch, h, hh, candidate, code, st_num, st_den)
        fin = torch.nonzero(code).flatten()
        if len(fin):
            finish(ids[fin], code[fin], t[fin], y[:, fin], steps[fin])
            done[fin] = True
        n_done = int(done.sum())
        if n_done and n_done >= max(1, len(ids) // 8):
            keep = ~done
            ids, y, t, h, tmax = ids[keep], y[:, keep], t[keep], h[keep], tmax[keep]
            steps, retry, done = steps[keep], retry[keep], done[keep]
            K = K[:, :, keep].contiguous()
            y = y.contiguous()
    info = {"backend": "torch", "device": str(dev), "step_attempts": attempts}
    return code_out, t_out, y_out, steps_out, info
