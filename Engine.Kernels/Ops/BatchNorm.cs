// Batch normalisation over x viewed as [N, C, S] (S = 1 for 2-D input), statistics per channel over M = N·S.
//   ForwardTraining<G> (grid C groups, group G.Size threads; fixed-order group sums, no atomics):
//     mean = Σx/M; var = Σ(x − mean)²/M (two passes, biased); invStd = 1/√(var + eps);
//     y = γ·(x − mean)·invStd + β; saves mean and invStd;
//     running = momentum·running + (1 − momentum)·batch (mean and var).
//   ForwardInference (one thread per element): y = γ·(x − runMean)/√(runVar + eps) + β.
//   Backward<G> (grid C groups, group G.Size threads): x̂ = (x − mean)·invStd; dβ = Σdy; dγ = Σdy·x̂;
//     dx = γ·invStd/M·(M·dy − dβ − x̂·dγ).
using ILGPU;

namespace DeepGpu.Kernels;

/// <summary>Shape and scalars of a batch normalisation launch.</summary>
public struct NormArgs
{
    public int N, C, S;
    public float Momentum, Epsilon;
}

public static class BatchNormKernels
{
    /// <summary>The flat index of channel <paramref name="c"/>'s <paramref name="t"/>-th element (t over N·S).</summary>
    private static int Index(NormArgs a, int c, int t)
    {
        var n = t / a.S;
        return (n * a.C + c) * a.S + (t - n * a.S);
    }

    public static void ForwardTraining<TG>(NormArgs a, ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> beta, ArrayView<float> y,
        ArrayView<float> runningMean, ArrayView<float> runningVar, ArrayView<float> savedMean, ArrayView<float> savedInvStd)
        where TG : struct, IGroupSize
    {
        var shared = SharedMemory.Allocate<float>(default(TG).Size);
        var c = Grid.IdxX;
        var tid = Group.IdxX;
        var count = a.N * a.S;
        var acc = 0f;
        for (var t = tid; t < count; t += default(TG).Size)
        {
            acc += x[Index(a, c, t)];
        }
        var mean = ReductionKernels.GroupSum<TG>(shared, acc) / count;
        acc = 0f;
        for (var t = tid; t < count; t += default(TG).Size)
        {
            var d = x[Index(a, c, t)] - mean;
            acc += d * d;
        }
        var variance = ReductionKernels.GroupSum<TG>(shared, acc) / count;
        var invStd = 1f / MathF.Sqrt(variance + a.Epsilon);
        var g = gamma[c];
        var b = beta[c];
        for (var t = tid; t < count; t += default(TG).Size)
        {
            var idx = Index(a, c, t);
            y[idx] = g * (x[idx] - mean) * invStd + b;
        }
        if (tid == 0)
        {
            savedMean[c] = mean;
            savedInvStd[c] = invStd;
            runningMean[c] = a.Momentum * runningMean[c] + (1f - a.Momentum) * mean;
            runningVar[c] = a.Momentum * runningVar[c] + (1f - a.Momentum) * variance;
        }
    }

    public static void ForwardInference(Index1D index, NormArgs a, ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> beta,
        ArrayView<float> y, ArrayView<float> runningMean, ArrayView<float> runningVar)
    {
        int k = index;
        var c = (k / a.S) % a.C;
        y[k] = gamma[c] * (x[k] - runningMean[c]) / MathF.Sqrt(runningVar[c] + a.Epsilon) + beta[c];
    }

    public static void Backward<TG>(NormArgs a, ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> dy, ArrayView<float> savedMean,
        ArrayView<float> savedInvStd, ArrayView<float> dx, ArrayView<float> dgamma, ArrayView<float> dbeta)
        where TG : struct, IGroupSize
    {
        var shared = SharedMemory.Allocate<float>(default(TG).Size);
        var c = Grid.IdxX;
        var tid = Group.IdxX;
        var count = a.N * a.S;
        var mean = savedMean[c];
        var invStd = savedInvStd[c];
        float sumDy = 0f, sumDyXhat = 0f;
        for (var t = tid; t < count; t += default(TG).Size)
        {
            var idx = Index(a, c, t);
            var d = dy[idx];
            sumDy += d;
            sumDyXhat += d * (x[idx] - mean) * invStd;
        }
        var db = ReductionKernels.GroupSum<TG>(shared, sumDy);
        var dg = ReductionKernels.GroupSum<TG>(shared, sumDyXhat);
        var factor = gamma[c] * invStd / count;
        for (var t = tid; t < count; t += default(TG).Size)
        {
            var idx = Index(a, c, t);
            var xhat = (x[idx] - mean) * invStd;
            dx[idx] = factor * (count * dy[idx] - db - xhat * dg);
        }
        if (tid == 0)
        {
            dgamma[c] = dg;
            dbeta[c] = db;
        }
    }
}
