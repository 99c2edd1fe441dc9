// Element-wise kernels, one thread per element (implicitly grouped, launch extent = element count):
//   Fill: x[i] = v.   Copy: y[i] = x[i].   AddScaled: y[i] += alpha·x[i].   Multiply: y[i] = x[i]·m[i].
//   ActivationForward<F>: y[i] = F.Forward(x[i]).   ActivationBackward<F>: dx[i] = F.Backward(y[i], dy[i]).
// Activations are struct functors (IActivationFunctor), so one generic kernel serves all of them and ILGPU
// specialises it per functor with no virtual call. Backward uses the forward output y.
using ILGPU;

namespace DeepGpu.Kernels;

/// <summary>An element-wise activation: its value and its derivative written through the output y.</summary>
public interface IActivationFunctor
{
    float Forward(float x);
    /// <summary>dy·f'(x) expressed through y = f(x).</summary>
    float Backward(float y, float dy);
}

/// <summary>max(0, x); derivative 1 where y &gt; 0 (0 at x = 0, the book's mask).</summary>
public struct ReluFunctor : IActivationFunctor
{
    public readonly float Forward(float x) => x > 0f ? x : 0f;
    public readonly float Backward(float y, float dy) => y > 0f ? dy : 0f;
}

/// <summary>1 / (1 + e^-x); derivative y(1 − y).</summary>
public struct SigmoidFunctor : IActivationFunctor
{
    public readonly float Forward(float x) => 1f / (1f + MathF.Exp(-x));
    public readonly float Backward(float y, float dy) => dy * y * (1f - y);
}

/// <summary>tanh x; derivative 1 − y².</summary>
/// <remarks>
/// Not MathF.Tanh: on CUDA that compiles to tanh.approx.f32 (relative error up to 2^-11), too coarse for the
/// gradient check's central differences. Through e = exp(−2|x|) (ex2.approx, a few ulp): (1 − e)/(1 + e) is
/// within 2^-16 relative where |x| ≥ 0.004 (the cancellation in 1 − e is worst there), and x − x³/3 below
/// that is within 2^-33. So every backend agrees with tanh to 3e-5 relative.
/// </remarks>
public struct TanhFunctor : IActivationFunctor
{
    public readonly float Forward(float x)
    {
        var a = MathF.Abs(x);
        if (a < 0.004f) return x * (1f - x * x * (1f / 3f));
        var e = MathF.Exp(-2f * a);
        var t = (1f - e) / (1f + e);
        return x < 0f ? -t : t;
    }

    public readonly float Backward(float y, float dy) => dy * (1f - y * y);
}

public static class ElementwiseKernels
{
    public static void Fill(Index1D i, ArrayView<float> x, float value) => x[i] = value;

    public static void Copy(Index1D i, ArrayView<float> source, ArrayView<float> destination) => destination[i] = source[i];

    public static void AddScaled(Index1D i, ArrayView<float> x, float alpha, ArrayView<float> y) => y[i] += alpha * x[i];

    public static void Multiply(Index1D i, ArrayView<float> x, ArrayView<float> mask, ArrayView<float> y) => y[i] = x[i] * mask[i];

    public static void ActivationForward<TF>(Index1D i, ArrayView<float> x, ArrayView<float> y)
        where TF : struct, IActivationFunctor => y[i] = default(TF).Forward(x[i]);

    public static void ActivationBackward<TF>(Index1D i, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx)
        where TF : struct, IActivationFunctor => dx[i] = default(TF).Backward(y[i], dy[i]);
}
