using DeepGpu.Kernels;

namespace DeepGpu.Backends.Cpu;

/// <summary>
/// The managed CPU backend: SIMD C# over arrays (a packed, blocked SGEMM per <see cref="CpuTier"/>), spread over
/// a persistent worker pool. Same op contract as the GPU backends, so every test runs on it too.
/// </summary>
public sealed partial class CpuBackend : Backend, IImageAugmentation, IHalfPrecisionRounding
{
    /// <param name="tier">The SIMD tier to compute with; null picks the widest the hardware accelerates.</param>
    public CpuBackend(CpuTier? tier = null)
    {
        var chosen = tier ?? CpuTiers.Best;
        if (!CpuTiers.IsSupported(chosen)) throw new PlatformNotSupportedException($"This CPU does not accelerate the {chosen} tier.");
        Tier = chosen;
    }

    /// <summary>The SIMD tier the GEMM micro-kernels use.</summary>
    public CpuTier Tier { get; }

    public override string Name => "cpu";

    public override string DeviceName => $"{Environment.ProcessorCount} CPU threads, {Tier}";

    protected override DeviceBuffer<T> AllocateCore<T>(int length) => new CpuBuffer<T>(this, length);

    protected override void UploadCore<T>(ReadOnlySpan<T> source, BufferView<T> destination)
        => source.CopyTo(destination.Span());

    protected override void DownloadCore<T>(BufferView<T> source, Span<T> destination)
        => source.Span().CopyTo(destination);

    protected override void SynchronizeCore() { }

    protected override void FillCore(BufferView<float> x, float value) => x.Span().Fill(value);

    protected override void CopyCore(BufferView<float> source, BufferView<float> destination) => source.Span().CopyTo(destination.Span());

    protected override void AddScaledCore(BufferView<float> x, float alpha, BufferView<float> y) =>
        TierLoop.MultiplyAdd(Tier, x.Span(), alpha, y.Span(), y.Span());

    protected override void SumOfSquaresCore(BufferView<float> x, float scale, BufferView<float> accumulator) =>
        accumulator.Span()[0] += scale * TierLoop.SumOfSquares(Tier, x.Span());

    protected override void MultiplyCore(BufferView<float> x, BufferView<float> mask, BufferView<float> y) =>
        TierLoop.Multiply(Tier, x.Span(), mask.Span(), y.Span());

    protected override void AddBiasCore(BufferView<float> x, BufferView<float> bias, int rows, int cols)
    {
        var xs = x.Span();
        var b = bias.Span();
        for (var r = 0; r < rows; r++)
        {
            var row = xs.Slice(r * cols, cols);
            TierLoop.Add(Tier, row, b, row);
        }
    }

    protected override void BiasGradientCore(BufferView<float> dy, BufferView<float> db, int rows, int cols)
    {
        var d = dy.Span();
        var g = db.Span();
        g.Clear();
        for (var r = 0; r < rows; r++) TierLoop.Add(Tier, g, d.Slice(r * cols, cols), g);
    }

    protected override void ActivationForwardCore(Activation kind, BufferView<float> x, BufferView<float> y)
    {
        var chunks = Pool.Chunks(x.Length, 1 << 16);
        Pool.For(chunks, new ActivationJob(kind, Tier, false, x, default, y, chunks));
    }

    protected override void ActivationBackwardCore(Activation kind, BufferView<float> y, BufferView<float> dy, BufferView<float> dx)
    {
        var chunks = Pool.Chunks(y.Length, 1 << 16);
        Pool.For(chunks, new ActivationJob(kind, Tier, true, y, dy, dx, chunks));
    }

    // Element-wise activations over a chunk of the buffer each; memory-bound, so large tensors use every core.
    private readonly struct ActivationJob(Activation kind, CpuTier tier, bool backward, BufferView<float> input, BufferView<float> dy,
        BufferView<float> output, int chunks) : WorkerPool.IWork
    {
        public void Run(int index, int worker)
        {
            var (first, last) = WorkerPool.Chunk(index, chunks, input.Length);
            var x = input.Span()[first..last];
            var o = output.Span()[first..last];
            if (!backward)
            {
                switch (kind)
                {
                    case Activation.Relu: TierLoop.AddRelu(tier, x, 0f, o); break;
                    case Activation.Sigmoid: TierLoop.Sigmoid(tier, x, o); break;
                    default: TierLoop.Tanh(tier, x, o); break;
                }
                return;
            }
            // Backward, with x = y (the forward output): dx = dy·f'(y).
            var d = dy.Span()[first..last];
            switch (kind)
            {
                case Activation.Relu: TierLoop.WherePositive(tier, x, d, o); break;
                case Activation.Sigmoid: TierLoop.SigmoidBackward(tier, x, d, o); break;
                default: TierLoop.TanhBackward(tier, x, d, o); break;
            }
        }
    }

    protected override void SoftmaxCore(BufferView<float> x, BufferView<float> y, int rows, int cols)
    {
        var xs = x.Span();
        var ys = y.Span();
        for (var r = 0; r < rows; r++) SoftmaxRow(xs.Slice(r * cols, cols), ys.Slice(r * cols, cols));
    }

    private void SoftmaxRow(ReadOnlySpan<float> x, Span<float> y)
    {
        if (x.Length < 32)
        {
            // Class rows are short (10 for MNIST): one scalar pass beats five vector calls that each handle a tail.
            var m = x[0];
            for (var i = 1; i < x.Length; i++) m = MathF.Max(m, x[i]);
            var sum = 0f;
            for (var i = 0; i < x.Length; i++) sum += y[i] = MathF.Exp(x[i] - m);
            var inv = 1f / sum;
            for (var i = 0; i < x.Length; i++) y[i] *= inv;
            return;
        }
        var max = x[0];
        foreach (var v in x) max = MathF.Max(max, v);
        TierLoop.ExpShifted(Tier, x, max, y);
        TierLoop.MultiplyAdd(Tier, y, 1f / TierLoop.Sum(Tier, y), 0f, y);
    }

    protected override void SoftmaxCrossEntropyCore(BufferView<float> logits, BufferView<int> labels, BufferView<float> probabilities,
        BufferView<float> lossSum, int rows, int cols)
    {
        var xs = logits.Span();
        var ps = probabilities.Span();
        var ls = labels.Span();
        var loss = 0.0;
        for (var r = 0; r < rows; r++)
        {
            var p = ps.Slice(r * cols, cols);
            SoftmaxRow(xs.Slice(r * cols, cols), p);
            loss -= Math.Log(p[ls[r]] + 1e-7f);
        }
        lossSum.Span()[0] += (float)(loss / rows);
    }

    protected override void SoftmaxCrossEntropyBackwardCore(BufferView<float> probabilities, BufferView<int> labels, BufferView<float> dlogits,
        int rows, int cols)
    {
        var ps = probabilities.Span();
        var ls = labels.Span();
        var d = dlogits.Span();
        var inv = 1f / rows;
        TierLoop.MultiplyAdd(Tier, ps.Slice(0, rows * cols), inv, 0f, d.Slice(0, rows * cols));
        for (var r = 0; r < rows; r++) d[r * cols + ls[r]] -= inv;
    }

    protected override void SumSquaredErrorCore(BufferView<float> y, BufferView<float> t, BufferView<float> lossSum, int rows, int cols)
    {
        var ys = y.Span();
        var ts = t.Span();
        var sum = 0.0;
        for (var i = 0; i < rows * cols; i++)
        {
            var d = (double)ys[i] - ts[i];
            sum += d * d;
        }
        lossSum.Span()[0] += (float)(0.5 * sum / rows);
    }

    protected override void SumSquaredErrorBackwardCore(BufferView<float> y, BufferView<float> t, BufferView<float> dy, int rows, int cols)
    {
        var n = rows * cols;
        TierLoop.SubtractMultiply(Tier, y.Span()[..n], t.Span()[..n], 1f / rows, dy.Span()[..n]);
    }

    protected override void OneHotCore(BufferView<int> labels, BufferView<float> t, int rows, int cols)
    {
        var ts = t.Span();
        var ls = labels.Span();
        ts[..(rows * cols)].Clear();
        for (var r = 0; r < rows; r++) ts[r * cols + ls[r]] = 1f;
    }

    protected override void CountCorrectCore(BufferView<float> scores, BufferView<int> labels, BufferView<float> counter, int rows, int cols)
    {
        var s = scores.Span();
        var ls = labels.Span();
        var correct = 0;
        for (var r = 0; r < rows; r++)
        {
            if (IndexOfMax(s.Slice(r * cols, cols)) == ls[r]) correct++;
        }
        counter.Span()[0] += correct;
    }

    /// <summary>The first index of the largest score (a NaN counts as the largest); rows are class scores, a few dozen at most.</summary>
    private static int IndexOfMax(ReadOnlySpan<float> row)
    {
        var best = 0;
        for (var i = 1; i < row.Length && !float.IsNaN(row[best]); i++)
        {
            if (row[i] > row[best] || float.IsNaN(row[i])) best = i;
        }
        return best;
    }

    protected override void GatherBatchCore(in GatherBatchArgs args)
    {
        var img = args.Images.Span();
        var lab = args.Labels.Span();
        var ord = args.Order.Span();
        var xs = args.X.Span();
        var ys = args.Y.Span();
        var (start, sampleLength, scale) = (args.Start, args.SampleLength, args.Scale);
        if (args.Record is { } record)
        {
            var r = record.Buffer.View.Span();
            start = (int)r[StepRecordKernels.NextStart];
            StepRecord.Publish(r);
        }
        for (var i = 0; i < args.Count; i++)
        {
            var s = ord[start + i];
            var src = img.Slice(s * sampleLength, sampleLength);
            var dst = xs.Slice(i * sampleLength, sampleLength);
            for (var j = 0; j < sampleLength; j++) dst[j] = src[j] * scale;
            ys[i] = lab[s];
        }
    }

    public override void Dispose() { }
}
