// Reductions. Gradient sums (bias gradient, convolution bias gradient) run in a fixed order, one group per
// output, with no float atomics, so training is reproducible on a given backend. Loss-like accumulators
// (sum of squares) add one partial per group with a float atomic: their order does not feed training.
//
// ChannelSum<G>: x viewed as [Outer, Channels, Inner]; sums[c] = Σ_{o,s} x[(o·Channels + c)·Inner + s].
//   Launch: grid Channels groups, group G.Size threads. Bias gradient is Outer = rows, Inner = 1;
//   convolution db is Outer = N, Inner = OutH·OutW.
// SumOfSquares<G>: acc[0] += scale·Σ x[i]². Launch: any grid of G.Size-thread groups (grid-stride loop).
using ILGPU;

namespace DeepGpu.Kernels;

/// <summary>A tensor viewed as [Outer, Channels, Inner] for per-channel reductions.</summary>
public struct ChannelShape
{
    public int Outer, Channels, Inner;
}

public static class ReductionKernels
{
    /// <summary>Tree-reduces shared[0..G) into shared[0]; every thread of the group must call it.</summary>
    public static float GroupSum<TG>(ArrayView<float> shared, float value) where TG : struct, IGroupSize
    {
        var tid = Group.IdxX;
        shared[tid] = value;
        Group.Barrier();
        for (var s = default(TG).Size / 2; s > 0; s >>= 1)
        {
            if (tid < s) shared[tid] += shared[tid + s];
            Group.Barrier();
        }
        var total = shared[0];
        // Keeps a later GroupSum from overwriting shared[0] before every thread has read it.
        Group.Barrier();
        return total;
    }

    public static void ChannelSum<TG>(ChannelShape s, ArrayView<float> x, ArrayView<float> sums) where TG : struct, IGroupSize
    {
        var shared = SharedMemory.Allocate<float>(default(TG).Size);
        var c = Grid.IdxX;
        var count = s.Outer * s.Inner;
        var acc = 0f;
        for (var t = Group.IdxX; t < count; t += default(TG).Size)
        {
            var o = t / s.Inner;
            var sp = t - o * s.Inner;
            acc += x[(o * s.Channels + c) * s.Inner + sp];
        }
        var total = GroupSum<TG>(shared, acc);
        if (Group.IdxX == 0) sums[c] = total;
    }

    public static void SumOfSquares<TG>(ArrayView<float> x, float scale, ArrayView<float> accumulator) where TG : struct, IGroupSize
    {
        var shared = SharedMemory.Allocate<float>(default(TG).Size);
        var n = (int)x.Length;
        var acc = 0f;
        var stride = Grid.DimX * default(TG).Size;
        for (var i = Grid.IdxX * default(TG).Size + Group.IdxX; i < n; i += stride) acc += x[i] * x[i];
        var total = GroupSum<TG>(shared, acc);
        if (Group.IdxX == 0) Atomic.Add(ref accumulator[0], scale * total);
    }
}
