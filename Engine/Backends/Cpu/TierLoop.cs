// Element-wise loops and sums written once over ILanes and run at the backend's chosen tier: the tier's vectors over
// the body, Lanes1 (plain floats) over the tail and over everything on the scalar tier. The cpu backend calls no
// TensorPrimitives or Vector<T> for its math: those take the machine's widest vectors whatever tier was chosen.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DeepGpu.Backends.Cpu;

/// <summary>One step of an element-wise loop: the TL.Count elements from i on.</summary>
internal interface IElementwise
{
    void Step<TV, TL>(nuint i) where TV : struct where TL : struct, ILanes<TV>;
}

/// <summary>One step of a sum: the terms of the TL.Count elements from i on, as a vector of partial sums.</summary>
internal interface ISumTerms
{
    TV Terms<TV, TL>(nuint i) where TV : struct where TL : struct, ILanes<TV>;
}

internal static class TierLoop
{
    /// <summary>Runs <paramref name="kernel"/> over elements 0 to <paramref name="length"/> with <paramref name="tier"/>'s vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run<TK>(CpuTier tier, int length, ref TK kernel) where TK : struct, IElementwise, allows ref struct
    {
        // Narrower vectors, never wider than the tier, take what the tier's leave: short rows (an image row of 24
        // floats on the 512-bit tier) keep most of their elements in vectors.
        var i = 0;
        if (tier >= CpuTier.Vector512) i = Body<TK, Vector512<float>, Lanes512>(i, length, ref kernel);
        if (tier >= CpuTier.Vector256) i = Body<TK, Vector256<float>, Lanes256>(i, length, ref kernel);
        if (tier >= CpuTier.Vector128) i = Body<TK, Vector128<float>, Lanes128>(i, length, ref kernel);
        for (; i < length; i++) kernel.Step<float, Lanes1>((nuint)i);
    }

    /// <summary>The sum of <paramref name="terms"/> over elements 0 to <paramref name="length"/>, with <paramref name="tier"/>'s vectors.</summary>
    public static float Sum<TK>(CpuTier tier, int length, ref TK terms) where TK : struct, ISumTerms, allows ref struct
    {
        var (i, sum) = tier switch
        {
            CpuTier.Vector512 => SumBody<TK, Vector512<float>, Lanes512>(length, ref terms),
            CpuTier.Vector256 => SumBody<TK, Vector256<float>, Lanes256>(length, ref terms),
            CpuTier.Vector128 => SumBody<TK, Vector128<float>, Lanes128>(length, ref terms),
            _ => (0, 0f),
        };
        for (; i < length; i++) sum += terms.Terms<float, Lanes1>((nuint)i);
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Body<TK, TV, TL>(int i, int length, ref TK kernel)
        where TK : struct, IElementwise, allows ref struct where TV : struct where TL : struct, ILanes<TV>
    {
        for (; i <= length - TL.Count; i += TL.Count) kernel.Step<TV, TL>((nuint)i);
        return i;
    }

    private static (int End, float Sum) SumBody<TK, TV, TL>(int length, ref TK terms)
        where TK : struct, ISumTerms, allows ref struct where TV : struct where TL : struct, ILanes<TV>
    {
        // Two accumulators hide the add's latency.
        TV a = TL.Broadcast(0f), b = TL.Broadcast(0f);
        var i = 0;
        for (; i <= length - 2 * TL.Count; i += 2 * TL.Count)
        {
            a = TL.Add(a, terms.Terms<TV, TL>((nuint)i));
            b = TL.Add(b, terms.Terms<TV, TL>((nuint)(i + TL.Count)));
        }
        if (i <= length - TL.Count)
        {
            a = TL.Add(a, terms.Terms<TV, TL>((nuint)i));
            i += TL.Count;
        }
        return (i, Vector128.Sum(TL.Fold(TL.Add(a, b))));
    }

    // ---- the loops the backend uses, each as the span operation it stands for ----

    /// <summary>dst = x + y.</summary>
    public static void Add(CpuTier tier, ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> dst)
    {
        var k = new AddKernel(x, y, dst);
        Run(tier, dst.Length, ref k);
    }

    /// <summary>dst = x·scale + shift.</summary>
    public static void MultiplyAdd(CpuTier tier, ReadOnlySpan<float> x, float scale, float shift, Span<float> dst)
    {
        var k = new AffineKernel(x, scale, shift, dst);
        Run(tier, dst.Length, ref k);
    }

    /// <summary>dst = x·scale + y.</summary>
    public static void MultiplyAdd(CpuTier tier, ReadOnlySpan<float> x, float scale, ReadOnlySpan<float> y, Span<float> dst)
    {
        var k = new AxpyKernel(x, scale, y, dst);
        Run(tier, dst.Length, ref k);
    }

    /// <summary>dst = x·y.</summary>
    public static void Multiply(CpuTier tier, ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> dst)
    {
        var k = new MultiplyKernel(x, y, dst);
        Run(tier, dst.Length, ref k);
    }

    /// <summary>dst = (x − y)·scale.</summary>
    public static void SubtractMultiply(CpuTier tier, ReadOnlySpan<float> x, ReadOnlySpan<float> y, float scale, Span<float> dst)
    {
        var k = new SubtractMultiplyKernel(x, y, scale, dst);
        Run(tier, dst.Length, ref k);
    }

    /// <summary>dst = max(x + shift, 0): the ReLU, with a bias when <paramref name="shift"/> is not 0.</summary>
    public static void AddRelu(CpuTier tier, ReadOnlySpan<float> x, float shift, Span<float> dst)
    {
        var k = new AddReluKernel(x, shift, dst);
        Run(tier, dst.Length, ref k);
    }

    /// <summary>dst = x where mask &gt; 0, else 0: the ReLU's backward.</summary>
    public static void WherePositive(CpuTier tier, ReadOnlySpan<float> mask, ReadOnlySpan<float> x, Span<float> dst)
    {
        var k = new WherePositiveKernel(mask, x, dst);
        Run(tier, dst.Length, ref k);
    }

    /// <summary>dst = exp(x − shift).</summary>
    public static void ExpShifted(CpuTier tier, ReadOnlySpan<float> x, float shift, Span<float> dst)
    {
        var k = new ExpKernel(x, shift, dst);
        Run(tier, dst.Length, ref k);
    }

    public static void Sigmoid(CpuTier tier, ReadOnlySpan<float> x, Span<float> dst)
    {
        var k = new SigmoidKernel(x, dst);
        Run(tier, dst.Length, ref k);
    }

    public static void Tanh(CpuTier tier, ReadOnlySpan<float> x, Span<float> dst)
    {
        var k = new TanhKernel(x, dst);
        Run(tier, dst.Length, ref k);
    }

    /// <summary>dst = dy·y·(1 − y): the sigmoid's backward from its output y.</summary>
    public static void SigmoidBackward(CpuTier tier, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dst)
    {
        var k = new SigmoidBackwardKernel(y, dy, dst);
        Run(tier, dst.Length, ref k);
    }

    /// <summary>dst = dy·(1 − y²): tanh's backward from its output y.</summary>
    public static void TanhBackward(CpuTier tier, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dst)
    {
        var k = new TanhBackwardKernel(y, dy, dst);
        Run(tier, dst.Length, ref k);
    }

    public static void Copy(CpuTier tier, ReadOnlySpan<float> x, Span<float> dst)
    {
        var k = new CopyKernel(x, dst);
        Run(tier, dst.Length, ref k);
    }

    public static float Sum(CpuTier tier, ReadOnlySpan<float> x)
    {
        var k = new DotTerms(x, default, false);
        return Sum(tier, x.Length, ref k);
    }

    public static float Dot(CpuTier tier, ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        var k = new DotTerms(x, y, true);
        return Sum(tier, x.Length, ref k);
    }

    public static float SumOfSquares(CpuTier tier, ReadOnlySpan<float> x) => Dot(tier, x, x);

    private readonly ref struct AddKernel(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> dst) : IElementwise
    {
        private readonly ReadOnlySpan<float> _x = x, _y = y;
        private readonly Span<float> _dst = dst;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step<TV, TL>(nuint i) where TV : struct where TL : struct, ILanes<TV> => TL.Store(TL.Add(TL.Load(_x, i), TL.Load(_y, i)), _dst, i);
    }

    private readonly ref struct AffineKernel(ReadOnlySpan<float> x, float scale, float shift, Span<float> dst) : IElementwise
    {
        private readonly ReadOnlySpan<float> _x = x;
        private readonly float _scale = scale, _shift = shift;
        private readonly Span<float> _dst = dst;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step<TV, TL>(nuint i) where TV : struct where TL : struct, ILanes<TV> =>
            TL.Store(TL.MultiplyAdd(TL.Load(_x, i), TL.Broadcast(_scale), TL.Broadcast(_shift)), _dst, i);
    }

    private readonly ref struct AxpyKernel(ReadOnlySpan<float> x, float scale, ReadOnlySpan<float> y, Span<float> dst) : IElementwise
    {
        private readonly ReadOnlySpan<float> _x = x, _y = y;
        private readonly float _scale = scale;
        private readonly Span<float> _dst = dst;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step<TV, TL>(nuint i) where TV : struct where TL : struct, ILanes<TV> =>
            TL.Store(TL.MultiplyAdd(TL.Load(_x, i), TL.Broadcast(_scale), TL.Load(_y, i)), _dst, i);
    }

    private readonly ref struct MultiplyKernel(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> dst) : IElementwise
    {
        private readonly ReadOnlySpan<float> _x = x, _y = y;
        private readonly Span<float> _dst = dst;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step<TV, TL>(nuint i) where TV : struct where TL : struct, ILanes<TV> => TL.Store(TL.Multiply(TL.Load(_x, i), TL.Load(_y, i)), _dst, i);
    }

    private readonly ref struct SubtractMultiplyKernel(ReadOnlySpan<float> x, ReadOnlySpan<float> y, float scale, Span<float> dst) : IElementwise
    {
        private readonly ReadOnlySpan<float> _x = x, _y = y;
        private readonly float _scale = scale;
        private readonly Span<float> _dst = dst;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step<TV, TL>(nuint i) where TV : struct where TL : struct, ILanes<TV> =>
            TL.Store(TL.Multiply(TL.Subtract(TL.Load(_x, i), TL.Load(_y, i)), TL.Broadcast(_scale)), _dst, i);
    }

    private readonly ref struct AddReluKernel(ReadOnlySpan<float> x, float shift, Span<float> dst) : IElementwise
    {
        private readonly ReadOnlySpan<float> _x = x;
        private readonly float _shift = shift;
        private readonly Span<float> _dst = dst;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step<TV, TL>(nuint i) where TV : struct where TL : struct, ILanes<TV> =>
            TL.Store(TL.Max(TL.Add(TL.Load(_x, i), TL.Broadcast(_shift)), TL.Broadcast(0f)), _dst, i);
    }

    private readonly ref struct WherePositiveKernel(ReadOnlySpan<float> mask, ReadOnlySpan<float> x, Span<float> dst) : IElementwise
    {
        private readonly ReadOnlySpan<float> _mask = mask, _x = x;
        private readonly Span<float> _dst = dst;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step<TV, TL>(nuint i) where TV : struct where TL : struct, ILanes<TV> =>
            TL.Store(TL.WherePositive(TL.Load(_mask, i), TL.Load(_x, i)), _dst, i);
    }

    private readonly ref struct ExpKernel(ReadOnlySpan<float> x, float shift, Span<float> dst) : IElementwise
    {
        private readonly ReadOnlySpan<float> _x = x;
        private readonly float _shift = shift;
        private readonly Span<float> _dst = dst;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step<TV, TL>(nuint i) where TV : struct where TL : struct, ILanes<TV> =>
            TL.Store(TL.Exp(TL.Subtract(TL.Load(_x, i), TL.Broadcast(_shift))), _dst, i);
    }

    private readonly ref struct SigmoidKernel(ReadOnlySpan<float> x, Span<float> dst) : IElementwise
    {
        private readonly ReadOnlySpan<float> _x = x;
        private readonly Span<float> _dst = dst;

        // 1 / (1 + e^-x): e^-x overflows to ∞ for very negative x, which gives the right 0.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step<TV, TL>(nuint i) where TV : struct where TL : struct, ILanes<TV>
        {
            var one = TL.Broadcast(1f);
            TL.Store(TL.Divide(one, TL.Add(one, TL.Exp(TL.Subtract(TL.Broadcast(0f), TL.Load(_x, i))))), _dst, i);
        }
    }

    private readonly ref struct TanhKernel(ReadOnlySpan<float> x, Span<float> dst) : IElementwise
    {
        private readonly ReadOnlySpan<float> _x = x;
        private readonly Span<float> _dst = dst;

        // tanh x = 1 − 2 / (e^2x + 1); e^2x overflowing to ∞ gives the right 1.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step<TV, TL>(nuint i) where TV : struct where TL : struct, ILanes<TV>
        {
            var one = TL.Broadcast(1f);
            var e = TL.Exp(TL.Multiply(TL.Load(_x, i), TL.Broadcast(2f)));
            TL.Store(TL.Subtract(one, TL.Divide(TL.Broadcast(2f), TL.Add(e, one))), _dst, i);
        }
    }

    private readonly ref struct SigmoidBackwardKernel(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dst) : IElementwise
    {
        private readonly ReadOnlySpan<float> _y = y, _dy = dy;
        private readonly Span<float> _dst = dst;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step<TV, TL>(nuint i) where TV : struct where TL : struct, ILanes<TV>
        {
            var y = TL.Load(_y, i);
            TL.Store(TL.Multiply(TL.Multiply(TL.Load(_dy, i), y), TL.Subtract(TL.Broadcast(1f), y)), _dst, i);
        }
    }

    private readonly ref struct TanhBackwardKernel(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dst) : IElementwise
    {
        private readonly ReadOnlySpan<float> _y = y, _dy = dy;
        private readonly Span<float> _dst = dst;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step<TV, TL>(nuint i) where TV : struct where TL : struct, ILanes<TV>
        {
            var y = TL.Load(_y, i);
            TL.Store(TL.Multiply(TL.Load(_dy, i), TL.Subtract(TL.Broadcast(1f), TL.Multiply(y, y))), _dst, i);
        }
    }

    private readonly ref struct CopyKernel(ReadOnlySpan<float> x, Span<float> dst) : IElementwise
    {
        private readonly ReadOnlySpan<float> _x = x;
        private readonly Span<float> _dst = dst;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step<TV, TL>(nuint i) where TV : struct where TL : struct, ILanes<TV> => TL.Store(TL.Load(_x, i), _dst, i);
    }

    private readonly ref struct DotTerms(ReadOnlySpan<float> x, ReadOnlySpan<float> y, bool product) : ISumTerms
    {
        private readonly ReadOnlySpan<float> _x = x, _y = y;
        private readonly bool _product = product;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Terms<TV, TL>(nuint i) where TV : struct where TL : struct, ILanes<TV> =>
            _product ? TL.Multiply(TL.Load(_x, i), TL.Load(_y, i)) : TL.Load(_x, i);
    }
}
