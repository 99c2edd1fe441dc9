// Bias kernels, one thread per element of x (implicitly grouped, extent = x's length):
//   AddBias: x[r, c] += bias[c] for x [rows, cols] (cols passed).
//   AddChannelBias: x[n, c, s] += bias[c] for x [N, C, S] (C and S passed): convolution output.
// The bias gradient, db[c] = Σ_r dy[r, c], is ReductionKernels.ChannelSum with Outer = rows, Inner = 1
// (one group per column, fixed summation order, no atomics).
using ILGPU;

namespace DeepGpu.Kernels;

public static class BiasKernels
{
    public static void AddBias(Index1D i, ArrayView<float> x, ArrayView<float> bias, int cols) => x[i] += bias[i % cols];

    public static void AddChannelBias(Index1D i, ArrayView<float> x, ArrayView<float> bias, int channels, int inner) =>
        x[i] += bias[(i / inner) % channels];
}
