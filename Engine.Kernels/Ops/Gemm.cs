// GEMM kernels: C = act(alpha·op(A)·op(B) + beta·C + bias), C [M, N], op(A) [M, K] (A stored [K, M] when TransA),
// op(B) [K, N] (B stored [N, K] when TransB). beta = 0 never reads C, so NaN in C is ignored.
//
// Fusions (runtime fields of GemmArgs; uniform per launch, so they cost a branch, not a pass over memory):
//   Operand forms (FormA, FormB), the stored matrix an operand is read from:
//     Dense:  row-major [rows, cols].
//     Im2Col: the im2col matrix [P, N·OHW] of the input x of a convolution (Conv), read straight from x:
//             element (p, q) = x[n, c, oh·S − pad + kh, ow·S − pad + kw], 0 in the padding.
//     Nchw:   an NCHW tensor [N, F, OHW] read as the matrix [F, N·OHW] (a convolution's output gradient).
//   DerivA, DerivB: each operand element is multiplied by an activation's derivative at the same index of the
//     forward output passed as the operand's aux view (0 none, 1 ReLU, 2 sigmoid, 3 tanh): the backward of a
//     fused activation, read in the same pass.
//   FormC: Dense, or Nchw (C [F, N·OHW] written as the NCHW tensor [N, F, OHW]; beta must be 0).
//   BiasMode: 0 none, 1 bias[col] (an affine layer), 2 bias[row] (a convolution's filters). Activation: applied
//     last (0 none, 1 ReLU, 2 sigmoid, 3 tanh).
//   SumMode: 1 writes sums[m] = Σ_k op(A)[m, k] (by the blocks of column 0), 2 writes sums[n] = Σ_k op(B)[k, n]
//     (by the blocks of row 0): a bias gradient summed from the tiles the GEMM loads anyway, in a fixed order.
//
// Tiled<TTile>: shared-memory tiles of T x T (T = TTile.Size). Launch: grid (ceil(N/T), ceil(M/T)),
//   group (T, T); thread (tx, ty) owns C[by·T + ty, bx·T + tx]. Out-of-range tile cells load 0, so every
//   shape works (edges that are not tile multiples, M, N or K = 1). All four transpose cases.
// Register<TTile>: 4x4 outputs per thread, block tile B = 4·T square, K step T. Launch: grid
//   (ceil(N/B), ceil(M/B)), group (T, T). Thread (tx, ty) owns rows by·B + ty + r·T and columns
//   bx·B + tx + c·T (r, c in 0..3), unrolled by hand because ILGPU 1.5.3 does not unroll loops.
//   With Tile16 that is the 64x64 tile with 4x4 per thread.
// Split-K (SliceK > 0, both kernels): grid z = slice; slice z sums k in [z·SliceK, (z+1)·SliceK) (SliceK a multiple of
//   the K step, so no tile straddles two slices) and writes its raw partial C densely to c[z·M·N + row·N + col] and
//   its partial sums to sums[z·L + i] (L = M or N by SumMode). SplitKReduce then adds the slices in order (the same
//   result on every run, no atomics) and applies the epilogue: for small M x N with a long K (a convolution's weight
//   gradient), where the plain grid would leave most multiprocessors idle.
using ILGPU;

namespace DeepGpu.Kernels;

/// <summary>How a GEMM operand is stored, or how its result is written (see the file header).</summary>
public static class GemmForm
{
    public const int Dense = 0, Im2Col = 1, Nchw = 2;
}

/// <summary>Sizes, transposes, scalars and fusions of one GEMM launch (see the file header).</summary>
public struct GemmArgs
{
    public int M, N, K;
    /// <summary>1 when A is stored [K, M].</summary>
    public int TransA;
    /// <summary>1 when B is stored [N, K].</summary>
    public int TransB;
    public float Alpha, Beta;
    public int FormA, FormB, FormC;
    public int DerivA, DerivB;
    public int BiasMode, Activation, SumMode;
    /// <summary>K per slice of a split-K launch (a multiple of the kernel's K step); 0 runs K whole.</summary>
    public int SliceK;
    /// <summary>The convolution the Im2Col and Nchw forms refer to.</summary>
    public ConvShape Conv;
}

public static partial class GemmKernels
{
    /// <summary>f(x) for an activation code (0 none, 1 ReLU, 2 sigmoid, 3 tanh).</summary>
    private static float Activate(int kind, float x) => kind switch
    {
        1 => default(ReluFunctor).Forward(x),
        2 => default(SigmoidFunctor).Forward(x),
        3 => default(TanhFunctor).Forward(x),
        _ => x,
    };

    /// <summary>dy·f'(x) through y = f(x) for an activation code.</summary>
    private static float Derivative(int kind, float y, float dy) => kind switch
    {
        1 => default(ReluFunctor).Backward(y, dy),
        2 => default(SigmoidFunctor).Backward(y, dy),
        3 => default(TanhFunctor).Backward(y, dy),
        _ => dy,
    };

    /// <summary>Index into an NCHW tensor [N, F, OHW] of element (f, q) of its matrix view [F, N·OHW].</summary>
    private static int NchwIndex(ConvShape s, int f, int q)
    {
        var ohw = s.OH * s.OW;
        var n = q / ohw;
        return (n * s.F + f) * ohw + (q - n * ohw);
    }

    /// <summary>Element (r, c) of a stored operand matrix with <paramref name="cols"/> columns, in its form.</summary>
    private static float Element(GemmArgs g, int form, int deriv, ArrayView<float> v, ArrayView<float> aux, int r, int c, int cols)
    {
        if (form == GemmForm.Im2Col)
        {
            var s = g.Conv;
            var ohw = s.OH * s.OW;
            var kw = r % s.KW;
            var kh = (r / s.KW) % s.KH;
            var ch = r / (s.KW * s.KH);
            var n = c / ohw;
            var o = c - n * ohw;
            var oh = o / s.OW;
            var ow = o - oh * s.OW;
            var h = oh * s.Stride - s.Pad + kh;
            var w = ow * s.Stride - s.Pad + kw;
            return h >= 0 && h < s.H && w >= 0 && w < s.W ? v[((n * s.C + ch) * s.H + h) * s.W + w] : 0f;
        }
        var idx = form == GemmForm.Nchw ? NchwIndex(g.Conv, r, c) : r * cols + c;
        var value = v[idx];
        return deriv == 0 ? value : Derivative(deriv, aux[idx], value);
    }

    private static float LoadA(GemmArgs g, ArrayView<float> a, ArrayView<float> aux, int row, int p) =>
        row < g.M && p < g.K
            ? (g.TransA != 0 ? Element(g, g.FormA, g.DerivA, a, aux, p, row, g.M) : Element(g, g.FormA, g.DerivA, a, aux, row, p, g.K))
            : 0f;

    private static float LoadB(GemmArgs g, ArrayView<float> b, ArrayView<float> aux, int p, int col) =>
        p < g.K && col < g.N
            ? (g.TransB != 0 ? Element(g, g.FormB, g.DerivB, b, aux, col, p, g.K) : Element(g, g.FormB, g.DerivB, b, aux, p, col, g.N))
            : 0f;

    private static void Store(GemmArgs g, ArrayView<float> c, ArrayView<float> bias, int row, int col, float sum)
    {
        if (row >= g.M || col >= g.N) return;
        if (g.SliceK != 0)
        {
            c[(Grid.IdxZ * g.M + row) * g.N + col] = sum;
            return;
        }
        Finish(g, c, bias, row, col, sum);
    }

    /// <summary>The epilogue: alpha, beta·C, bias and activation, written in C's form.</summary>
    private static void Finish(GemmArgs g, ArrayView<float> c, ArrayView<float> bias, int row, int col, float sum)
    {
        var idx = g.FormC == GemmForm.Nchw ? NchwIndex(g.Conv, row, col) : row * g.N + col;
        var v = g.Beta == 0f ? g.Alpha * sum : g.Alpha * sum + g.Beta * c[idx];
        if (g.BiasMode == 1) v += bias[col];
        else if (g.BiasMode == 2) v += bias[row];
        c[idx] = Activate(g.Activation, v);
    }

    /// <summary>The first k of this block's slice (0 unless split-K).</summary>
    private static int SliceStart(GemmArgs g) => Grid.IdxZ * g.SliceK;

    /// <summary>One past the last k of this block's slice.</summary>
    private static int SliceEnd(GemmArgs g)
    {
        if (g.SliceK == 0) return g.K;
        var end = (Grid.IdxZ + 1) * g.SliceK;
        return end < g.K ? end : g.K;
    }

    /// <summary>
    /// Split-K's second launch, one thread per element of C and then of the sums: adds the slices' partials in slice
    /// order and applies the epilogue. Launch: M·N + L threads (L = M or N by SumMode, else 0); g is the split launch's.
    /// </summary>
    public static void SplitKReduce(Index1D i, GemmArgs g, ArrayView<float> partials, ArrayView<float> partialSums,
        ArrayView<float> c, ArrayView<float> bias, ArrayView<float> sums)
    {
        var slices = (g.K + g.SliceK - 1) / g.SliceK;
        var cells = g.M * g.N;
        if (i < cells)
        {
            var total = 0f;
            for (var z = 0; z < slices; z++) total += partials[z * cells + i];
            var row = i / g.N;
            Finish(g, c, bias, row, i - row * g.N, total);
            return;
        }
        var j = i - cells;
        var length = g.SumMode == 1 ? g.M : g.N;
        var sum = 0f;
        for (var z = 0; z < slices; z++) sum += partialSums[z * length + j];
        sums[j] = sum;
    }

    /// <summary>Shared-memory tiled GEMM (see file header for the launch shape and the fusions).</summary>
    public static void Tiled<TTile>(GemmArgs g, ArrayView<float> a, ArrayView<float> auxA, ArrayView<float> b, ArrayView<float> auxB,
        ArrayView<float> c, ArrayView<float> bias, ArrayView<float> sums)
        where TTile : struct, IGemmTile
    {
        var t = default(TTile).Size;
        var tileA = SharedMemory.Allocate<float>(default(TTile).Elements);
        var tileB = SharedMemory.Allocate<float>(default(TTile).Elements);
        int tx = Group.IdxX, ty = Group.IdxY;
        var row = Grid.IdxY * t + ty;
        var col = Grid.IdxX * t + tx;
        var sumsA = g.SumMode == 1 && Grid.IdxX == 0 && tx == 0;
        var sumsB = g.SumMode == 2 && Grid.IdxY == 0 && ty == 0;
        var sum = 0f;
        var partial = 0f;
        for (int k0 = SliceStart(g), kEnd = SliceEnd(g); k0 < kEnd; k0 += t)
        {
            // Consecutive tx read consecutive addresses in every transpose case (coalesced loads): a transposed
            // operand is read with the roles of tx and ty swapped.
            if (g.TransA != 0) tileA[tx * t + ty] = LoadA(g, a, auxA, Grid.IdxY * t + tx, k0 + ty);
            else tileA[ty * t + tx] = LoadA(g, a, auxA, row, k0 + tx);
            if (g.TransB != 0) tileB[tx * t + ty] = LoadB(g, b, auxB, k0 + tx, Grid.IdxX * t + ty);
            else tileB[ty * t + tx] = LoadB(g, b, auxB, k0 + ty, col);
            Group.Barrier();
            for (var p = 0; p < t; p++) sum += tileA[ty * t + p] * tileB[p * t + tx];
            if (sumsA)
            {
                for (var p = 0; p < t; p++) partial += tileA[ty * t + p];
            }
            if (sumsB)
            {
                for (var p = 0; p < t; p++) partial += tileB[p * t + tx];
            }
            Group.Barrier();
        }
        Store(g, c, bias, row, col, sum);
        if (sumsA && row < g.M) sums[Grid.IdxZ * g.M + row] = partial;
        if (sumsB && col < g.N) sums[Grid.IdxZ * g.N + col] = partial;
    }

    /// <summary>Register-tiled GEMM, 4x4 outputs per thread (see file header for the launch shape and the fusions).</summary>
    public static void Register<TTile>(GemmArgs g, ArrayView<float> a, ArrayView<float> auxA, ArrayView<float> b, ArrayView<float> auxB,
        ArrayView<float> c, ArrayView<float> bias, ArrayView<float> sums)
        where TTile : struct, IGemmTile
    {
        var t = default(TTile).Size;
        var bm = 4 * t;
        // Tiles stored k-major: tileA[kk·B + i], tileB[kk·B + j]; each holds B·T = 4·T² floats.
        var tileA = SharedMemory.Allocate<float>(4 * default(TTile).Elements);
        var tileB = SharedMemory.Allocate<float>(4 * default(TTile).Elements);
        int tx = Group.IdxX, ty = Group.IdxY;
        var tid = ty * t + tx;
        var threads = t * t;
        var rowBase = Grid.IdxY * bm;
        var colBase = Grid.IdxX * bm;
        var sumsA = g.SumMode == 1 && Grid.IdxX == 0 && tx == 0;
        var sumsB = g.SumMode == 2 && Grid.IdxY == 0 && ty == 0;
        // A thread's own four rows (sumsA: ty + r·T) or four columns (sumsB: tx + c·T) of the summed operand.
        var first = sumsA ? ty : tx;
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (int k0 = SliceStart(g), kEnd = SliceEnd(g); k0 < kEnd; k0 += t)
        {
            // Each thread loads 4 cells of each tile (B·T = 4·threads).
            for (var q = 0; q < 4; q++)
            {
                var e = tid + q * threads;
                // A tile [B rows, T k]: consecutive threads walk k when A is row-major, rows when transposed.
                int i, kk;
                if (g.TransA != 0) { kk = e / bm; i = e - kk * bm; }
                else { i = e / t; kk = e - i * t; }
                tileA[kk * bm + i] = LoadA(g, a, auxA, rowBase + i, k0 + kk);
                int j, kb;
                if (g.TransB != 0) { j = e / t; kb = e - j * t; }
                else { kb = e / bm; j = e - kb * bm; }
                tileB[kb * bm + j] = LoadB(g, b, auxB, k0 + kb, colBase + j);
            }
            Group.Barrier();
            for (var kk = 0; kk < t; kk++)
            {
                var ao = kk * bm + ty;
                var bo = kk * bm + tx;
                float a0 = tileA[ao], a1 = tileA[ao + t], a2 = tileA[ao + 2 * t], a3 = tileA[ao + 3 * t];
                float b0 = tileB[bo], b1 = tileB[bo + t], b2 = tileB[bo + 2 * t], b3 = tileB[bo + 3 * t];
                c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
                c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
                c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
                c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            }
            if (sumsA)
            {
                for (var kk = 0; kk < t; kk++)
                {
                    var o = kk * bm + first;
                    s0 += tileA[o]; s1 += tileA[o + t]; s2 += tileA[o + 2 * t]; s3 += tileA[o + 3 * t];
                }
            }
            if (sumsB)
            {
                for (var kk = 0; kk < t; kk++)
                {
                    var o = kk * bm + first;
                    s0 += tileB[o]; s1 += tileB[o + t]; s2 += tileB[o + 2 * t]; s3 += tileB[o + 3 * t];
                }
            }
            Group.Barrier();
        }
        int r0 = rowBase + ty, q0 = colBase + tx;
        Store(g, c, bias, r0, q0, c00); Store(g, c, bias, r0, q0 + t, c01); Store(g, c, bias, r0, q0 + 2 * t, c02); Store(g, c, bias, r0, q0 + 3 * t, c03);
        r0 += t;
        Store(g, c, bias, r0, q0, c10); Store(g, c, bias, r0, q0 + t, c11); Store(g, c, bias, r0, q0 + 2 * t, c12); Store(g, c, bias, r0, q0 + 3 * t, c13);
        r0 += t;
        Store(g, c, bias, r0, q0, c20); Store(g, c, bias, r0, q0 + t, c21); Store(g, c, bias, r0, q0 + 2 * t, c22); Store(g, c, bias, r0, q0 + 3 * t, c23);
        r0 += t;
        Store(g, c, bias, r0, q0, c30); Store(g, c, bias, r0, q0 + t, c31); Store(g, c, bias, r0, q0 + 2 * t, c32); Store(g, c, bias, r0, q0 + 3 * t, c33);
        if (sumsA || sumsB)
        {
            var limit = sumsA ? g.M : g.N;
            var at = (sumsA ? rowBase : colBase) + first;
            var slice = Grid.IdxZ * limit;
            if (at < limit) sums[slice + at] = s0;
            if (at + t < limit) sums[slice + at + t] = s1;
            if (at + 2 * t < limit) sums[slice + at + 2 * t] = s2;
            if (at + 3 * t < limit) sums[slice + at + 3 * t] = s3;
        }
    }
}
