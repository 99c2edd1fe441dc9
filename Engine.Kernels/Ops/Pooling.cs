// Pooling kernels over NCHW (implicitly grouped, one thread per element):
//   MaxForward (extent N·C·OH·OW): y = max over the window's in-image cells (padded cells never win);
//     argmax = flat index into x of the first maximum (−1 only if a window lies wholly in padding).
//   AverageForward: y = Σ in-image cells / (Size·Size) (padding counts as zero).
//   MaxBackward (extent N·C·H·W): dx[i] = Σ over the windows containing i whose argmax is i of dy: a gather,
//     so overlapping windows add up in a fixed order without atomics.
//   AverageBackward (extent N·C·H·W): dx[i] = Σ over the windows containing i of dy / (Size·Size).
using ILGPU;

namespace DeepGpu.Kernels;

/// <summary>Geometry of a pooling (input [N, C, H, W], output [N, C, OH, OW]).</summary>
public struct PoolShape
{
    public int N, C, H, W, Size, Stride, Pad, OH, OW;
}

public static class PoolingKernels
{
    public static void MaxForward(Index1D index, PoolShape s, ArrayView<float> x, ArrayView<float> y, ArrayView<int> argmax)
    {
        var (value, best) = WindowReduce(index, s, x, max: true);
        y[index] = value;
        argmax[index] = best;
    }

    public static void AverageForward(Index1D index, PoolShape s, ArrayView<float> x, ArrayView<float> y) =>
        y[index] = WindowReduce(index, s, x, max: false).Value / (s.Size * s.Size);

    /// <summary>
    /// Output <paramref name="k"/>'s window over its in-image cells: with <paramref name="max"/> the first maximum and
    /// its flat index into x (0 and −1 when the window lies wholly in padding), else the sum (Index unused).
    /// </summary>
    private static (float Value, int Index) WindowReduce(int k, PoolShape s, ArrayView<float> x, bool max)
    {
        var ow = k % s.OW;
        var oh = (k / s.OW) % s.OH;
        var plane = k / (s.OW * s.OH);
        var baseIndex = plane * s.H * s.W;
        var acc = 0f;
        var bestIndex = -1;
        for (var i = 0; i < s.Size; i++)
        {
            var h = oh * s.Stride - s.Pad + i;
            if (h < 0 || h >= s.H) continue;
            for (var j = 0; j < s.Size; j++)
            {
                var w = ow * s.Stride - s.Pad + j;
                if (w < 0 || w >= s.W) continue;
                var idx = baseIndex + h * s.W + w;
                var v = x[idx];
                if (!max)
                {
                    acc += v;
                }
                else if (bestIndex < 0 || v > acc)
                {
                    acc = v;
                    bestIndex = idx;
                }
            }
        }
        return (acc, bestIndex);
    }

    public static void MaxBackward(Index1D index, PoolShape s, ArrayView<float> dy, ArrayView<int> argmax, ArrayView<float> dx) =>
        dx[index] = WindowSum(index, s, dy, argmax, onlyWinners: true);

    public static void AverageBackward(Index1D index, PoolShape s, ArrayView<float> dy, ArrayView<float> dx) =>
        dx[index] = WindowSum(index, s, dy, default, onlyWinners: false) / (s.Size * s.Size);

    /// <summary>
    /// The sum of dy over the windows that hold input element <paramref name="k"/>; with <paramref name="onlyWinners"/>,
    /// only over those whose argmax is k (argmax is read only then).
    /// </summary>
    private static float WindowSum(int k, PoolShape s, ArrayView<float> dy, ArrayView<int> argmax, bool onlyWinners)
    {
        var w = k % s.W;
        var h = (k / s.W) % s.H;
        var plane = k / (s.W * s.H);
        var sum = 0f;
        for (var i = 0; i < s.Size; i++)
        {
            var oh = WindowAt(h, i, s.Pad, s.Stride, s.OH);
            if (oh < 0) continue;
            for (var j = 0; j < s.Size; j++)
            {
                var ow = WindowAt(w, j, s.Pad, s.Stride, s.OW);
                if (ow < 0) continue;
                var o = (plane * s.OH + oh) * s.OW + ow;
                if (!onlyWinners || argmax[o] == k) sum += dy[o];
            }
        }
        return sum;
    }

    /// <summary>The output row (or column) whose window has input <paramref name="position"/> at offset
    /// <paramref name="offset"/>, or −1 when there is none.</summary>
    private static int WindowAt(int position, int offset, int pad, int stride, int outputs)
    {
        var t = position + pad - offset;
        if (t < 0 || t % stride != 0) return -1;
        var o = t / stride;
        return o < outputs ? o : -1;
    }
}
