// One vector width's operations behind a struct, so a kernel written once over ILanes compiles, for each width, to the
// same straight intrinsics as a hand-written copy (the JIT specialises generic code for struct type arguments).
// Used where the 256- and 128-bit kernels have the same shape (the AVX-512 ones keep their own wider tiles), by the
// FMA peak loop, which runs on every width, and by the element-wise loops (TierLoop), where Lanes1 (a plain float)
// takes the tails and the whole of the scalar tier.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DeepGpu.Backends.Cpu;

internal unsafe interface ILanes<TV> where TV : struct
{
    /// <summary>Floats in a vector.</summary>
    static abstract int Count { get; }
    static abstract TV Load(float* p);
    static abstract void Store(TV v, float* p);
    static abstract TV Broadcast(float x);
    static abstract TV Multiply(TV a, TV b);
    static abstract TV MultiplyAdd(TV a, TV b, TV c);
    /// <summary>The vector's halves added down to 128 bits (same lane sum).</summary>
    static abstract Vector128<float> Fold(TV v);
    static abstract TV Load(ReadOnlySpan<float> s, nuint i);
    static abstract void Store(TV v, Span<float> s, nuint i);
    static abstract TV Add(TV a, TV b);
    static abstract TV Subtract(TV a, TV b);
    static abstract TV Divide(TV a, TV b);
    static abstract TV Max(TV a, TV b);
    static abstract TV Sqrt(TV v);
    static abstract TV Exp(TV v);
    /// <summary><paramref name="v"/> where <paramref name="mask"/> &gt; 0, else 0.</summary>
    static abstract TV WherePositive(TV mask, TV v);
}

internal readonly unsafe struct Lanes512 : ILanes<Vector512<float>>
{
    public static int Count => 16;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load(float* p) => Vector512.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector512<float> v, float* p) => Vector512.Store(v, p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Broadcast(float x) => Vector512.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.MultiplyAddEstimate(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Fold(Vector512<float> v) => Lanes256.Fold(v.GetLower() + v.GetUpper());
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(ReadOnlySpan<float> s, nuint i) => Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(s), i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<float> v, Span<float> s, nuint i) => v.StoreUnsafe(ref MemoryMarshal.GetReference(s), i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Subtract(Vector512<float> a, Vector512<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Divide(Vector512<float> a, Vector512<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Max(Vector512<float> a, Vector512<float> b) => Vector512.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Sqrt(Vector512<float> v) => Vector512.Sqrt(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Exp(Vector512<float> v) => Vector512.Exp(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> WherePositive(Vector512<float> mask, Vector512<float> v) => Vector512.ConditionalSelect(Vector512.GreaterThan(mask, Vector512<float>.Zero), v, Vector512<float>.Zero);
}

internal readonly unsafe struct Lanes256 : ILanes<Vector256<float>>
{
    public static int Count => 8;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load(float* p) => Vector256.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector256<float> v, float* p) => Vector256.Store(v, p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Broadcast(float x) => Vector256.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.MultiplyAddEstimate(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Fold(Vector256<float> v) => v.GetLower() + v.GetUpper();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(ReadOnlySpan<float> s, nuint i) => Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(s), i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> v, Span<float> s, nuint i) => v.StoreUnsafe(ref MemoryMarshal.GetReference(s), i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Subtract(Vector256<float> a, Vector256<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Divide(Vector256<float> a, Vector256<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Max(Vector256<float> a, Vector256<float> b) => Vector256.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Sqrt(Vector256<float> v) => Vector256.Sqrt(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Exp(Vector256<float> v) => Vector256.Exp(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> WherePositive(Vector256<float> mask, Vector256<float> v) => Vector256.ConditionalSelect(Vector256.GreaterThan(mask, Vector256<float>.Zero), v, Vector256<float>.Zero);
}

internal readonly unsafe struct Lanes128 : ILanes<Vector128<float>>
{
    public static int Count => 4;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Load(float* p) => Vector128.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector128<float> v, float* p) => Vector128.Store(v, p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Broadcast(float x) => Vector128.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Multiply(Vector128<float> a, Vector128<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.MultiplyAddEstimate(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Fold(Vector128<float> v) => v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load(ReadOnlySpan<float> s, nuint i) => Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(s), i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<float> v, Span<float> s, nuint i) => v.StoreUnsafe(ref MemoryMarshal.GetReference(s), i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Subtract(Vector128<float> a, Vector128<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Divide(Vector128<float> a, Vector128<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Max(Vector128<float> a, Vector128<float> b) => Vector128.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Sqrt(Vector128<float> v) => Vector128.Sqrt(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Exp(Vector128<float> v) => Vector128.Exp(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> WherePositive(Vector128<float> mask, Vector128<float> v) => Vector128.ConditionalSelect(Vector128.GreaterThan(mask, Vector128<float>.Zero), v, Vector128<float>.Zero);
}

/// <summary>One float: the tails of the vector loops, and the whole of the scalar tier.</summary>
internal readonly unsafe struct Lanes1 : ILanes<float>
{
    public static int Count => 1;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Load(float* p) => *p;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float v, float* p) => *p = v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Broadcast(float x) => x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Multiply(float a, float b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MultiplyAdd(float a, float b, float c) => float.MultiplyAddEstimate(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Fold(float v) => Vector128.CreateScalar(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Load(ReadOnlySpan<float> s, nuint i) => Unsafe.Add(ref MemoryMarshal.GetReference(s), i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float v, Span<float> s, nuint i) => Unsafe.Add(ref MemoryMarshal.GetReference(s), i) = v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Add(float a, float b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Subtract(float a, float b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Divide(float a, float b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Max(float a, float b) => MathF.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sqrt(float v) => MathF.Sqrt(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Exp(float v) => MathF.Exp(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float WherePositive(float mask, float v) => mask > 0f ? v : 0f;
}
