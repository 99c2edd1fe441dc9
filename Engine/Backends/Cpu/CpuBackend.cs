using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace DeepGpu.Backends.Cpu;

/// <summary>
/// The managed CPU backend: SIMD C# over arrays (a packed, blocked SGEMM per <see cref="CpuTier"/>), spread over
/// a persistent worker pool. Same op contract as the GPU backends, so every test runs on it too.
/// </summary>
public sealed partial class CpuBackend : Backend
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

    public override DeviceBuffer<T> Allocate<T>(int length) => new CpuBuffer<T>(this, length);

    public override void Upload<T>(ReadOnlySpan<T> source, BufferView<T> destination)
    {
        CheckLength(source.Length, destination.Length);
        source.CopyTo(destination.Span());
    }

    public override void Download<T>(BufferView<T> source, Span<T> destination)
    {
        CheckLength(source.Length, destination.Length);
        source.Span().CopyTo(destination);
    }

    public override void Synchronize() { }

    public override void Fill(BufferView<float> x, float value) => x.Span().Fill(value);

    public override void Copy(BufferView<float> source, BufferView<float> destination) => source.Span().CopyTo(destination.Span());

    public override void AddScaled(BufferView<float> x, float alpha, BufferView<float> y) =>
        TensorPrimitives.MultiplyAdd(x.Span(), alpha, y.Span(), y.Span());

    public override void SumOfSquares(BufferView<float> x, float scale, BufferView<float> accumulator) =>
        accumulator.Span()[0] += scale * TensorPrimitives.SumOfSquares<float>(x.Span());

    public override void Multiply(BufferView<float> x, BufferView<float> mask, BufferView<float> y) =>
        TensorPrimitives.Multiply(x.Span(), mask.Span(), y.Span());

    public override void AddBias(BufferView<float> x, BufferView<float> bias, int rows, int cols)
    {
        var xs = x.Span();
        var b = bias.Span();
        for (var r = 0; r < rows; r++)
        {
            var row = xs.Slice(r * cols, cols);
            TensorPrimitives.Add(row, b, row);
        }
    }

    public override void BiasGradient(BufferView<float> dy, BufferView<float> db, int rows, int cols)
    {
        var d = dy.Span();
        var g = db.Span();
        g.Clear();
        for (var r = 0; r < rows; r++) TensorPrimitives.Add(g, d.Slice(r * cols, cols), g);
    }

    public override void ActivationForward(Activation kind, BufferView<float> x, BufferView<float> y)
    {
        if (kind is < Activation.Relu or > Activation.Tanh) throw new ArgumentOutOfRangeException(nameof(kind));
        CheckView(y, x.Length, nameof(y));
        var chunks = Pool.Chunks(x.Length, 1 << 16);
        Pool.For(chunks, new ActivationJob(kind, false, x, default, y, chunks));
    }

    public override void ActivationBackward(Activation kind, BufferView<float> y, BufferView<float> dy, BufferView<float> dx)
    {
        if (kind is < Activation.Relu or > Activation.Tanh) throw new ArgumentOutOfRangeException(nameof(kind));
        CheckView(dy, y.Length, nameof(dy));
        CheckView(dx, y.Length, nameof(dx));
        var chunks = Pool.Chunks(y.Length, 1 << 16);
        Pool.For(chunks, new ActivationJob(kind, true, y, dy, dx, chunks));
    }

    // Element-wise activations over a chunk of the buffer each; memory-bound, so large tensors use every core.
    private readonly struct ActivationJob(Activation kind, bool backward, BufferView<float> input, BufferView<float> dy,
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
                    case Activation.Relu: TensorPrimitives.Max(x, 0f, o); break;
                    case Activation.Sigmoid: TensorPrimitives.Sigmoid(x, o); break;
                    default: TensorPrimitives.Tanh(x, o); break;
                }
                return;
            }
            // Backward, with x = y (the forward output): dx = dy·f'(y).
            var d = dy.Span()[first..last];
            var i = 0;
            var w = Vector<float>.Count;
            ref var yr = ref MemoryMarshal.GetReference(x);
            ref var dr = ref MemoryMarshal.GetReference(d);
            ref var outr = ref MemoryMarshal.GetReference(o);
            switch (kind)
            {
                case Activation.Relu:
                    for (; i <= x.Length - w; i += w)
                    {
                        var yv = Vector.LoadUnsafe(ref yr, (nuint)i);
                        Vector.ConditionalSelect(Vector.GreaterThan(yv, Vector<float>.Zero), Vector.LoadUnsafe(ref dr, (nuint)i), Vector<float>.Zero)
                            .StoreUnsafe(ref outr, (nuint)i);
                    }
                    for (; i < x.Length; i++) o[i] = x[i] > 0f ? d[i] : 0f;
                    break;
                case Activation.Sigmoid:
                    for (; i <= x.Length - w; i += w)
                    {
                        var yv = Vector.LoadUnsafe(ref yr, (nuint)i);
                        (Vector.LoadUnsafe(ref dr, (nuint)i) * yv * (Vector<float>.One - yv)).StoreUnsafe(ref outr, (nuint)i);
                    }
                    for (; i < x.Length; i++) o[i] = d[i] * x[i] * (1f - x[i]);
                    break;
                default:
                    for (; i <= x.Length - w; i += w)
                    {
                        var yv = Vector.LoadUnsafe(ref yr, (nuint)i);
                        (Vector.LoadUnsafe(ref dr, (nuint)i) * (Vector<float>.One - yv * yv)).StoreUnsafe(ref outr, (nuint)i);
                    }
                    for (; i < x.Length; i++) o[i] = d[i] * (1f - x[i] * x[i]);
                    break;
            }
        }
    }

    public override void Softmax(BufferView<float> x, BufferView<float> y, int rows, int cols)
    {
        var xs = x.Span();
        var ys = y.Span();
        for (var r = 0; r < rows; r++) SoftmaxRow(xs.Slice(r * cols, cols), ys.Slice(r * cols, cols));
    }

    private static void SoftmaxRow(ReadOnlySpan<float> x, Span<float> y)
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
        var max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, y);
        TensorPrimitives.Exp(y, y);
        TensorPrimitives.Divide(y, TensorPrimitives.Sum<float>(y), y);
    }

    public override void SoftmaxCrossEntropy(BufferView<float> logits, BufferView<int> labels, BufferView<float> probabilities,
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

    public override void SoftmaxCrossEntropyBackward(BufferView<float> probabilities, BufferView<int> labels, BufferView<float> dlogits, int rows, int cols)
    {
        var ps = probabilities.Span();
        var ls = labels.Span();
        var d = dlogits.Span();
        var inv = 1f / rows;
        TensorPrimitives.Multiply(ps.Slice(0, rows * cols), inv, d.Slice(0, rows * cols));
        for (var r = 0; r < rows; r++) d[r * cols + ls[r]] -= inv;
    }

    public override void SumSquaredError(BufferView<float> y, BufferView<float> t, BufferView<float> lossSum, int rows, int cols)
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

    public override void SumSquaredErrorBackward(BufferView<float> y, BufferView<float> t, BufferView<float> dy, int rows, int cols)
    {
        var n = rows * cols;
        TensorPrimitives.Subtract(y.Span()[..n], t.Span()[..n], dy.Span()[..n]);
        TensorPrimitives.Multiply(dy.Span()[..n], 1f / rows, dy.Span()[..n]);
    }

    public override void OneHot(BufferView<int> labels, BufferView<float> t, int rows, int cols)
    {
        var ts = t.Span();
        var ls = labels.Span();
        ts[..(rows * cols)].Clear();
        for (var r = 0; r < rows; r++) ts[r * cols + ls[r]] = 1f;
    }

    public override void CountCorrect(BufferView<float> scores, BufferView<int> labels, BufferView<float> counter, int rows, int cols)
    {
        var s = scores.Span();
        var ls = labels.Span();
        var correct = 0;
        for (var r = 0; r < rows; r++)
        {
            if (TensorPrimitives.IndexOfMax(s.Slice(r * cols, cols)) == ls[r]) correct++;
        }
        counter.Span()[0] += correct;
    }

    public override void GatherBatch(BufferView<byte> images, BufferView<byte> labels, BufferView<int> order, int start, int count,
        int sampleLength, float scale, BufferView<float> x, BufferView<int> y)
    {
        var img = images.Span();
        var lab = labels.Span();
        var ord = order.Span();
        var xs = x.Span();
        var ys = y.Span();
        for (var i = 0; i < count; i++)
        {
            var s = ord[start + i];
            var src = img.Slice(s * sampleLength, sampleLength);
            var dst = xs.Slice(i * sampleLength, sampleLength);
            for (var j = 0; j < sampleLength; j++) dst[j] = src[j] * scale;
            ys[i] = lab[s];
        }
    }

    public override void Dispose() { }

    private static void CheckLength(int source, int destination)
    {
        if (source != destination) throw new ArgumentException($"Copy of {source} elements into {destination}.");
    }
}
