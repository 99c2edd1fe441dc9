// Pooling: planes (one image's channel) are independent, so each worker takes a run of whole planes and
// writes only its own outputs and its own planes of dx. Max pooling records the winner's flat index into x.
namespace DeepGpu.Backends.Cpu;

public sealed partial class CpuBackend
{
    public override void PoolingForward(PoolingMode mode, PoolingGeometry g, BufferView<float> x, BufferView<float> y, BufferView<int> argmax)
    {
        CheckPooling(g, x, y);
        if (mode == PoolingMode.Max && argmax.Length < g.OutputLength) throw new ArgumentException("argmax is shorter than the output.", nameof(argmax));
        var planes = g.Batch * g.Channels;
        var chunks = Pool.Chunks((long)planes * g.Height * g.Width, 1 << 15);
        Pool.For(chunks, new PoolJob(mode, g, chunks, false, x, y, argmax));
    }

    public override void PoolingBackward(PoolingMode mode, PoolingGeometry g, BufferView<float> dy, BufferView<int> argmax, BufferView<float> dx)
    {
        CheckPooling(g, dx, dy);
        if (mode == PoolingMode.Max && argmax.Length < g.OutputLength) throw new ArgumentException("argmax is shorter than the output.", nameof(argmax));
        var planes = g.Batch * g.Channels;
        var chunks = Pool.Chunks((long)planes * g.Height * g.Width, 1 << 15);
        Pool.For(chunks, new PoolJob(mode, g, chunks, true, dx, dy, argmax));
    }

    private static void CheckPooling(PoolingGeometry g, BufferView<float> x, BufferView<float> y)
    {
        if (g.Batch < 1 || g.Channels < 1 || g.Size < 1 || g.Stride < 1 || g.Pad < 0 || g.Pad >= g.Size || g.OutH < 1 || g.OutW < 1)
        {
            throw new ArgumentException($"Pooling geometry {g} has no output or a window of padding only.", nameof(g));
        }
        CheckView(x, g.InputLength, nameof(x));
        CheckView(y, g.OutputLength, nameof(y));
    }

    private readonly struct PoolJob(PoolingMode mode, PoolingGeometry g, int chunks, bool backward,
        BufferView<float> x, BufferView<float> y, BufferView<int> argmax) : WorkerPool.IWork
    {
        public void Run(int index)
        {
            var (first, last) = WorkerPool.Chunk(index, chunks, g.Batch * g.Channels);
            var inPlane = g.Height * g.Width;
            var outPlane = g.OutH * g.OutW;
            var xs = x.Span();
            var ys = y.Span();
            var am = argmax.Span();
            for (var p = first; p < last; p++)
            {
                var xp = xs.Slice(p * inPlane, inPlane);
                var yp = ys.Slice(p * outPlane, outPlane);
                var ap = mode == PoolingMode.Max ? am.Slice(p * outPlane, outPlane) : default;
                if (!backward) Forward(xp, yp, ap, p * inPlane);
                else Backward(xp, yp, ap, p * inPlane);
            }
        }

        private void Forward(ReadOnlySpan<float> x, Span<float> y, Span<int> argmax, int planeStart)
        {
            var inv = 1f / (g.Size * g.Size);
            for (var oh = 0; oh < g.OutH; oh++)
            {
                var h0 = oh * g.Stride - g.Pad;
                int hLo = Math.Max(0, h0), hHi = Math.Min(g.Height, h0 + g.Size);
                for (var ow = 0; ow < g.OutW; ow++)
                {
                    var w0 = ow * g.Stride - g.Pad;
                    int wLo = Math.Max(0, w0), wHi = Math.Min(g.Width, w0 + g.Size);
                    var o = oh * g.OutW + ow;
                    if (mode == PoolingMode.Max)
                    {
                        // The first valid cell starts the search, so padding never wins and ties keep the first.
                        var best = hLo * g.Width + wLo;
                        var max = x[best];
                        for (var h = hLo; h < hHi; h++)
                        {
                            for (var w = wLo; w < wHi; w++)
                            {
                                var v = x[h * g.Width + w];
                                if (v > max)
                                {
                                    max = v;
                                    best = h * g.Width + w;
                                }
                            }
                        }
                        y[o] = max;
                        argmax[o] = planeStart + best;
                    }
                    else
                    {
                        var sum = 0f;
                        for (var h = hLo; h < hHi; h++)
                        {
                            for (var w = wLo; w < wHi; w++) sum += x[h * g.Width + w];
                        }
                        y[o] = sum * inv;
                    }
                }
            }
        }

        private void Backward(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<int> argmax, int planeStart)
        {
            dx.Clear();
            if (mode == PoolingMode.Max)
            {
                for (var o = 0; o < dy.Length; o++) dx[argmax[o] - planeStart] += dy[o];
                return;
            }
            var inv = 1f / (g.Size * g.Size);
            for (var oh = 0; oh < g.OutH; oh++)
            {
                var h0 = oh * g.Stride - g.Pad;
                int hLo = Math.Max(0, h0), hHi = Math.Min(g.Height, h0 + g.Size);
                for (var ow = 0; ow < g.OutW; ow++)
                {
                    var w0 = ow * g.Stride - g.Pad;
                    int wLo = Math.Max(0, w0), wHi = Math.Min(g.Width, w0 + g.Size);
                    var d = dy[oh * g.OutW + ow] * inv;
                    for (var h = hLo; h < hHi; h++)
                    {
                        for (var w = wLo; w < wHi; w++) dx[h * g.Width + w] += d;
                    }
                }
            }
        }
    }
}
