// Batch normalisation (per-channel statistics over Batch·Spatial, sums in double), dropout through the
// shared counter-based generator, and rounding to half precision. Channels, or index ranges, are split
// across the workers.
using System.Numerics.Tensors;
using DeepGpu.Kernels;

namespace DeepGpu.Backends.Cpu;

public sealed partial class CpuBackend
{
    protected override void BatchNormForwardCore(NormalizationGeometry g, BatchNormSettings settings, in BatchNormForwardBuffers b)
    {
        var chunks = Math.Min(Pool.Chunks(g.Length, 1 << 14), g.Channels);
        Pool.For(chunks, new NormJob(g, Tier, chunks, false, settings.Training, settings.Momentum, settings.Epsilon, b.X, b.Gamma, b.Beta, b.Y,
            b.RunningMean, b.RunningVar, b.SavedMean, b.SavedInvStd, default, default, default));
    }

    protected override void BatchNormBackwardCore(NormalizationGeometry g, in BatchNormBackwardBuffers b)
    {
        var chunks = Math.Min(Pool.Chunks(g.Length, 1 << 14), g.Channels);
        Pool.For(chunks, new NormJob(g, Tier, chunks, true, true, 0f, 0f, b.X, b.Gamma, default, b.DY, default, default, b.SavedMean, b.SavedInvStd,
            b.DX, b.DGamma, b.DBeta));
    }

    private readonly struct NormJob(NormalizationGeometry g, CpuTier tier, int chunks, bool backward, bool training, float momentum, float epsilon,
        BufferView<float> x, BufferView<float> gamma, BufferView<float> beta, BufferView<float> yOrDy,
        BufferView<float> runningMean, BufferView<float> runningVar, BufferView<float> savedMean, BufferView<float> savedInvStd,
        BufferView<float> dx, BufferView<float> dgamma, BufferView<float> dbeta) : WorkerPool.IWork
    {
        public void Run(int index, int worker)
        {
            var (first, last) = WorkerPool.Chunk(index, chunks, g.Channels);
            for (var c = first; c < last; c++)
            {
                if (backward) Backward(c);
                else Forward(c);
            }
        }

        // The values of channel c: Batch runs of Spatial floats, Channels·Spatial apart.
        private int Stride => g.Channels * g.Spatial;

        private void Forward(int c)
        {
            var xs = x.Span();
            var ys = yOrDy.Span();
            var count = (double)g.Batch * g.Spatial;
            float mean, invStd;
            if (training)
            {
                var sum = 0.0;
                for (var n = 0; n < g.Batch; n++) sum += TierLoop.Sum(tier, xs.Slice(n * Stride + c * g.Spatial, g.Spatial));
                var mu = sum / count;
                var sq = 0.0;
                for (var n = 0; n < g.Batch; n++)
                {
                    var run = xs.Slice(n * Stride + c * g.Spatial, g.Spatial);
                    for (var i = 0; i < run.Length; i++)
                    {
                        var d = run[i] - mu;
                        sq += d * d;
                    }
                }
                var variance = sq / count;
                mean = (float)mu;
                invStd = (float)(1.0 / Math.Sqrt(variance + epsilon));
                savedMean.Span()[c] = mean;
                savedInvStd.Span()[c] = invStd;
                var rm = runningMean.Span();
                var rv = runningVar.Span();
                rm[c] = momentum * rm[c] + (1f - momentum) * mean;
                rv[c] = momentum * rv[c] + (1f - momentum) * (float)variance;
            }
            else
            {
                mean = runningMean.Span()[c];
                invStd = 1f / MathF.Sqrt(runningVar.Span()[c] + epsilon);
            }
            // y = γ·(x − μ)·invStd + β = x·scale + shift.
            var scale = gamma.Span()[c] * invStd;
            var shift = beta.Span()[c] - mean * scale;
            for (var n = 0; n < g.Batch; n++)
            {
                var offset = n * Stride + c * g.Spatial;
                var yRun = ys.Slice(offset, g.Spatial);
                TierLoop.MultiplyAdd(tier, xs.Slice(offset, g.Spatial), scale, shift, yRun);
            }
        }

        private void Backward(int c)
        {
            var xs = x.Span();
            var dys = yOrDy.Span();
            var dxs = dx.Span();
            var mean = savedMean.Span()[c];
            var invStd = savedInvStd.Span()[c];
            double sumDy = 0, sumDyX = 0;
            for (var n = 0; n < g.Batch; n++)
            {
                var offset = n * Stride + c * g.Spatial;
                var dyRun = dys.Slice(offset, g.Spatial);
                sumDy += TierLoop.Sum(tier, dyRun);
                sumDyX += TierLoop.Dot(tier, dyRun, xs.Slice(offset, g.Spatial));
            }
            var count = (double)g.Batch * g.Spatial;
            var dBeta = sumDy;
            var dGamma = invStd * (sumDyX - mean * sumDy);
            dbeta.Span()[c] = (float)dBeta;
            dgamma.Span()[c] = (float)dGamma;
            // dx = γ·invStd/M·(M·dy − dβ − x̂·dγ) = k1·dy + k2·x + k3.
            double gi = gamma.Span()[c] * invStd;
            var k1 = (float)gi;
            var k2 = (float)(-gi * invStd * dGamma / count);
            var k3 = (float)(-gi * dBeta / count + gi * invStd * dGamma * mean / count);
            for (var n = 0; n < g.Batch; n++)
            {
                var offset = n * Stride + c * g.Spatial;
                var dxRun = dxs.Slice(offset, g.Spatial);
                TierLoop.MultiplyAdd(tier, dys.Slice(offset, g.Spatial), k1, k3, dxRun);
                TierLoop.MultiplyAdd(tier, xs.Slice(offset, g.Spatial), k2, dxRun, dxRun);
            }
        }
    }

    protected override void DropoutForwardCore(BufferView<float> x, BufferView<float> y, BufferView<float> mask, float ratio, ulong seed, StepCounter counter)
    {
        var chunks = Pool.Chunks(x.Length, 1 << 16);
        Pool.For(chunks, new DropoutJob(x, y, mask, ratio, seed, Resolve(counter), chunks));
    }

    /// <summary>The counter's value now: ops run in order here, so the record holds the running step.</summary>
    private static ulong Resolve(StepCounter counter) =>
        counter.Base + (counter.Record is { } r ? counter.PerStep * (ulong)r.Buffer.View.Span()[StepRecordKernels.Step] : 0UL);

    private readonly struct DropoutJob(BufferView<float> x, BufferView<float> y, BufferView<float> mask, float ratio, ulong seed, ulong counter,
        int chunks) : WorkerPool.IWork
    {
        public void Run(int index, int worker)
        {
            var (first, last) = WorkerPool.Chunk(index, chunks, x.Length);
            var xs = x.Span();
            var ys = y.Span();
            var ms = mask.Span();
            var keep = 1f / (1f - ratio);
            for (var i = first; i < last; i++)
            {
                var m = CounterRng.Uniform(seed, counter + (ulong)i) >= ratio ? keep : 0f;
                ms[i] = m;
                ys[i] = xs[i] * m;
            }
        }
    }

    void IHalfPrecisionRounding.RoundToHalfCore(BufferView<float> x)
    {
        // Through a small stack buffer of halves, so both conversions run vectorised. The conversions are exact
        // whatever the vector width, so these two calls may take the machine's widest vectors on any tier.
        var xs = x.Span();
        Span<Half> halves = stackalloc Half[1024];
        for (var i = 0; i < xs.Length; i += halves.Length)
        {
            var part = xs.Slice(i, Math.Min(halves.Length, xs.Length - i));
            var h = halves[..part.Length];
            TensorPrimitives.ConvertToHalf(part, h);
            TensorPrimitives.ConvertToSingle(h, part);
        }
    }
}
