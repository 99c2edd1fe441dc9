// GEMM kernels: C = alpha·op(A)·op(B) + beta·C, C [M, N] row-major, op(A) [M, K] (A stored [K, M] when
// TransA), op(B) [K, N] (B stored [N, K] when TransB). beta = 0 never reads C, so NaN in C is ignored.
//
// Tiled<TTile>: shared-memory tiles of T x T (T = TTile.Size). Launch: grid (ceil(N/T), ceil(M/T)),
//   group (T, T); thread (tx, ty) owns C[by·T + ty, bx·T + tx]. Out-of-range tile cells load 0, so every
//   shape works (edges that are not tile multiples, M, N or K = 1). All four transpose cases.
// Register<TTile>: 4x4 outputs per thread, block tile B = 4·T square, K step T. Launch: grid
//   (ceil(N/B), ceil(M/B)), group (T, T). Thread (tx, ty) owns rows by·B + ty + r·T and columns
//   bx·B + tx + c·T (r, c in 0..3), unrolled by hand because ILGPU 1.5.3 does not unroll loops.
//   With Tile16 that is the 64x64 tile with 4x4 per thread.
using ILGPU;

namespace DeepGpu.Kernels;

/// <summary>Sizes, transposes and scalars of one GEMM launch.</summary>
public struct GemmArgs
{
    public int M, N, K;
    /// <summary>1 when A is stored [K, M].</summary>
    public int TransA;
    /// <summary>1 when B is stored [N, K].</summary>
    public int TransB;
    public float Alpha, Beta;
}

public static class GemmKernels
{
    private static float LoadA(GemmArgs g, ArrayView<float> a, int row, int p) =>
        row < g.M && p < g.K ? (g.TransA != 0 ? a[p * g.M + row] : a[row * g.K + p]) : 0f;

    private static float LoadB(GemmArgs g, ArrayView<float> b, int p, int col) =>
        p < g.K && col < g.N ? (g.TransB != 0 ? b[col * g.K + p] : b[p * g.N + col]) : 0f;

    private static void Store(GemmArgs g, ArrayView<float> c, int row, int col, float sum)
    {
        if (row < g.M && col < g.N)
        {
            var idx = row * g.N + col;
            c[idx] = g.Beta == 0f ? g.Alpha * sum : g.Alpha * sum + g.Beta * c[idx];
        }
    }

    /// <summary>Shared-memory tiled GEMM (see file header for the launch shape).</summary>
    public static void Tiled<TTile>(GemmArgs g, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c)
        where TTile : struct, IGemmTile
    {
        var t = default(TTile).Size;
        var tileA = SharedMemory.Allocate<float>(default(TTile).Elements);
        var tileB = SharedMemory.Allocate<float>(default(TTile).Elements);
        int tx = Group.IdxX, ty = Group.IdxY;
        var row = Grid.IdxY * t + ty;
        var col = Grid.IdxX * t + tx;
        var sum = 0f;
        for (var k0 = 0; k0 < g.K; k0 += t)
        {
            // Consecutive tx read consecutive addresses in every transpose case (coalesced loads): a transposed
            // operand is read with the roles of tx and ty swapped.
            if (g.TransA != 0) tileA[tx * t + ty] = LoadA(g, a, Grid.IdxY * t + tx, k0 + ty);
            else tileA[ty * t + tx] = LoadA(g, a, row, k0 + tx);
            if (g.TransB != 0) tileB[tx * t + ty] = LoadB(g, b, k0 + tx, Grid.IdxX * t + ty);
            else tileB[ty * t + tx] = LoadB(g, b, k0 + ty, col);
            Group.Barrier();
            for (var p = 0; p < t; p++) sum += tileA[ty * t + p] * tileB[p * t + tx];
            Group.Barrier();
        }
        Store(g, c, row, col, sum);
    }

    /// <summary>Register-tiled GEMM, 4x4 outputs per thread (see file header for the launch shape).</summary>
    public static void Register<TTile>(GemmArgs g, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c)
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
        float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (var k0 = 0; k0 < g.K; k0 += t)
        {
            // Each thread loads 4 cells of each tile (B·T = 4·threads).
            for (var q = 0; q < 4; q++)
            {
                var e = tid + q * threads;
                // A tile [B rows, T k]: consecutive threads walk k when A is row-major, rows when transposed.
                int i, kk;
                if (g.TransA != 0) { kk = e / bm; i = e - kk * bm; }
                else { i = e / t; kk = e - i * t; }
                tileA[kk * bm + i] = LoadA(g, a, rowBase + i, k0 + kk);
                int j, kb;
                if (g.TransB != 0) { j = e / t; kb = e - j * t; }
                else { kb = e / bm; j = e - kb * bm; }
                tileB[kb * bm + j] = LoadB(g, b, k0 + kb, colBase + j);
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
            Group.Barrier();
        }
        int r0 = rowBase + ty, q0 = colBase + tx;
        Store(g, c, r0, q0, c00); Store(g, c, r0, q0 + t, c01); Store(g, c, r0, q0 + 2 * t, c02); Store(g, c, r0, q0 + 3 * t, c03);
        r0 += t;
        Store(g, c, r0, q0, c10); Store(g, c, r0, q0 + t, c11); Store(g, c, r0, q0 + 2 * t, c12); Store(g, c, r0, q0 + 3 * t, c13);
        r0 += t;
        Store(g, c, r0, q0, c20); Store(g, c, r0, q0 + t, c21); Store(g, c, r0, q0 + 2 * t, c22); Store(g, c, r0, q0 + 3 * t, c23);
        r0 += t;
        Store(g, c, r0, q0, c30); Store(g, c, r0, q0 + t, c31); Store(g, c, r0, q0 + 2 * t, c32); Store(g, c, r0, q0 + 3 * t, c33);
    }
}
