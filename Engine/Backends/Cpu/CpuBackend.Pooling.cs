// Pooling: planes (one image's channel) are independent, so each worker takes a run of whole planes and
// writes only its own outputs and its own planes of dx. Max pooling records the winner's flat index into x.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepGpu.Backends.Cpu;

public sealed partial class CpuBackend
{
    protected override void PoolingForwardCore(PoolingMode mode, PoolingGeometry g, BufferView<float> x, BufferView<float> y, BufferView<int> argmax)
    {
        var planes = g.Batch * g.Channels;
        var chunks = Pool.Chunks((long)planes * g.Height * g.Width, 1 << 15);
        Pool.For(chunks, new PoolJob(mode, g, Tier, chunks, false, x, y, argmax));
    }

    protected override void PoolingBackwardCore(PoolingMode mode, PoolingGeometry g, BufferView<float> dy, BufferView<int> argmax, BufferView<float> dx)
    {
        var planes = g.Batch * g.Channels;
        var chunks = Pool.Chunks((long)planes * g.Height * g.Width, 1 << 15);
        Pool.For(chunks, new PoolJob(mode, g, Tier, chunks, true, dx, dy, argmax));
    }

    /// <summary>
    /// How many 2x2 max windows one step of the SIMD row loop takes on <paramref name="tier"/>: 8 (AVX2, then 4 at a
    /// time), 4 (SSE) or 1 (scalar only). Never wider than the tier, nor than what the hardware has.
    /// </summary>
    internal static int MaxPoolingStep(CpuTier tier) =>
        tier >= CpuTier.Vector256 && Avx2.IsSupported ? 8 : tier >= CpuTier.Vector128 && Sse.IsSupported ? 4 : 1;

    private readonly struct PoolJob(PoolingMode mode, PoolingGeometry g, CpuTier tier, int chunks, bool backward,
        BufferView<float> x, BufferView<float> y, BufferView<int> argmax) : WorkerPool.IWork
    {
        public void Run(int index, int worker)
        {
            var (first, last) = WorkerPool.Chunk(index, chunks, g.Batch * g.Channels);
            var inPlane = g.Height * g.Width;
            var outPlane = g.OutH * g.OutW;
            var max = mode == PoolingMode.Max;
            var xs = x.Span();
            var ys = y.Span();
            var am = argmax.Span();
            for (var p = first; p < last; p++)
            {
                var xp = xs.Slice(p * inPlane, inPlane);
                var yp = ys.Slice(p * outPlane, outPlane);
                var ap = max ? am.Slice(p * outPlane, outPlane) : default;
                if (!backward) Forward(xp, yp, ap, p * inPlane);
                else Backward(xp, yp, ap, p * inPlane);
            }
        }

        private void Forward(ReadOnlySpan<float> x, Span<float> y, Span<int> argmax, int planeStart)
        {
            // Geometry in locals: OutH/OutW are computed properties (a division each).
            int outH = g.OutH, outW = g.OutW, height = g.Height, width = g.Width, size = g.Size, stride = g.Stride, pad = g.Pad;
            var max = mode == PoolingMode.Max;
            if (size == 2 && stride == 2 && pad == 0)
            {
                Forward2x2(x, y, argmax, planeStart, outH, outW, width, max, MaxPoolingStep(tier));
                return;
            }
            var inv = 1f / (size * size);
            for (var oh = 0; oh < outH; oh++)
            {
                var (hLo, hHi) = Window(oh, stride, pad, size, height);
                for (var ow = 0; ow < outW; ow++)
                {
                    var (wLo, wHi) = Window(ow, stride, pad, size, width);
                    var o = oh * outW + ow;
                    if (max)
                    {
                        // The first valid cell starts the search, so padding never wins and ties keep the first.
                        var best = hLo * width + wLo;
                        var value = x[best];
                        for (var h = hLo; h < hHi; h++)
                        {
                            for (var w = wLo; w < wHi; w++)
                            {
                                var v = x[h * width + w];
                                if (v > value)
                                {
                                    value = v;
                                    best = h * width + w;
                                }
                            }
                        }
                        y[o] = value;
                        argmax[o] = planeStart + best;
                    }
                    else
                    {
                        var sum = 0f;
                        for (var h = hLo; h < hHi; h++)
                        {
                            for (var w = wLo; w < wHi; w++) sum += x[h * width + w];
                        }
                        y[o] = sum * inv;
                    }
                }
            }
        }

        /// <summary>The in-image rows (or columns) [Lo, Hi) of output <paramref name="o"/>'s window.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static (int Lo, int Hi) Window(int o, int stride, int pad, int size, int extent)
        {
            var start = o * stride - pad;
            return (Math.Max(0, start), Math.Min(extent, start + size));
        }

        // The book's 2×2, stride 2 pooling: windows never overlap or clip, so no bounds logic.
        private static void Forward2x2(ReadOnlySpan<float> x, Span<float> y, Span<int> argmax, int planeStart, int outH, int outW, int width, bool max,
            int step)
        {
            for (var oh = 0; oh < outH; oh++)
            {
                var top = x.Slice(2 * oh * width);
                var bottom = x.Slice((2 * oh + 1) * width);
                var row = y.Slice(oh * outW, outW);
                if (!max)
                {
                    for (var o = 0; o < row.Length; o++)
                    {
                        row[o] = (top[2 * o] + top[2 * o + 1] + bottom[2 * o] + bottom[2 * o + 1]) * 0.25f;
                    }
                    continue;
                }
                var arg = argmax.Slice(oh * outW, outW);
                var baseIndex = planeStart + 2 * oh * width;
                var ow = step == 8 ? MaxRow2x2By8(top, bottom, row, arg, baseIndex, width) : 0;
                if (step >= 4) ow = MaxRow2x2By4(top, bottom, row, arg, baseIndex, width, ow);
                for (; ow < row.Length; ow++)
                {
                    float a = top[2 * ow], b = top[2 * ow + 1], c = bottom[2 * ow], d = bottom[2 * ow + 1];
                    // Row-major window order with strict >, as the general path: the first maximum wins.
                    var value = a;
                    var best = 2 * ow;
                    if (b > value) { value = b; best = 2 * ow + 1; }
                    if (c > value) { value = c; best = width + 2 * ow; }
                    if (d > value) { value = d; best = width + 2 * ow + 1; }
                    row[ow] = value;
                    arg[ow] = baseIndex + best;
                }
            }
        }

        /// <summary>
        /// Eight 2x2 windows at a time, branch-free (on real data the winner is random, and mispredicted branches made the
        /// scalar loop 3x slower than on constant data): the same first-maximum-wins rule with strict >. Returns how many
        /// outputs it did; the caller finishes the row.
        /// </summary>
        // Inlined into the row loop: a call per row, spans passed through memory, cost as much as a 24-wide row itself.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static int MaxRow2x2By8(ReadOnlySpan<float> top, ReadOnlySpan<float> bottom, Span<float> row, Span<int> arg, int baseIndex, int width)
        {
            var ow = 0;
            ref var t = ref MemoryMarshal.GetReference(top);
            ref var b = ref MemoryMarshal.GetReference(bottom);
            var lanes = Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14);
            var one = Vector256.Create(1);
            var down = Vector256.Create(width);
            for (; ow + 8 <= row.Length && 2 * ow + 16 <= top.Length && 2 * ow + 16 <= bottom.Length; ow += 8)
            {
                var t0 = Vector256.LoadUnsafe(ref t, (nuint)(2 * ow));
                var t1 = Vector256.LoadUnsafe(ref t, (nuint)(2 * ow + 8));
                var b0 = Vector256.LoadUnsafe(ref b, (nuint)(2 * ow));
                var b1 = Vector256.LoadUnsafe(ref b, (nuint)(2 * ow + 8));
                // Even and odd columns of the 16 inputs, in order.
                var a = Avx2.Permute4x64(Avx.Shuffle(t0, t1, 0b10_00_10_00).AsDouble(), 0b11_01_10_00).AsSingle();
                var c1 = Avx2.Permute4x64(Avx.Shuffle(t0, t1, 0b11_01_11_01).AsDouble(), 0b11_01_10_00).AsSingle();
                var c2 = Avx2.Permute4x64(Avx.Shuffle(b0, b1, 0b10_00_10_00).AsDouble(), 0b11_01_10_00).AsSingle();
                var c3 = Avx2.Permute4x64(Avx.Shuffle(b0, b1, 0b11_01_11_01).AsDouble(), 0b11_01_10_00).AsSingle();
                var value = a;
                var offset = Vector256<int>.Zero;
                var take = Vector256.GreaterThan(c1, value);
                value = Vector256.ConditionalSelect(take, c1, value);
                offset = Vector256.ConditionalSelect(take.AsInt32(), one, offset);
                take = Vector256.GreaterThan(c2, value);
                value = Vector256.ConditionalSelect(take, c2, value);
                offset = Vector256.ConditionalSelect(take.AsInt32(), down, offset);
                take = Vector256.GreaterThan(c3, value);
                value = Vector256.ConditionalSelect(take, c3, value);
                offset = Vector256.ConditionalSelect(take.AsInt32(), down + one, offset);
                value.StoreUnsafe(ref MemoryMarshal.GetReference(row), (nuint)ow);
                (Vector256.Create(baseIndex + 2 * ow) + lanes + offset).StoreUnsafe(ref MemoryMarshal.GetReference(arg), (nuint)ow);
            }
            return ow;
        }

        /// <summary>Four 2x2 windows at a time from output <paramref name="ow"/> on (after the 8-wide steps, a 24-wide plane
        /// leaves 4 of its 12 outputs); returns how far it got.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static int MaxRow2x2By4(ReadOnlySpan<float> top, ReadOnlySpan<float> bottom, Span<float> row, Span<int> arg, int baseIndex, int width,
            int ow)
        {
            ref var t = ref MemoryMarshal.GetReference(top);
            ref var b = ref MemoryMarshal.GetReference(bottom);
            var lanes4 = Vector128.Create(0, 2, 4, 6);
            var one4 = Vector128.Create(1);
            var down4 = Vector128.Create(width);
            for (; ow + 4 <= row.Length && 2 * ow + 8 <= top.Length && 2 * ow + 8 <= bottom.Length; ow += 4)
            {
                var t0 = Vector128.LoadUnsafe(ref t, (nuint)(2 * ow));
                var t1 = Vector128.LoadUnsafe(ref t, (nuint)(2 * ow + 4));
                var b0 = Vector128.LoadUnsafe(ref b, (nuint)(2 * ow));
                var b1 = Vector128.LoadUnsafe(ref b, (nuint)(2 * ow + 4));
                var a = Sse.Shuffle(t0, t1, 0b10_00_10_00);
                var c1 = Sse.Shuffle(t0, t1, 0b11_01_11_01);
                var c2 = Sse.Shuffle(b0, b1, 0b10_00_10_00);
                var c3 = Sse.Shuffle(b0, b1, 0b11_01_11_01);
                var value = a;
                var offset = Vector128<int>.Zero;
                var take = Vector128.GreaterThan(c1, value);
                value = Vector128.ConditionalSelect(take, c1, value);
                offset = Vector128.ConditionalSelect(take.AsInt32(), one4, offset);
                take = Vector128.GreaterThan(c2, value);
                value = Vector128.ConditionalSelect(take, c2, value);
                offset = Vector128.ConditionalSelect(take.AsInt32(), down4, offset);
                take = Vector128.GreaterThan(c3, value);
                value = Vector128.ConditionalSelect(take, c3, value);
                offset = Vector128.ConditionalSelect(take.AsInt32(), down4 + one4, offset);
                value.StoreUnsafe(ref MemoryMarshal.GetReference(row), (nuint)ow);
                (Vector128.Create(baseIndex + 2 * ow) + lanes4 + offset).StoreUnsafe(ref MemoryMarshal.GetReference(arg), (nuint)ow);
            }
            return ow;
        }

        private void Backward(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<int> argmax, int planeStart)
        {
            dx.Clear();
            if (mode == PoolingMode.Max)
            {
                for (var o = 0; o < dy.Length; o++) dx[argmax[o] - planeStart] += dy[o];
                return;
            }
            int outH = g.OutH, outW = g.OutW, height = g.Height, width = g.Width, size = g.Size, stride = g.Stride, pad = g.Pad;
            var inv = 1f / (size * size);
            if (size == 2 && stride == 2 && pad == 0)
            {
                for (var oh = 0; oh < outH; oh++)
                {
                    var top = dx.Slice(2 * oh * width);
                    var bottom = dx.Slice((2 * oh + 1) * width);
                    for (var ow = 0; ow < outW; ow++)
                    {
                        var d = dy[oh * outW + ow] * inv;
                        top[2 * ow] = d;
                        top[2 * ow + 1] = d;
                        bottom[2 * ow] = d;
                        bottom[2 * ow + 1] = d;
                    }
                }
                return;
            }
            for (var oh = 0; oh < outH; oh++)
            {
                var (hLo, hHi) = Window(oh, stride, pad, size, height);
                for (var ow = 0; ow < outW; ow++)
                {
                    var (wLo, wHi) = Window(ow, stride, pad, size, width);
                    var d = dy[oh * outW + ow] * inv;
                    for (var h = hLo; h < hHi; h++)
                    {
                        for (var w = wLo; w < wHi; w++) dx[h * width + w] += d;
                    }
                }
            }
        }
    }
}
